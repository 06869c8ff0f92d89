import { FlagError, FLAGS, parseFlags, type ProviderFlags } from "../ops/flags.ts";

/** A command line that cannot be run as written; the command prints it and exits with 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Takes the provider's own flags that shape a mount (`--cloud-name`, `-v`, …) out of a
 * command's arguments and parses them with the provider's parser, so that a one-shot command
 * reads them exactly as the provider does. Returns the parsed flags and the other arguments.
 */
export function takeProviderFlags(
  args: readonly string[],
  names: readonly string[],
): { flags: ProviderFlags; rest: string[] } {
  const provider: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const match = /^--?([^=]+)(=.*)?$/.exec(args[i]);
    const name = match?.[1];
    if (name === undefined || !names.includes(name)) {
      rest.push(args[i]);
      continue;
    }
    provider.push(args[i]);
    const needsValue = match?.[2] === undefined && FLAGS[name].kind !== "bool";
    if (needsValue) {
      if (i + 1 >= args.length) throw new UsageError(`flag --${name} needs a value`);
      provider.push(args[++i]);
    }
  }
  try {
    return { flags: parseFlags(provider), rest };
  } catch (error) {
    if (error instanceof FlagError) throw new UsageError(error.message.replace(/ \(see --help\)$/, ""));
    throw error;
  }
}

/** The help lines of provider flags a command accepts, as the provider's `--help` words them. */
export function providerFlagHelp(names: readonly string[]): string[] {
  return names.map((name) => {
    const spec = FLAGS[name];
    const value = spec.kind === "bool" ? "" : ` <${spec.kind}>`;
    return `  --${name}${value}  ${spec.help} (default ${JSON.stringify(spec.default)})`;
  });
}

/** Prints a usage error the way every command does, and returns exit code 2. */
export function usageFailure(error: unknown): number {
  if (!(error instanceof UsageError) && !(error instanceof TypeError && "code" in error)) throw error;
  const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
  console.error(`error: ${message} (see --help)`);
  return 2;
}
