/**
 * The Azure Key Vault provider for the Secrets Store CSI Driver: serves the driver's gRPC
 * provider API on a Unix socket until SIGTERM or SIGINT. `validate` and `mount` as the first
 * argument run the one-shot commands of src/cli/ instead.
 */
import { COMMANDS_HELP, runCommand } from "./src/cli/commands.ts";
import { FlagError, parseFlags, usage } from "./src/ops/flags.ts";
import { createLogger, type Logger } from "./src/log/logger.ts";
import { startProvider } from "./src/provider.ts";
import { PROVIDER_NAME, PROVIDER_VERSION } from "./src/version.ts";

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h") || args.includes("-help")) {
    console.log(`${usage()}\n\n${COMMANDS_HELP}`);
    return 0;
  }
  let flags;
  try {
    flags = parseFlags(args);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  if (flags.version) {
    console.log(
      JSON.stringify({
        name: PROVIDER_NAME,
        version: PROVIDER_VERSION,
        runtime: `deno ${Deno.version.deno}`,
      }),
    );
    return 0;
  }
  const logger = createLogger({ json: flags.logFormatJson, verbosity: flags.verbosity });
  for (const name of flags.ignored) logger.warn(`flag --${name} has no effect and is ignored`);
  // Before the socket exists: kubelet may send SIGTERM at any moment, also during start-up,
  // and a signal without a handler kills the process and leaves the socket file behind.
  const stopSignal = stopRequested(logger);
  let provider;
  try {
    provider = await startProvider(flags, logger);
  } catch (error) {
    // A provider that cannot listen must say why in one line and exit, so kubelet restarts it.
    logger.error("cannot start the provider", {
      error: error instanceof Error ? error.message : String(error),
    });
    return 1;
  }
  await stopSignal;
  await provider.stop();
  logger.info("stopped");
  return 0;
}

/**
 * Installs the stop signals' handlers now and resolves at the first of them (later ones are
 * ignored: the stop under way finishes). A signal that arrives while the provider is still
 * starting is kept, and the provider stops as soon as it has started.
 */
function stopRequested(logger: Logger): Promise<Deno.Signal> {
  const requested = Promise.withResolvers<Deno.Signal>();
  let stopping = false;
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGTERM", "SIGINT"];
  for (const signal of signals) {
    Deno.addSignalListener(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info("shutting down", { signal });
      requested.resolve(signal);
    });
  }
  return requested.promise;
}

if (import.meta.main) {
  Deno.exit(await (runCommand(Deno.args) ?? main(Deno.args)));
}
