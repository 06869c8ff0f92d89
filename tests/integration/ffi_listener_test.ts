/**
 * The provider with `--unix-listener=ffi`, the listener Windows nodes use, run on Linux against
 * libc: the production permission list plus `--allow-ffi` for exactly the library the per-OS
 * table opens, the real socket, python3-grpcio and grpc-js clients, and the emulator.
 */
import assert from "node:assert/strict";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { productionPermissions, startProviderProcess } from "../harness/provider_process.ts";
import { pythonCall, pythonMount } from "../harness/python_client.ts";
import { mountRequest } from "../harness/spc.ts";
import { PLATFORMS } from "../../src/transport/afunix/platform.ts";
import { SEEDED_VALUES, SP, startWorld } from "./fixtures.ts";
import { freePort } from "../harness/net.ts";
import { until } from "../harness/wait.ts";

const FFI_GRANT = `--allow-ffi=${PLATFORMS.linux.library}`;
const FFI_PERMISSIONS = [...productionPermissions(), FFI_GRANT];

const OBJECTS: Record<string, string>[] = [
  { objectName: "db-password", objectType: "secret" },
  { objectName: "api-key", objectType: "secret", objectAlias: "keys/api", filePermission: "0600" },
  { objectName: "blob-b64", objectType: "secret", objectEncoding: "base64" },
  { objectName: "unicode", objectType: "secret" },
];

Deno.test("FFI listener: Version, Health and full Mounts through the real socket, /healthz, clean stop", async (t) => {
  const healthzPort = freePort();
  const world = await startWorld({
    args: ["--unix-listener=ffi", `--healthz-port=${healthzPort}`],
    permissions: FFI_PERMISSIONS,
  });
  const socket = world.provider.socketPath;
  const client = providerClient(socket);
  let stopped = false;
  try {
    await t.step("the socket is a socket, private to its owner", async () => {
      const info = await Deno.lstat(socket);
      assert.equal(info.isSocket, true);
      assert.equal(info.mode! & 0o777, 0o600);
    });

    await t.step("python3-grpcio: Version and Health", async () => {
      assert.deepEqual(await pythonCall(socket, "Version"), {
        version: "v1alpha1",
        runtime_name: "secrets-store-csi-driver-provider-azure",
        runtime_version: "0.1.0",
      });
      assert.deepEqual(await pythonCall(socket, "Health"), { status: "SERVING" });
    });

    await t.step("python3-grpcio: a full Mount against the emulator, bytes, modes and versions", async () => {
      world.emulator.resetRequests();
      const response = await pythonMount(socket, mountRequest({ objects: OBJECTS, secrets: SP }));
      assert.equal(response.error, undefined);
      assert.deepEqual(response.files?.map((f) => [f.path, f.mode.toString(8), text(f.contents)]), [
        ["db-password", "644", "current-Passw0rd"],
        ["keys/api", "600", "ak_live_0123456789abcdef"],
        ["blob-b64", "644", "\u0000\u0001\u0002\ufffd\ufffd\ufffd"],
        ["unicode", "644", "pässwörd ✓ 🔑"],
      ]);
      assert.deepEqual([...response.files![2].contents], [0, 1, 2, 253, 254, 255]);
      assert.deepEqual(response.object_version, [
        { id: "secret/db-password", version: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63" },
        { id: "secret/api-key", version: "5e8a1c3f7b9d4e2a6c0f8b1d3e5a7c92" },
        { id: "secret/blob-b64", version: "aa01" },
        { id: "secret/unicode", version: "cc03" },
      ]);
      const vault = world.emulator.requests({ service: "keyvault" });
      assert.equal(vault.filter((r) => r.status === 200).length, OBJECTS.length, "one GET per object");
    });

    await t.step("grpc-js: the same Mount, and a Key Vault error with its code and message", async () => {
      const response = await client.mount(mountRequest({ objects: OBJECTS, secrets: SP }));
      assert.deepEqual(response.files.map((f) => f.path), ["db-password", "keys/api", "blob-b64", "unicode"]);
      assert.equal(text(response.files[1].contents), "ak_live_0123456789abcdef");
      const error = await client.mount(mountRequest({
        objects: [{ objectName: "missing", objectType: "secret" }],
        secrets: SP,
      })).then(() => assert.fail("mount should fail"), (e) => e);
      assert.equal(error.code, 5, "NOT_FOUND");
      assert.match(
        error.details,
        /objectName:missing, objectVersion:: Key Vault answered 404 SecretNotFound/,
      );
    });

    await t.step("several clients at once on separate connections", async () => {
      const results = await Promise.all([
        pythonCall(socket, "Version"),
        pythonCall(socket, "Health"),
        client.health(),
        pythonMount(socket, mountRequest({ objects: OBJECTS.slice(0, 1), secrets: SP })),
      ]);
      assert.equal(results[0].version, "v1alpha1");
      assert.deepEqual(results[1], { status: "SERVING" });
      assert.deepEqual(results[2], { status: 1 });
      assert.equal(
        text((results[3] as { files: { contents: Uint8Array }[] }).files[0].contents),
        "current-Passw0rd",
      );
    });

    await t.step("/healthz dials the socket through FFI too", async () => {
      const response = await fetch(`http://127.0.0.1:${healthzPort}/healthz`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "ok");
    });

    await t.step("SIGTERM: exit 0, the socket file removed", async () => {
      client.close();
      assert.equal(await world.provider.stop("SIGTERM"), 0);
      stopped = true;
      await assert.rejects(Deno.lstat(socket), Deno.errors.NotFound);
      assert.doesNotMatch(world.provider.output(), /accept on the provider socket failed|still busy/);
    });
  } finally {
    client.close();
    await world.close();
    if (!stopped) await world.provider.exited;
  }
  assert.ok(!SEEDED_VALUES.some((value) => world.provider.output().includes(value)), "no secret in logs");
});

Deno.test("FFI listener: without the --allow-ffi grant the provider names the grant and exits", async () => {
  const provider = await startProviderProcess({ args: ["--unix-listener=ffi"], waitReady: false });
  const status = await provider.exited;
  assert.notEqual(status.code, 0);
  assert.match(
    provider.output(),
    new RegExp(
      `the FFI Unix socket listener cannot open ${PLATFORMS.linux.library}: the provider runs without ${FFI_GRANT}`,
    ),
  );
  await assert.rejects(Deno.lstat(provider.socketPath), Deno.errors.NotFound, "no socket left behind");
  await Deno.remove(provider.socketDir, { recursive: true });
});

Deno.test("FFI listener: a socket left by a killed provider is replaced at start", async () => {
  const first = await startProviderProcess({ args: ["--unix-listener=ffi"], permissions: FFI_PERMISSIONS });
  await first.stop("SIGKILL");
  assert.equal((await Deno.lstat(first.socketPath)).isSocket, true, "the killed provider left its socket");
  // The stale file is a socket already, so wait for the new provider's own word that it listens.
  const second = await startProviderProcess({
    args: ["--unix-listener=ffi"],
    permissions: FFI_PERMISSIONS,
    socketDir: first.socketDir,
    waitReady: false,
  });
  try {
    await until(() => second.output().includes("provider listening"), "the second provider to listen");
    assert.match(second.output(), /provider listening/);
    assert.equal((await pythonCall(second.socketPath, "Version")).version, "v1alpha1");
  } finally {
    assert.equal(await second.stop(), 0, second.output());
    await Deno.remove(first.socketDir, { recursive: true });
  }
});
