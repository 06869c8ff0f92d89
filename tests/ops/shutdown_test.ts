/**
 * Graceful shutdown of the real process: on SIGTERM or SIGINT the provider stops accepting
 * connections, lets a mount under way finish (within --shutdown-grace-period), removes its socket
 * and exits 0. Slow mounts come from the emulator's latency and hang faults.
 */
import assert from "node:assert/strict";
import type { ServiceError } from "@grpc/grpc-js";
import type { Emulator } from "../emulator/emulator.ts";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import type { ProviderProcess } from "../harness/provider_process.ts";
import { mountRequest } from "../harness/spc.ts";
import { SP, startWorld } from "../integration/fixtures.ts";

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Resolves once a Key Vault request is held by the given fault, i.e. a mount is under way. */
function heldByFault(emulator: Emulator, fault: string): Promise<void> {
  return until(
    () => emulator.requests({ service: "keyvault" }).some((r) => r.fault === fault),
    "a held request",
  );
}

function signalled(provider: ProviderProcess, signal: Deno.Signal): Promise<void> {
  Deno.kill(provider.pid, signal);
  return until(() => provider.output().includes(`shutting down signal=${signal}`), "the shutdown to begin");
}

const OBJECTS = [{ objectName: "db-password", objectType: "secret" }];

Deno.test("SIGTERM: no new connections, the mount under way finishes, socket removed, exit 0", async () => {
  const world = await startWorld();
  const { emulator, provider } = world;
  const client = providerClient(provider.socketPath);
  const late = providerClient(provider.socketPath);
  try {
    emulator.setFaults({ kind: "latency", service: "keyvault", ms: 1500, times: 1 });
    const mounting = client.mount(mountRequest({ objects: OBJECTS, secrets: SP }));
    await heldByFault(emulator, "latency");
    await signalled(provider, "SIGTERM");

    const refused = await late.version().then(() => undefined, (error: ServiceError) => error);
    assert.ok(refused, "a connection made after SIGTERM is not served");
    assert.equal(refused.code, 14, refused.details);

    const response = await mounting;
    assert.deepEqual(response.files.map((f) => [f.path, text(f.contents)]), [[
      "db-password",
      "current-Passw0rd",
    ]]);
    const status = await provider.exited;
    assert.equal(status.code, 0, provider.output());
    await assert.rejects(Deno.lstat(provider.socketPath), Deno.errors.NotFound);
    assert.match(provider.output(), /INFO stopped\n$/);
    assert.doesNotMatch(provider.output(), /grace period/);
  } finally {
    client.close();
    late.close();
    await world.close();
  }
});

Deno.test("SIGTERM: a mount still running after --shutdown-grace-period is cut off; exit 0 all the same", async () => {
  const world = await startWorld({ args: ["--shutdown-grace-period=300ms"] });
  const { emulator, provider } = world;
  const client = providerClient(provider.socketPath);
  try {
    emulator.setFaults({ kind: "hang", service: "keyvault" });
    const mounting = client.mount(mountRequest({ objects: OBJECTS, secrets: SP }));
    await heldByFault(emulator, "hang");
    await signalled(provider, "SIGTERM");
    const failure = await mounting.then(() => assert.fail("the mount cannot finish"), (e: ServiceError) => e);
    assert.ok(
      [1, 14].includes(failure.code),
      `cancelled or unavailable, got ${failure.code} ${failure.details}`,
    );
    assert.equal((await provider.exited).code, 0);
    assert.match(
      provider.output(),
      /mounts still running after the shutdown grace period; closing inFlight=1/,
    );
    await assert.rejects(Deno.lstat(provider.socketPath), Deno.errors.NotFound);
  } finally {
    client.close();
    emulator.clearFaults();
    await world.close();
  }
});

Deno.test("SIGINT: the same clean stop", async () => {
  const world = await startWorld();
  try {
    await signalled(world.provider, "SIGINT");
    assert.equal((await world.provider.exited).code, 0);
    await assert.rejects(Deno.lstat(world.provider.socketPath), Deno.errors.NotFound);
  } finally {
    await world.close();
  }
});
