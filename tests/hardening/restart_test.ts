/**
 * The provider killed mid-mount (SIGKILL: no cleanup) and started again on the same socket
 * path, while a client built like the driver's keeps its channel open: `unix:` target,
 * authority localhost, 4 MiB receive limit, and the driver's default service config
 * (waitForReady, 3 attempts on UNAVAILABLE).
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { startProviderProcess } from "../harness/provider_process.ts";
import { startEmulator } from "../emulator/emulator.ts";
import { AS, filesOf, leakedInto, request, SEED, valueOf } from "./world.ts";
import { type MountRequestJson, type MountResponseJson, ProviderClient } from "../harness/grpc_client.ts";
import { until } from "../harness/wait.ts";

/** The Secrets Store CSI Driver's channel settings (pkg/secrets-store/provider_client.go). */
const DRIVER_SERVICE_CONFIG = {
  methodConfig: [{
    name: [{ service: "v1alpha1.CSIDriverProvider" }],
    waitForReady: true,
    retryPolicy: {
      maxAttempts: 3,
      initialBackoff: "1s",
      maxBackoff: "10s",
      backoffMultiplier: 1.1,
      retryableStatusCodes: ["UNAVAILABLE"],
    },
  }],
};

function driverClient(socketPath: string) {
  const client = new ProviderClient(`unix:${socketPath}`, grpc.credentials.createInsecure(), {
    "grpc.default_authority": "localhost",
    "grpc.max_receive_message_length": 4 * 1024 * 1024,
    "grpc.service_config": JSON.stringify(DRIVER_SERVICE_CONFIG),
  });
  const mount = (req: MountRequestJson, deadlineMs = 60_000) =>
    new Promise<{ code: grpc.status; details: string; response?: MountResponseJson }>((resolve) => {
      // grpc-js does not read waitForReady from a service config; it takes it per call.
      const metadata = new grpc.Metadata();
      metadata.setOptions({ waitForReady: true });
      // deno-lint-ignore no-explicit-any
      (client as any).Mount(
        { target_path: "/var/lib/kubelet/pods/x/volumes/mount", ...req },
        metadata,
        { deadline: Date.now() + deadlineMs },
        (error: grpc.ServiceError | null, response: MountResponseJson) =>
          resolve(
            error
              ? { code: error.code, details: error.details }
              : { code: grpc.status.OK, details: "", response },
          ),
      );
    });
  /** Waits (bounded) until the channel has noticed its connection is gone. */
  const noticedLoss = () =>
    until(
      () => client.getChannel().getConnectivityState(false) !== grpc.connectivityState.READY,
      "the channel to notice",
      { timeoutMs: 5_000 },
    ).then(() => true, () => false);
  return { mount, noticedLoss, close: () => client.close() };
}

Deno.test("restart: SIGKILL mid-mount, a new provider on the same socket, the driver's channel reconnects", async () => {
  const emulator = await startEmulator({ seed: SEED });
  const socketDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "provider-restart-" });
  const env = emulator.env();
  let provider = await startProviderProcess({ env, socketDir });
  const killed = provider;
  const client = driverClient(provider.socketPath);
  const expected = { alpha: valueOf("vault-a", "alpha") };
  try {
    const warm = await client.mount(request(AS.sp(4), ["alpha"]));
    assert.equal(warm.code, grpc.status.OK, warm.details);

    // A mount under way when the provider dies: its Key Vault GET is slowed down.
    emulator.resetRequests();
    emulator.setFaults([{ kind: "latency", ms: 2_000, service: "keyvault", pathPrefix: "/secrets/alpha" }]);
    const interrupted = client.mount(request(AS.sp(4), ["alpha"]));
    await until(() => emulator.requests({ service: "keyvault" }).length > 0, "the slowed Key Vault GET");
    assert.equal(await provider.stop("SIGKILL"), 137);
    const stale = await Deno.lstat(provider.socketPath);
    assert.ok(stale.isSocket, "a killed provider leaves its socket file behind");
    emulator.clearFaults();

    // While no provider listens, the driver's channel waits (waitForReady) instead of failing.
    const noticed = await client.noticedLoss();
    const whileDown = client.mount(request(AS.sp(4), ["alpha"]));
    await new Promise((resolve) => setTimeout(resolve, 500));

    provider = await startProviderProcess({ env, socketDir });
    const [first, second] = await Promise.all([interrupted, whileDown]);
    // The interrupted call either failed whole or was retried by the driver's retry policy
    // against the new provider: never a partial answer. (grpc-js under Deno reports the lost
    // connection as INTERNAL "write EPIPE" where grpc-go says UNAVAILABLE.)
    if (first.code === grpc.status.OK) assert.deepEqual(filesOf(first.response), expected);
    else assert.equal(first.response, undefined, first.details);
    assert.equal(second.code, grpc.status.OK, second.details);
    assert.deepEqual(filesOf(second.response), expected);

    const after = await client.mount(request(AS.sp(4), ["alpha", "beta"]));
    assert.equal(after.code, grpc.status.OK, after.details);
    assert.deepEqual(filesOf(after.response), { ...expected, beta: valueOf("vault-a", "beta") });

    const info = await Deno.lstat(provider.socketPath);
    assert.ok(info.isSocket);
    assert.equal(info.mode! & 0o777, 0o600, "the new socket is private again");
    const leftovers = [...Deno.readDirSync(socketDir)].map((entry) => entry.name);
    assert.deepEqual(leftovers, ["azure.sock"], "no stale socket or private bind folder left");
    const killedGet = emulator.requests({ service: "keyvault" })[0];
    assert.equal(killedGet.aborted, true, "the dead provider's Key Vault request ended with its connection");
    console.log(
      `restart: the channel noticed the lost connection: ${noticed}; the interrupted mount ended ${
        grpc.status[first.code]
      }, the mount sent while no provider listened ${grpc.status[second.code]}`,
    );
  } finally {
    client.close();
    await provider.stop();
    await emulator.close();
    await Deno.remove(socketDir, { recursive: true }).catch(() => {});
  }
  assert.deepEqual(
    leakedInto(killed.output() + provider.output(), emulator),
    [],
    "no secret or token in the logs",
  );
});
