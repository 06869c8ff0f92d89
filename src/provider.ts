import type { Mounter } from "./mount/mount.ts";
import { mountOptions, type ProviderFlags } from "./ops/flags.ts";
import { readGrantedTextFile } from "./ops/granted_files.ts";
import { serveHealth } from "./ops/health.ts";
import type { HttpEndpoint } from "./ops/http_endpoint.ts";
import type { Logger } from "./log/logger.ts";
import { ProviderMetrics, serveMetrics } from "./ops/metrics.ts";
import { parseEndpoint } from "./transport/endpoint.ts";
import { ProviderServer } from "./server/grpc_server.ts";

/** A running provider: how to stop it. */
export interface RunningProvider {
  stop(): Promise<void>;
}

/** What the server needs of the mount pipeline. */
export type MountPipeline = Pick<Mounter, "mount">;

/** Builds the mount pipeline and the gRPC server from the flags, and starts listening. */
export async function startProvider(flags: ProviderFlags, logger: Logger): Promise<RunningProvider> {
  const metrics = new ProviderMetrics();
  const mounter = loadedOnFirstMount(async () => {
    const { Mounter } = await import("./mount/mount.ts");
    return new Mounter({
      options: mountOptions(flags),
      logger,
      readTextFile: readGrantedTextFile,
      observer: metrics,
    });
  });
  const endpoint = parseEndpoint(flags.endpoint);
  const server = new ProviderServer({
    endpoint,
    mounter,
    logger,
    onRpc: metrics.grpcRequest,
    unixListener: flags.unixListener,
  });
  await server.listen();
  logger.info("provider listening", { endpoint: flags.endpoint });
  const http = await Promise.all([
    flags.prometheusPort > 0 && serveMetrics(metrics, { port: flags.prometheusPort, logger }),
    flags.healthzPort > 0 && serveHealth({
      port: flags.healthzPort,
      path: flags.healthzPath,
      timeoutMs: flags.healthzTimeoutMs,
      endpoint,
      unixListener: flags.unixListener,
      logger,
    }),
  ].map((started) => optional(started, logger)));
  return {
    async stop() {
      await server.shutdown(flags.shutdownGraceMs);
      await Promise.all(http.map((endpoint) => endpoint?.close()));
    },
  };
}

/**
 * The mount pipeline, loaded when the first Mount arrives. The Azure SDKs, YAML and certificate
 * code it imports are most of the provider's start-up time and 10–15 MiB of its memory, which
 * the provider on a node that never mounts from Key Vault (the DaemonSet runs on every node)
 * never needs; the first Mount after a start pays the loading once.
 */
function loadedOnFirstMount(load: () => Promise<Mounter>): MountPipeline {
  let loading: Promise<Mounter> | undefined;
  return {
    mount(request, signal) {
      if (!loading) {
        loading = load();
        loading.catch(() => loading = undefined);
      }
      return loading.then((mounter) => mounter.mount(request, signal));
    },
  };
}

/**
 * A metrics or health endpoint that cannot bind (its port taken on the host network) is logged
 * and skipped rather than fatal, as in the Go provider: mounts matter more than either.
 */
async function optional(
  started: Promise<HttpEndpoint> | false,
  logger: Logger,
): Promise<HttpEndpoint | undefined> {
  if (!started) return undefined;
  try {
    return await started;
  } catch (error) {
    logger.error((error as Error).message);
    return undefined;
  }
}
