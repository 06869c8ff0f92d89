/**
 * Starts the real provider (main.ts) as a child process with exactly the permission list of
 * deploy/permissions.linux, on a socket in a fresh folder, and collects everything it prints.
 */
import { fileURLToPath } from "node:url";
import { spawn } from "./child_process.ts";
import { baseEnv } from "./env.ts";
import { until } from "./wait.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The permission flags the provider runs with in production (one flag per line). */
export function productionPermissions(file = "deploy/permissions.linux"): string[] {
  return Deno.readTextFileSync(ROOT + file).split(/\s+/).filter((flag) => flag !== "");
}

/** The V8 flags the provider runs with in production (deploy/v8-flags: memory, not permissions). */
export function productionV8Flags(): string[] {
  return Deno.readTextFileSync(ROOT + "deploy/v8-flags").split(/\s+/).filter((flag) => flag !== "");
}

/**
 * For the log-redaction test, which reruns the integration tests at the highest verbosity:
 * PROVIDER_TEST_EXTRA_ARGS (a JSON array) is appended to every provider's flags, and with
 * PROVIDER_TEST_OUTPUT_DIR set each provider's whole output is also written there on exit.
 */
const EXTRA_ARGS: string[] = JSON.parse(Deno.env.get("PROVIDER_TEST_EXTRA_ARGS") ?? "[]");
const OUTPUT_DIR = Deno.env.get("PROVIDER_TEST_OUTPUT_DIR");

/** Options for {@link startProviderProcess}. */
export interface ProviderProcessOptions {
  /** Extra provider flags (after `--endpoint`). */
  readonly args?: readonly string[];
  /** Environment for the provider, e.g. the emulator's `env()`. */
  readonly env?: Record<string, string>;
  /** Folder for the socket; a new one under /tmp by default. */
  readonly socketDir?: string;
  /** Permission flags; the production list by default. */
  readonly permissions?: readonly string[];
  /** Socket file name; `azure.sock` by default. */
  readonly socketName?: string;
  /** Wait for the socket to answer health checks (default true). */
  readonly waitReady?: boolean;
  /** `--v8-flags=…` arguments instead of deploy/v8-flags. */
  readonly v8Flags?: readonly string[];
  /** The `deno` to run main.ts with; this one by default. */
  readonly executable?: string;
  /** A command prefix that execs the rest, e.g. one that enters a memory cgroup first. */
  readonly launcher?: readonly string[];
}

/** A running provider process. */
export interface ProviderProcess {
  readonly socketPath: string;
  readonly socketDir: string;
  readonly pid: number;
  /** Everything the provider wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** The exit status, once it has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
}

/** Starts main.ts as the production provider would run, and waits until its socket answers. */
export async function startProviderProcess(options: ProviderProcessOptions = {}): Promise<ProviderProcess> {
  const socketDir = options.socketDir ?? await Deno.makeTempDir({ dir: "/tmp", prefix: "provider-" });
  const socketPath = `${socketDir}/${options.socketName ?? "azure.sock"}`;
  const args = [
    "run",
    ...(options.permissions ?? productionPermissions()),
    ...(options.v8Flags ?? productionV8Flags()),
    ROOT + "main.ts",
    `--endpoint=unix://${socketPath}`,
    "--healthz-port=0",
    "--prometheus-port=0",
    ...(options.args ?? []),
    ...EXTRA_ARGS,
  ];
  const launcher = options.launcher ?? [];
  const command = [...launcher, options.executable ?? Deno.execPath(), ...args];
  const child = spawn("provider", command[0], command.slice(1), { ...baseEnv(), ...(options.env ?? {}) });
  const exited = child.exited.then(async (status) => {
    if (OUTPUT_DIR) await Deno.writeTextFile(`${OUTPUT_DIR}/provider-${child.pid}.log`, child.output());
    return status;
  });
  const process: ProviderProcess = {
    socketPath,
    socketDir,
    pid: child.pid,
    output: child.output,
    exited,
    async stop(signal: Deno.Signal = "SIGTERM") {
      child.kill(signal);
      return (await exited).code;
    },
  };
  if (options.waitReady !== false) {
    await waitForSocket(process);
    await waitForEndpoints(process, args);
  }
  return process;
}

/**
 * Resolves once each HTTP endpoint the flags ask for is listening or has failed to bind: the
 * provider opens them after its socket, as the Go provider does, so the socket alone does not
 * mean /healthz answers yet.
 */
async function waitForEndpoints(process: ProviderProcess, args: readonly string[]): Promise<void> {
  const endpoints: [flag: string, name: string][] = [["--healthz-port", "healthz"], [
    "--prometheus-port",
    "metrics",
  ]];
  for (const [flag, name] of endpoints) {
    const port = args.findLast((arg) => arg.startsWith(`${flag}=`))?.slice(flag.length + 1);
    if (port === undefined || Number(port) === 0) continue;
    const settled = new RegExp(`${name} endpoint listening|cannot serve ${name} on port`);
    await until(() => settled.test(process.output()), `the ${name} endpoint`);
  }
}

/** Resolves once the provider's socket exists; throws with its output if it exits first. */
async function waitForSocket(process: ProviderProcess): Promise<void> {
  let exited = false;
  process.exited.then(() => exited = true);
  const isSocket = () => Deno.lstat(process.socketPath).then((info) => info.isSocket, () => false);
  const ready = await until(async () => exited || await isSocket(), `the socket ${process.socketPath}`)
    .then(() => !exited, () => false);
  if (!ready) {
    throw new Error(`provider did not create ${process.socketPath}; output:
${process.output()}`);
  }
}
