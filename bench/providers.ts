/**
 * The two providers under test, started the same way from the benchmark's point of view: a
 * fresh socket folder, the emulator's proxy and CA in the environment, their metrics and
 * health endpoints on free ports as in production, and a clock started just before spawn.
 */
import { startProviderProcess } from "../tests/harness/provider_process.ts";
import { freePorts } from "../tests/harness/net.ts";

/** A started provider process. */
export interface RunningProvider {
  readonly pid: number;
  readonly socketPath: string;
  /** performance.now() just before the process was spawned. */
  readonly spawnedAt: number;
  readonly exited: Promise<unknown>;
  output(): string;
  stop(): Promise<void>;
}

/** How to start one provider. */
export interface ProviderUnderTest {
  /** `ours` or `go`. */
  readonly key: "ours" | "go";
  /** Words for the report, e.g. `Go provider v1.8.2`. */
  readonly label: string;
  start(): Promise<RunningProvider>;
}

/** What both providers need from the emulator. */
export interface EmulatorEndpoints {
  readonly proxyUrl: string;
  readonly caPath: string;
  /** The environment our provider gets (HTTPS_PROXY, NODE_EXTRA_CA_CERTS, IMDS override). */
  readonly env: Record<string, string>;
}

/** Our provider: main.ts with deploy/permissions.linux, via the test harness. */
export function ourProvider(
  emulator: EmulatorEndpoints,
  extraArgs: readonly string[] = [],
): ProviderUnderTest {
  return {
    key: "ours",
    label: `this provider (deno ${Deno.version.deno})`,
    async start() {
      const socketDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "bench-ours-" });
      const ports = freePorts(2);
      const spawnedAt = performance.now();
      const process = await startProviderProcess({
        env: emulator.env,
        socketDir,
        waitReady: false,
        args: [`--healthz-port=${ports[0]}`, `--prometheus-port=${ports[1]}`, ...extraArgs],
      });
      return {
        pid: process.pid,
        socketPath: process.socketPath,
        spawnedAt,
        exited: process.exited,
        output: process.output,
        async stop() {
          await process.stop();
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
    async start() {
      const socketDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "bench-go-" });
      const socketPath = `${socketDir}/azure.sock`;
      const ports = freePorts(2);
      const spawnedAt = performance.now();
      const child = new Deno.Command(binary, {
        args: [
          `--endpoint=unix://${socketPath}`,
          `--healthz-port=${ports[0]}`,
          `--prometheus-port=${ports[1]}`,
        ],
        clearEnv: true,
        env: {
          HTTPS_PROXY: emulator.proxyUrl,
          SSL_CERT_FILE: emulator.caPath,
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let text = "";
      const pump = async (stream: ReadableStream<Uint8Array>) => {
        for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
          if (text.length < 1_000_000) text += chunk;
        }
      };
      const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
      const exited = child.status.then(async (status) => {
        await pumped;
        return status;
      });
      return {
        pid: child.pid,
        socketPath,
        spawnedAt,
        exited,
        output: () => text,
        async stop() {
          try {
            child.kill("SIGTERM");
          } catch {
            // already exited
          }
          await exited;
          await Deno.remove(socketDir, { recursive: true }).catch(() => {});
        },
      };
    },
  };
}
