import assert from "node:assert/strict";
import { providerClient } from "../harness/grpc_client.ts";
import { pythonMount } from "../harness/python_client.ts";
import { mountRequest } from "../harness/spc.ts";
import { SP, startWorld } from "./fixtures.ts";

const INVALID_ARGUMENT = 3;
const ok = { objectName: "api-key", objectType: "secret" };
const valid = mountRequest({ objects: [ok], secrets: SP });
const attrs = JSON.parse(valid.attributes) as Record<string, string>;
const without = (key: string) =>
  JSON.stringify(Object.fromEntries(Object.entries(attrs).filter(([k]) => k !== key)));
const withAttr = (extra: Record<string, string>) => JSON.stringify({ ...attrs, ...extra });

/** Each bad input, the request that carries it, and what the user must read. */
const CASES: [string, { attributes: string; secrets: string; permission: string }, RegExp][] = [
  ["malformed attributes", { ...valid, attributes: "{not json" }, /failed to unmarshal attributes, error: /],
  ["malformed secrets", { ...valid, secrets: "{" }, /failed to unmarshal secrets, error: /],
  ["malformed permission", { ...valid, permission: "0644x" }, /failed to unmarshal file permission, error: /],
  ["missing keyvaultName", { ...valid, attributes: without("keyvaultName") }, /keyvaultName is not provided/],
  ["missing tenant", { ...valid, attributes: without("tenantID") }, /tenantId is not provided/],
  ["missing objects", { ...valid, attributes: without("objects") }, /objects is not set/],
  [
    "missing pod name",
    { ...valid, attributes: without("csi.storage.k8s.io/pod.name") },
    /pod name is not provided/,
  ],
  [
    "missing pod namespace",
    { ...valid, attributes: without("csi.storage.k8s.io/pod.namespace") },
    /pod namespace is not provided/,
  ],
  [
    "objects not an array of strings",
    { ...valid, attributes: withAttr({ objects: "array:\n  - objectName: a\n    objectType: secret\n" }) },
    /objects must be a YAML mapping whose "array:" key lists one YAML string per object/,
  ],
  [
    "an unknown objectType",
    mountRequest({ objects: [{ objectName: "a", objectType: "Secret" }], secrets: SP }),
    /failed to get objectType:Secret, objectName:a, objectVersion:: invalid objectType "Secret", should be .*did you mean "secret"\?/,
  ],
  [
    "an invalid encoding",
    mountRequest({ objects: [{ ...ok, objectEncoding: "base32" }], secrets: SP }),
    /invalid objectEncoding: base32, should be hex, base64 or utf-8/,
  ],
  [
    "an invalid filePermission",
    mountRequest({ objects: [{ ...ok, filePermission: "0999" }], secrets: SP }),
    /file permission must be an octal file mode between 0000 and 0777/,
  ],
  [
    "an empty alias and name",
    mountRequest({ objects: [{ objectType: "secret", objectName: "" }], secrets: SP }),
    /objectName is required/,
  ],
  [
    "an absolute alias",
    mountRequest({ objects: [{ ...ok, objectAlias: "/etc/shadow" }], secrets: SP }),
    /file name "\/etc\/shadow" must be a relative path/,
  ],
  [
    "a .. alias",
    mountRequest({ objects: [{ ...ok, objectAlias: "../x" }], secrets: SP }),
    /file name "\.\.\/x" must not contain '\.\.'/,
  ],
  ["a ./ alias", mountRequest({ objects: [{ ...ok, objectAlias: "./x" }], secrets: SP }), /clean path/],
  [
    "a 256-byte element",
    // Dashed: the log-redaction rerun of this test takes a long [A-Za-z0-9+/] run for base64 content.
    mountRequest({ objects: [{ ...ok, objectAlias: "a-".repeat(128) }], secrets: SP }),
    /file name "(a-){45,}.*… \(\d+ more characters\)" must have no folder or file name longer than 255 bytes/,
  ],
  [
    "every problem of one object: its type and its alias",
    mountRequest({
      objects: [{ objectName: "e", objectType: "sekret", objectAlias: "../escape" }],
      secrets: SP,
    }),
    /file name "\.\.\/escape" must not contain '\.\.'; failed to get objectType:sekret, objectName:e, objectVersion:: invalid objectType "sekret"/,
  ],
  [
    "two objects writing one path",
    mountRequest({
      objects: [ok, { objectName: "other", objectType: "secret", objectAlias: "api-key" }],
      secrets: SP,
    }),
    /two objects write the same file "api-key"/,
  ],
  [
    "a file that is also a folder",
    mountRequest({
      objects: [ok, { objectName: "other", objectType: "secret", objectAlias: "api-key/x" }],
      secrets: SP,
    }),
    /"api-key" is both a file and the folder of "api-key\/x"/,
  ],
  ["an empty array", mountRequest({ objects: "array: []", secrets: SP }), /objects lists no object/],
  [
    "no nodePublishSecretRef",
    mountRequest({ objects: [ok], secrets: null }),
    /nodePublishSecretRef secret is not set/,
  ],
  [
    "no clientsecret",
    mountRequest({ objects: [ok], secrets: { clientid: SP.clientid } }),
    /could not find clientsecret in secrets/,
  ],
];

Deno.test("bad input gets InvalidArgument with an actionable message, and no network call", async (t) => {
  const world = await startWorld();
  const client = providerClient(world.provider.socketPath);
  try {
    for (const [name, request, message] of CASES) {
      await t.step(name, async () => {
        world.emulator.resetRequests();
        const error = await client.mount(request).then(() => assert.fail("mount should fail"), (e) => e);
        assert.equal(error.code, INVALID_ARGUMENT, error.details);
        assert.match(error.details, /^failed to mount objects, error: /);
        assert.match(error.details, message);
        assert.equal(world.emulator.requests().length, 0, "rejected before any network call");
      });
    }
    await t.step("python3-grpcio sees the same status", async () => {
      const result = await pythonMount(world.provider.socketPath, CASES[9][1]);
      assert.equal(result.error?.code, "INVALID_ARGUMENT");
      assert.match(result.error?.details ?? "", CASES[9][2]);
    });
  } finally {
    client.close();
    await world.close();
  }
});
