/**
 * The two providers under test, started the same way from the benchmark's point of view: a
 * fresh socket folder, the emulator's proxy and CA in the environment, their metrics and
 * health endpoints on free ports as in production, and a clock started just before spawn.
 *
 * Our provider trusts the emulator's CA through `DENO_CERT` by default: the runtime adds it to
 * the root store every TLS connection uses when given no `ca`, which is the path production
 * takes with the bundled roots. `NODE_EXTRA_CA_CERTS` (what the tests set) also makes Deno's
 * `node:https` Agent hand every direct connection the whole default CA list as its own `ca`, a
 * path production never takes; `--trust=node-extra-ca-certs` measures it for comparison.
 */
import { spawn } from "../tests/harness/child_process.ts";
import { startProviderProcess } from "../tests/harness/provider_process.ts";
import { freePorts } from "../tests/harness/net.ts";

/** How our provider is told to trust the emulator's CA. */
export type Trust = "deno-cert" | "node-extra-ca-certs";

/** Where and how to start a provider, beyond the defaults. */
export interface StartOptions {
  /** A command prefix that execs the rest (e.g. entering a memory cgroup). */
  readonly launcher?: readonly string[];
  /** The executable to run instead of the usual one (e.g. an uncached copy). */
  readonly executable?: string;
  /** Variables added to the provider's environment. */
  readonly env?: Record<string, string>;
}

/** A started provider process. */
export interface RunningProvider {
  readonly pid: number;
  readonly socketPath: string;
  /** performance.now() just before the process was spawned. */
  readonly spawnedAt: number;
  readonly exited: Promise<unknown>;
  output(): string;
  /** Stops it: SIGTERM and a graceful shutdown, or `SIGKILL` for a process past saving. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

/** How to start one provider. */
export interface ProviderUnderTest {
  /** `ours` or `go`. */
  readonly key: "ours" | "go";
  /** Words for the report, e.g. `Go provider v1.8.2`. */
  readonly label: string;
  /** The executable the process runs (deno, or the Go binary). */
  readonly executable: string;
  start(options?: StartOptions): Promise<RunningProvider>;
}

/** What both providers need from the emulator. */
export interface EmulatorEndpoints {
  readonly proxyUrl: string;
  readonly caPath: string;
  /** The environment the tests give our provider (HTTPS_PROXY, NODE_EXTRA_CA_CERTS, IMDS override). */
  readonly env: Record<string, string>;
}

/** Our provider's environment: the emulator's, with the CA trusted as `trust` says. */
export function ourEnvironment(emulator: EmulatorEndpoints, trust: Trust): Record<string, string> {
  const { NODE_EXTRA_CA_CERTS: _tests, ...env } = emulator.env;
  return trust === "deno-cert"
    ? { ...env, DENO_CERT: emulator.caPath }
    : { ...env, NODE_EXTRA_CA_CERTS: emulator.caPath };
}

/** Our provider: main.ts with deploy/permissions.linux, via the test harness. */
export function ourProvider(
  emulator: EmulatorEndpoints,
  extraArgs: readonly string[] = [],
  trust: Trust = "deno-cert",
  runtime: { v8Flags?: string; env?: Record<string, string> } = {},
): ProviderUnderTest {
  return {
    key: "ours",
    label: `this provider (deno ${Deno.version.deno})`,
    executable: Deno.execPath(),
    async start(options: StartOptions = {}) {
      const socketDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "bench-ours-" });
      const ports = freePorts(2);
      const spawnedAt = performance.now();
      const process = await startProviderProcess({
        env: { ...ourEnvironment(emulator, trust), ...runtime.env, ...options.env },
        v8Flags: runtime.v8Flags === undefined ? undefined : [`--v8-flags=${runtime.v8Flags}`],
        socketDir,
        launcher: options.launcher,
        executable: options.executable,
        waitReady: false,
        args: [`--healthz-port=${ports[0]}`, `--prometheus-port=${ports[1]}`, ...extraArgs],
      });
      return {
        pid: process.pid,
        socketPath: process.socketPath,
        spawnedAt,
        exited: process.exited,
        output: process.output,
        async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM") {
          await process.stop(signal);
          await Deno.remove(socketDir, { recursive: true }).catch(() => {});
        },
      };
    },
  };
}

/** The Go provider binary, with HTTPS_PROXY and SSL_CERT_FILE pointing at the emulator. */
export function goProvider(binary: string, version: string, emulator: EmulatorEndpoints): ProviderUnderTest {
  return {
    key: "go",
    label: `Go provider ${version}`,
    executable: binary,
    async start(options: StartOptions = {}) {
      const socketDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "bench-go-" });
      const socketPath = `${socketDir}/azure.sock`;
      const ports = freePorts(2);
      const spawnedAt = performance.now();
      const command = [
        ...(options.launcher ?? []),
        options.executable ?? binary,
        `--endpoint=unix://${socketPath}`,
        `--healthz-port=${ports[0]}`,
        `--prometheus-port=${ports[1]}`,
      ];
      const child = spawn("go provider", command[0], command.slice(1), {
        HTTPS_PROXY: emulator.proxyUrl,
        SSL_CERT_FILE: emulator.caPath,
      });
      return {
        pid: child.pid,
        socketPath,
        spawnedAt,
        exited: child.exited,
        output: child.output,
        async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM") {
          child.kill(signal);
          await child.exited;
          await Deno.remove(socketDir, { recursive: true }).catch(() => {});
        },
      };
    },
  };
}
