import { Mounter } from "./mount/mount.ts";
import type { ProviderFlags } from "./ops/flags.ts";
import type { Logger } from "./ops/logger.ts";
import { parseEndpoint } from "./server/endpoint.ts";
import { ProviderServer } from "./server/grpc_server.ts";

/** A running provider: its server and how to stop it. */
export interface RunningProvider {
  readonly server: ProviderServer;
  readonly mounter: Mounter;
  stop(): Promise<void>;
}

/** Builds the mount pipeline and the gRPC server from the flags, and starts listening. */
export async function startProvider(flags: ProviderFlags, logger: Logger): Promise<RunningProvider> {
  const mounter = new Mounter({
    options: {
      constructPemChain: flags.constructPemChain,
      writeCertAndKeyInSeparateFiles: flags.writeCertAndKeyInSeparateFiles,
      defaultCloudName: flags.cloudName,
      nmiAddress: flags.nmiAddress,
      objectConcurrency: flags.objectConcurrency,
    },
    logger,
    readTextFile: (path) => Deno.readTextFileSync(path),
  });
  const server = new ProviderServer({ endpoint: parseEndpoint(flags.endpoint), mounter, logger });
  await server.listen();
  logger.info("provider listening", { endpoint: flags.endpoint });
  return { server, mounter, stop: () => server.shutdown(flags.shutdownGraceMs) };
}
