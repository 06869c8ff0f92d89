import { runMount } from "./mount.ts";
import { runValidate } from "./validate.ts";

/** The one-shot commands of the binary, by their first argument. */
const COMMANDS: Readonly<Record<string, (args: readonly string[]) => Promise<number>>> = {
  validate: runValidate,
  mount: runMount,
};

/** The lines the provider's `--help` adds about the one-shot commands. */
export const COMMANDS_HELP = [
  "Commands (first argument; each has --help):",
  "  validate <spc.yaml>…         check SecretProviderClass manifests without a cluster or a network call",
  "  mount --spc <f> --pod <p> …  make the Mount the driver would make, and write or list its files",
].join("\n");

/** Runs the command the first argument names, or returns undefined when it names none (serve). */
export function runCommand(args: readonly string[]): Promise<number> | undefined {
  const command = args.length > 0 ? COMMANDS[args[0]] : undefined;
  return command?.(args.slice(1));
}
