/**
 * `deno task bench`: this provider and the Go provider side by side, against the emulator with
 * injected latency, driven by an independent gRPC client (python3-grpcio). Measures P1 (one
 * mount of n objects, cold and warm), P2 (a burst of pods at once), P3 (Key Vault and Entra
 * requests per mount), P4 (idle memory, start to ready socket) and P7 (the node-boot bursts
 * under a memory cgroup limit), with VmRSS, RssAnon and RssFile at every phase; prints the
 * table and writes bench/results/latest.{md,json} and the report section of
 * docs/performance.md; then P5 and P6 (bench/fleet.ts).
 *
 * Flags: --latency-ms=20 --runs=30 --sizes=1,10,50 --burst-pods=110 --burst-objects=5
 * --burst-identities=11 --starts=5 --idle-ms=2000 --settle-ms=10000 (quiet time before each burst
 * on the running provider) --memory-limit=100 (MiB, 0 skips P7)
 * --go-version=v1.8.2 --no-go --out=bench/results --no-fleet --provider-arg=<flag> (repeatable, passed to
 * our provider) --trust=deno-cert|node-extra-ca-certs (how our provider trusts the emulator's
 * CA) --v8-flags=<flags> (instead of deploy/v8-flags) --provider-env=NAME=VALUE (repeatable; both
 * to measure a lever, never for the docs' figures) --render-only (the table and docs again from DIR/latest.json, measuring nothing).
 * docs/performance.md is updated only when writing to the default bench/results without those.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../tests/emulator/emulator.ts";
import { Driver } from "./driver.ts";
import { runFleet } from "./fleet.ts";
import { goProviderBinary } from "./go_provider.ts";
import { measureProvider, type ProviderFigures } from "./measure.ts";
import { goProvider, ourProvider, type Trust } from "./providers.ts";
import { consoleTable, markdown, type RunInfo, tableRows, updateSection } from "./report.ts";
import { benchSeed, type WorkloadShape } from "./workload.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DEFAULT_OUT = `${ROOT}bench/results`;
/** The docs page whose report section the default run rewrites. */
const DOCS_PAGE = "docs/performance.md";

/** Thrown for flags the benchmark cannot use. */
class UsageError extends Error {}

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      "latency-ms": { type: "string", default: "20" },
      runs: { type: "string", default: "30" },
      sizes: { type: "string", default: "1,10,50" },
      "burst-pods": { type: "string", default: "110" },
      "burst-objects": { type: "string", default: "5" },
      "burst-identities": { type: "string", default: "11" },
      starts: { type: "string", default: "5" },
      "idle-ms": { type: "string", default: "2000" },
      "memory-limit": { type: "string", default: "100" },
      "settle-ms": { type: "string", default: "10000" },
      trust: { type: "string", default: "deno-cert" },
      "v8-flags": { type: "string" },
      "provider-env": { type: "string", multiple: true, default: [] },
      "go-version": { type: "string", default: "v1.8.2" },
      "no-go": { type: "boolean", default: false },
      out: { type: "string", default: DEFAULT_OUT },
      "provider-arg": { type: "string", multiple: true, default: [] },
      "render-only": { type: "boolean", default: false },
      "no-fleet": { type: "boolean", default: false },
    },
    strict: true,
  });
  const int = (name: keyof typeof values, min: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) {
      throw new UsageError(`--${name} must be an integer ≥ ${min}`);
    }
    return value;
  };
  const trust = String(values.trust);
  if (trust !== "deno-cert" && trust !== "node-extra-ca-certs") {
    throw new UsageError("--trust must be deno-cert or node-extra-ca-certs");
  }
  const sizes = String(values.sizes).split(",").map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new UsageError("--sizes must be positive integers, e.g. 1,10,50");
  }
  const shape: WorkloadShape = {
    sizes,
    runs: int("runs", 1),
    burstPods: int("burst-pods", 1),
    burstObjects: int("burst-objects", 1),
    burstSharedIdentities: int("burst-identities", 1),
  };
  return {
    shape,
    latencyMs: int("latency-ms", 0),
    starts: int("starts", 1),
    idleMs: int("idle-ms", 0),
    memoryLimit: int("memory-limit", 0) * 1048576,
    settleMs: int("settle-ms", 0),
    trust: trust as Trust,
    v8Flags: values["v8-flags"] as string | undefined,
    providerEnv: Object.fromEntries((values["provider-env"] as string[]).map((entry) => {
      const at = entry.indexOf("=");
      if (at < 1) throw new UsageError("--provider-env takes NAME=VALUE");
      return [entry.slice(0, at), entry.slice(at + 1)];
    })),
    goVersion: String(values["go-version"]),
    go: !values["no-go"],
    out: String(values.out).replace(/\/$/, ""),
    providerArgs: values["provider-arg"] as string[],
    renderOnly: values["render-only"] as boolean,
    fleet: !values["no-fleet"],
  };
}

async function main(args: string[]): Promise<number> {
  let opts;
  try {
    opts = options(args);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`bench: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
  const started = performance.now();
  const log = (line: string) =>
    console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);
  if (opts.renderOnly) {
    // The tables and the docs page again from the last run's latest.json, measuring nothing.
    const saved = JSON.parse(await Deno.readTextFile(`${opts.out}/latest.json`));
    await writeOutputs(opts.out, saved.ours, saved.go ?? undefined, saved.info, true);
    return 0;
  }
  await ensurePythonGrpc(log);

  let go: Awaited<ReturnType<typeof goProviderBinary>> | undefined;
  let goMissing: string | undefined;
  if (opts.go) {
    try {
      go = await goProviderBinary(opts.goVersion, log);
    } catch (error) {
      goMissing = (error as Error).message;
      log(`no Go side: ${goMissing}`);
    }
  } else {
    goMissing = "--no-go";
  }

  const loadBefore = loadAverage();
  const emulator = await startEmulator({ seed: benchSeed(opts.shape), latencyMs: opts.latencyMs });
  const driver = await Driver.start();
  const endpoints = { proxyUrl: emulator.proxyUrl, caPath: emulator.caPath, env: emulator.env() };
  const ctx = {
    driver,
    shape: opts.shape,
    starts: opts.starts,
    idleMs: opts.idleMs,
    memoryLimit: opts.memoryLimit,
    settleMs: opts.settleMs,
    requests: () => emulator.requests(),
    resetRequests: () => emulator.resetRequests(),
    log,
  };
  let ours: ProviderFigures;
  let theirs: ProviderFigures | undefined;
  try {
    ours = await measureProvider(
      ourProvider(endpoints, opts.providerArgs, opts.trust, {
        v8Flags: opts.v8Flags,
        env: opts.providerEnv,
      }),
      ctx,
    );
    if (go) theirs = await measureProvider(goProvider(go.binary, go.version, endpoints), ctx);
  } finally {
    await driver.close();
    await emulator.close();
  }

  const info: RunInfo = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    latencyMs: opts.latencyMs,
    runs: opts.shape.runs,
    sizes: opts.shape.sizes,
    burstPods: opts.shape.burstPods,
    burstObjects: opts.shape.burstObjects,
    burstSharedIdentities: opts.shape.burstSharedIdentities,
    starts: opts.starts,
    idleMs: opts.idleMs,
    machine: machine(),
    loadBefore,
    loadAfter: loadAverage(),
    deno: Deno.version.deno,
    go: go && { version: go.version, toolchain: go.goVersion },
    goMissing,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    memoryLimit: opts.memoryLimit,
    settleMs: opts.settleMs,
  };
  // The docs show the production configuration only.
  const production = opts.v8Flags === undefined && Object.keys(opts.providerEnv).length === 0 &&
    opts.trust === "deno-cert" && opts.providerArgs.length === 0;
  await writeOutputs(opts.out, ours, theirs, info, production);
  // P5 and P6 (bench/fleet.ts): on an emulator of their own, after P1–P4.
  if (opts.fleet) {
    await runFleet({
      latencyMs: opts.latencyMs,
      go: go && { binary: go.binary, version: go.version },
      providerArgs: opts.providerArgs,
      out: opts.out,
      updateDocs: opts.out === DEFAULT_OUT && production,
      log,
    });
  }
  return 0;
}

/** Writes the table and the JSON and (for bench/results) the docs page's section; prints the table. */
async function writeOutputs(
  out: string,
  ours: ProviderFigures,
  theirs: ProviderFigures | undefined,
  info: RunInfo,
  production: boolean,
): Promise<void> {
  const goLabel = info.go ? `Go ${info.go.version}` : "Go";
  const rows = tableRows(ours, theirs, info);
  const table = markdown(rows, info, goLabel, ours, theirs);
  await Deno.mkdir(out, { recursive: true });
  await Deno.writeTextFile(`${out}/latest.md`, table);
  await Deno.writeTextFile(
    `${out}/latest.json`,
    JSON.stringify({ info, rows, ours, go: theirs ?? null }, null, 1) + "\n",
  );
  const written = [`${out}/latest.md`, `${out}/latest.json`];
  if (out === DEFAULT_OUT && production) {
    if (await updateSection(`${ROOT}${DOCS_PAGE}`, table)) written.push(DOCS_PAGE);
    else console.error(`${DOCS_PAGE} has no bench markers; not updated`);
    // The repository's `deno fmt --check` covers the results and the docs too.
    await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", ...written.map((file) => file.startsWith("/") ? file : `${ROOT}${file}`)],
      cwd: ROOT,
    }).output();
  }
  console.log(consoleTable(rows, goLabel));
  console.log(`\nwritten: ${written.join(", ")} (${info.durationSeconds} s)`);
}

/** Installs Debian's python3-grpcio when /usr/bin/python3 cannot import grpc (as CI does). */
async function ensurePythonGrpc(log: (line: string) => void): Promise<void> {
  const probe = () =>
    new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import grpc, grpc_tools"],
      stderr: "null",
      stdout: "null",
    })
      .output().then((output) => output.success, () => false);
  if (await probe()) return;
  log("installing python3-grpcio (the benchmark's gRPC client) with apt-get …");
  const apt = (args: string[]) =>
    new Deno.Command("apt-get", { args, env: { DEBIAN_FRONTEND: "noninteractive" }, stdout: "null" })
      .output();
  await apt(["update", "-qq"]);
  await apt(["install", "-y", "-qq", "python3-grpcio", "python3-protobuf", "python3-grpc-tools"]);
  if (!await probe()) throw new Error("python3-grpcio is missing and apt-get could not install it");
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

function machine(): string {
  let cpu = "unknown CPU";
  try {
    cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return `${navigator.hardwareConcurrency} × ${cpu}, ${Deno.build.os}/${Deno.build.arch}`;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
