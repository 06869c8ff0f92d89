type Command = (args: readonly string[]) => Promise<number>;

/**
 * The one-shot commands of the binary, by their first argument, each loaded only when run: the
 * provider serving its socket never loads them (nor the mount pipeline they import).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  validate: async () => (await import("./validate.ts")).runValidate,
  mount: async () => (await import("./mount.ts")).runMount,
};

/** The lines the provider's `--help` adds about the one-shot commands. */
export const COMMANDS_HELP = [
  "Commands (first argument; each has --help):",
  "  validate <spc.yaml>…         check SecretProviderClass manifests without a cluster or a network call",
  "  mount --spc <f> --pod <p> …  make the Mount the driver would make, and write or list its files",
].join("\n");

/** Runs the command the first argument names, or returns undefined when it names none (serve). */
export function runCommand(args: readonly string[]): Promise<number> | undefined {
  const load = args.length > 0 && Object.hasOwn(COMMANDS, args[0]) ? COMMANDS[args[0]] : undefined;
  return load?.().then((command) => command(args.slice(1)));
}
