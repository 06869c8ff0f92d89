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
import { type ProviderProcess, startProviderProcess } from "../harness/provider_process.ts";
import { mountRequest } from "../harness/spc.ts";
import { SP, startWorld } from "../integration/fixtures.ts";
import { freePort } from "../harness/net.ts";
import { until } from "../harness/wait.ts";

/** Resolves once a Key Vault request is held by the given fault, i.e. a mount is under way. */
async function heldByFault(emulator: Emulator, fault: string): Promise<void> {
  await until(
    () => emulator.requests({ service: "keyvault" }).some((r) => r.fault === fault),
    "a held request",
  );
}

/** Sends `signal` and waits for the provider to say it is shutting down (or to have exited). */
async function signalled(provider: ProviderProcess, signal: Deno.Signal): Promise<void> {
  let exited = false;
  provider.exited.then(() => exited = true);
  Deno.kill(provider.pid, signal);
  await until(
    () => exited || provider.output().includes(`shutting down signal=${signal}`),
    "the shutdown to begin",
  );
  assert.match(provider.output(), new RegExp(`shutting down signal=${signal}`), provider.output());
}

/** Whether anything (a socket, or a file left behind) is at `path`. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
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

Deno.test("SIGTERM as soon as the socket appears (start-up not finished): clean stop, exit 0, no socket left", async () => {
  // Kubelet may stop the provider at any moment, also while it is still starting; a signal
  // that arrived before the handlers were installed killed it (143) and left the socket file.
  for (let attempt = 0; attempt < 5; attempt++) {
    // With the health and metrics endpoints on, as in production: starting them is part of start-up.
    const [healthz, metrics] = [freePort(), freePort()];
    const provider = await startProviderProcess({
      waitReady: false,
      args: [`--healthz-port=${healthz}`, `--prometheus-port=${metrics}`],
    });
    let exited = false;
    provider.exited.then(() => exited = true);
    try {
      await until(async () => exited || await exists(provider.socketPath), "the socket file", {
        intervalMs: 0,
      });
      assert.ok(!exited, `the provider exited before listening:\n${provider.output()}`);
      Deno.kill(provider.pid, "SIGTERM");
      const status = await provider.exited;
      assert.equal(
        status.code,
        0,
        `attempt ${attempt}: exit ${status.code}, signal ${status.signal}\n${provider.output()}`,
      );
      assert.equal(await exists(provider.socketPath), false, `attempt ${attempt}: the socket file is left`);
      assert.match(provider.output(), /shutting down signal=SIGTERM[\s\S]*INFO stopped\n$/);
    } finally {
      await provider.stop();
      await Deno.remove(provider.socketDir, { recursive: true }).catch(() => {});
    }
  }
});
