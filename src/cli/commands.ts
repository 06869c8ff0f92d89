import { runMount } from "./mount.ts";
import { runValidate } from "./validate.ts";

/** The one-shot commands of the binary, by their first argument. */
const COMMANDS: Readonly<Record<string, (args: readonly string[]) => Promise<number>>> = {
  validate: runValidate,
  mount: runMount,
};

/** Runs the command the first argument names, or returns undefined when it names none (serve). */
export function runCommand(args: readonly string[]): Promise<number> | undefined {
  const command = args.length > 0 ? COMMANDS[args[0]] : undefined;
  return command?.(args.slice(1));
}
