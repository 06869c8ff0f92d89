import assert from "node:assert/strict";
import { readNodePublishSecret } from "../../src/cli/node_publish_secret.ts";
import { UsageError } from "../../src/cli/usage.ts";

Deno.test("nodePublishSecretRef file: a Secret manifest (data decoded, stringData over it) or a mapping", () => {
  const manifest = [
    "apiVersion: v1",
    "kind: Secret",
    "metadata: {name: secrets-store-creds}",
    "type: Opaque",
    `data: {clientid: ${btoa("0123")}, clientsecret: ${btoa("old")}}`,
    "stringData:",
    "  clientsecret: s3cr3t~value",
  ].join("\n");
  assert.deepEqual(readNodePublishSecret(manifest), { clientid: "0123", clientsecret: "s3cr3t~value" });
  assert.deepEqual(readNodePublishSecret("clientid: 0123\nclientsecret: 00.5\n"), {
    clientid: "0123",
    clientsecret: "00.5",
  });
  assert.deepEqual(readNodePublishSecret('{"ClientID": "a", "ClientSecret": "b"}'), {
    ClientID: "a",
    ClientSecret: "b",
  });
});

Deno.test("nodePublishSecretRef file: errors name the key, never the value", () => {
  const cases: [string, RegExp][] = [
    ["kind: Secret\ndata:\n  clientsecret: not*base64!", /data\.clientsecret of the Secret is not base64/],
    ["clientid: a\nclientsecret: [hunter2]", /the value of clientsecret in the secret file must be a string/],
    ["- hunter2", /must hold a mapping/],
    ["clientsecret: 'hunter2", /not YAML or JSON/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => readNodePublishSecret(text),
      (error) =>
        error instanceof UsageError && message.test(error.message) && !error.message.includes("hunter2") &&
        !error.message.includes("not*base64"),
    );
  }
});
