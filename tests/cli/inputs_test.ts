import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { driverMountRequest } from "../../src/cli/driver_request.ts";
import { readNodePublishSecret } from "../../src/cli/node_publish_secret.ts";
import { placeholderTokens, tokensFromJwt } from "../../src/cli/driver_tokens.ts";
import { UsageError } from "../../src/cli/usage.ts";

const NOW = new Date(Date.UTC(2026, 5, 11, 10, 0, 0));
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (claims: unknown) => `${b64url({ alg: "RS256", kid: "k" })}.${b64url(claims)}.c2lnbmF0dXJl`;

Deno.test("driver request: parameters, then the volume context over them, as three JSON strings", () => {
  const request = driverMountRequest({
    secretProviderClass: "azure-spc",
    parameters: { keyvaultName: "kv", "csi.storage.k8s.io/pod.name": "spoofed" },
    pod: { name: "nginx", namespace: "default", uid: "u-1", serviceAccountName: "app" },
    serviceAccountTokens: {
      "api://AzureADTokenExchange": { token: "t", expirationTimestamp: "2026-06-11T11:00:00Z" },
    },
    secrets: null,
    permission: 0o644,
  });
  assert.equal(request.secrets, "null");
  assert.equal(request.permission, "420");
  assert.deepEqual(JSON.parse(request.attributes), {
    keyvaultName: "kv",
    "csi.storage.k8s.io/pod.name": "nginx",
    secretProviderClass: "azure-spc",
    "csi.storage.k8s.io/pod.namespace": "default",
    "csi.storage.k8s.io/pod.uid": "u-1",
    "csi.storage.k8s.io/serviceAccount.name": "app",
    "csi.storage.k8s.io/ephemeral": "true",
    "csi.storage.k8s.io/serviceAccount.tokens":
      '{"api://AzureADTokenExchange":{"token":"t","expirationTimestamp":"2026-06-11T11:00:00Z"}}',
  });
  const withoutTokens = driverMountRequest({
    secretProviderClass: "s",
    parameters: {},
    pod: { name: "p", namespace: "n", uid: "u", serviceAccountName: "default" },
    secrets: { clientid: "id", clientsecret: "secret" },
    permission: 0o600,
  });
  assert.equal("csi.storage.k8s.io/serviceAccount.tokens" in JSON.parse(withoutTokens.attributes), false);
  assert.equal(withoutTokens.secrets, '{"clientid":"id","clientsecret":"secret"}');
  assert.equal(withoutTokens.permission, "384");
});

Deno.test("service-account token: filed under its aud claims, expiring at its exp claim", () => {
  const exp = Date.UTC(2026, 5, 11, 11, 30, 0) / 1000;
  const token = jwt({ aud: ["api://AzureADTokenExchange", "api://AKSIdentityBinding"], exp, sub: "s" });
  assert.deepEqual(tokensFromJwt(`${token}\n`, NOW), {
    "api://AzureADTokenExchange": { token, expirationTimestamp: "2026-06-11T11:30:00Z" },
    "api://AKSIdentityBinding": { token, expirationTimestamp: "2026-06-11T11:30:00Z" },
  });
  const bare = jwt({ sub: "s" });
  assert.deepEqual(tokensFromJwt(bare, NOW), {
    "api://AzureADTokenExchange": { token: bare, expirationTimestamp: "2026-06-11T11:00:00Z" },
  });
});

Deno.test("service-account token: a file that is not a JWT is a usage error that does not quote it", () => {
  for (const text of ["not-a-token", "a.b", `${b64url({})}.${Buffer.from("[]").toString("base64url")}.sig`]) {
    assert.throws(
      () => tokensFromJwt(text, NOW),
      (error) =>
        error instanceof UsageError && !error.message.includes(text) && /one JWT/.test(error.message),
    );
  }
});

Deno.test("placeholder tokens: one well-formed, unsigned JWT per audience", () => {
  const tokens = placeholderTokens(["api://AzureADTokenExchange"], "system:serviceaccount:ns:default", NOW);
  const { token, expirationTimestamp } = tokens["api://AzureADTokenExchange"];
  assert.equal(expirationTimestamp, "2026-06-11T11:00:00Z");
  const [, claims, signature] = token.split(".");
  assert.deepEqual(JSON.parse(Buffer.from(claims, "base64url").toString()), {
    aud: ["api://AzureADTokenExchange"],
    exp: Date.UTC(2026, 5, 11, 11, 0, 0) / 1000,
    iss: "validate",
    sub: "system:serviceaccount:ns:default",
  });
  assert.equal(signature, "unsigned-placeholder");
});

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
