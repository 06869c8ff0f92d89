import assert from "node:assert/strict";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { pythonCall, pythonMount } from "../harness/python_client.ts";
import { mountRequest } from "../harness/spc.ts";
import { OUTSIDER, SEEDED_VALUES, startWorld } from "./fixtures.ts";
import { SP, TENANT } from "../harness/spc.ts";

const OBJECTS: Record<string, string>[] = [
  { objectName: "db-password", objectType: "secret" },
  { objectName: "api-key", objectType: "secret", objectAlias: "keys/api", filePermission: "0600" },
  {
    objectName: "db-password",
    objectType: "secret",
    objectAlias: "db-first",
    objectVersion: "0b1c8a7e2f9d4c6b8e1a3d5f7c9b2e40",
  },
  { objectName: "blob-b64", objectType: "secret", objectEncoding: "base64" },
  { objectName: "blob-hex", objectType: "secret", objectEncoding: "HEX" },
  { objectName: "unicode", objectType: "secret" },
];

Deno.test("Mount of secrets end to end over the Unix socket", async (t) => {
  const world = await startWorld();
  const client = providerClient(world.provider.socketPath);
  const { emulator } = world;
  try {
    await t.step("Version and Health answer", async () => {
      assert.deepEqual(await client.version(), {
        version: "v1alpha1",
        runtime_name: "secrets-store-csi-driver-provider-azure",
        runtime_version: "0.1.0",
      });
      assert.deepEqual(await client.health(), { status: 1 }, "SERVING");
    });

    await t.step("the socket is private to its owner", async () => {
      const info = await Deno.lstat(world.provider.socketPath);
      assert.equal(info.isSocket, true);
      assert.equal(info.mode! & 0o777, 0o600);
    });

    await t.step("first mount: bytes, modes, versions, order; one challenge and one token", async () => {
      emulator.resetRequests();
      const response = await client.mount(mountRequest({ objects: OBJECTS, secrets: SP }));
      assert.deepEqual(
        response.files.map((f) => [f.path, f.mode.toString(8), text(f.contents)]),
        [
          ["db-password", "644", "current-Passw0rd"],
          ["keys/api", "600", "ak_live_0123456789abcdef"],
          ["db-first", "644", "first-Passw0rd"],
          ["blob-b64", "644", "\u0000\u0001\u0002\ufffd\ufffd\ufffd"],
          ["blob-hex", "644", "\u0000\ufffd\u0010"],
          ["unicode", "644", "pässwörd ✓ 🔑"],
        ],
      );
      assert.deepEqual([...response.files[3].contents], [0, 1, 2, 253, 254, 255]);
      assert.deepEqual([...response.files[4].contents], [0, 255, 16]);
      assert.deepEqual(response.object_version, [
        { id: "secret/db-password", version: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63" },
        { id: "secret/api-key", version: "5e8a1c3f7b9d4e2a6c0f8b1d3e5a7c92" },
        { id: "secret/db-password", version: "0b1c8a7e2f9d4c6b8e1a3d5f7c9b2e40" },
        { id: "secret/blob-b64", version: "aa01" },
        { id: "secret/blob-hex", version: "bb02" },
        { id: "secret/unicode", version: "cc03" },
      ]);
      const entra = emulator.requests({ service: "entra" });
      assert.equal(entra.length, 1, "one token exchange");
      const vault = emulator.requests({ service: "keyvault" });
      assert.equal(vault.filter((r) => r.status === 401).length, 1, "one challenge round trip");
      assert.equal(vault.filter((r) => r.status === 200).length, OBJECTS.length, "one GET per object");
    });

    await t.step("warm mount: exactly one Key Vault GET per object, no token call", async () => {
      emulator.resetRequests();
      await client.mount(mountRequest({ objects: OBJECTS, secrets: SP }));
      assert.equal(emulator.requests({ service: "entra" }).length, 0);
      const vault = emulator.requests({ service: "keyvault" });
      assert.equal(vault.length, OBJECTS.length);
      assert.ok(vault.every((r) => r.status === 200 && r.identity === "sp-app"));
    });

    await t.step("a client that is not grpc-js (python3-grpcio) mounts the same files", async () => {
      const response = await pythonMount(
        world.provider.socketPath,
        mountRequest({ objects: OBJECTS, secrets: SP }),
      );
      assert.equal(response.error, undefined);
      assert.deepEqual(response.files?.map((f) => [f.path, f.mode, text(f.contents)]).slice(0, 2), [
        ["db-password", 0o644, "current-Passw0rd"],
        ["keys/api", 0o600, "ak_live_0123456789abcdef"],
      ]);
      assert.equal(response.object_version?.length, OBJECTS.length);
      assert.deepEqual(await pythonCall(world.provider.socketPath, "Health"), { status: "SERVING" });
      const version = await pythonCall(world.provider.socketPath, "Version");
      assert.equal(version.version, "v1alpha1");
    });

    await t.step("the driver's default permission and secrets null", async () => {
      const response = await client.mount({
        ...mountRequest({ objects: [{ objectName: "api-key", objectType: "secret" }], secrets: SP }),
        permission: "288",
      });
      assert.equal(response.files[0].mode, 0o440);
    });

    await t.step("Key Vault errors name the object, the status and the code", async () => {
      const cases: [Record<string, string>, Record<string, string>, string, RegExp][] = [
        [
          { objectName: "missing", objectType: "secret" },
          SP,
          "NOT_FOUND",
          /^failed to mount objects, error: failed to get objectType:secret, objectName:missing, objectVersion:: Key Vault answered 404 SecretNotFound: A secret with \(name\/id\) missing was not found/,
        ],
        [
          {
            objectName: "db-password",
            objectType: "secret",
            objectVersion: "7d3e9f1a5c2b4e8d9a6f0c1b3e5d7a91",
          },
          SP,
          "PERMISSION_DENIED",
          /objectName:db-password, objectVersion:7d3e9f1a5c2b4e8d9a6f0c1b3e5d7a91: Key Vault answered 403 Forbidden: Operation get is not allowed on a disabled secret/,
        ],
        [
          { objectName: "api-key", objectType: "secret" },
          OUTSIDER,
          "PERMISSION_DENIED",
          /Key Vault answered 403 Forbidden: The user, group or application 'appid=22222222-2222-2222-2222-222222222222;.*does not have secrets get permission/,
        ],
        [
          { objectName: "api-key", objectType: "secret" },
          { clientid: SP.clientid, clientsecret: "wrong" },
          "UNAUTHENTICATED",
          /objectName:api-key, objectVersion:: failed to get a token: .*AADSTS7000215/,
        ],
        [
          { objectName: "api-key", objectType: "secret", objectEncoding: "base64" },
          SP,
          "FAILED_PRECONDITION",
          /failed to decode the value as base64/,
        ],
      ];
      for (const [object, secrets, code, message] of cases) {
        const error = await client.mount(mountRequest({ objects: [object], secrets })).then(
          () => assert.fail("mount should fail"),
          (e) => e,
        );
        assert.equal(error.code, grpcCode(code), `${code} for ${JSON.stringify(object)}: ${error.details}`);
        assert.match(error.details, message);
        for (const value of SEEDED_VALUES) assert.ok(!error.details.includes(value), "no secret in errors");
      }
    });

    await t.step("all or nothing: one failing object fails the mount with no files", async () => {
      const error = await client.mount(mountRequest({
        objects: [{ objectName: "api-key", objectType: "secret" }, {
          objectName: "missing",
          objectType: "secret",
        }],
        secrets: SP,
      })).then(() => assert.fail("mount should fail"), (e) => e);
      assert.equal(error.code, grpcCode("NOT_FOUND"));
    });
  } finally {
    client.close();
    await world.close();
  }
  assert.ok(!SEEDED_VALUES.some((value) => world.provider.output().includes(value)), "no secret in logs");
  assert.ok(TENANT);
});

function grpcCode(name: string): number {
  return {
    NOT_FOUND: 5,
    PERMISSION_DENIED: 7,
    UNAUTHENTICATED: 16,
    FAILED_PRECONDITION: 9,
    INVALID_ARGUMENT: 3,
  }[
    name
  ]!;
}
