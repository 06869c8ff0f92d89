/**
 * P1–P4 for one provider: start-up (P4), one mount of n objects cold and warm (P1), the
 * requests each costs at the emulator (P3), and bursts of pods at once (P2).
 */
import type { RecordedRequest } from "../tests/emulator/emulator.ts";
import type { Batch, CallResult, Driver } from "./driver.ts";
import {
  type CgroupMemory,
  MemoryCgroup,
  type MemoryPeaks,
  sampleMemory,
  treeCpuMs,
  treeMajorFaults,
  treeMemory,
  uncachedCopy,
  waitForSocket,
} from "./proc.ts";
import type { ProviderUnderTest, RunningProvider } from "./providers.ts";
import { summarize, type Summary } from "./stats.ts";
import { burstOf, identityNames, mountOf, secretCount, type WorkloadShape } from "./workload.ts";

/** What the measurements need besides the provider. */
export interface MeasureContext {
  readonly driver: Driver;
  readonly shape: WorkloadShape;
  /** Starts for P4 (the last one carries on into P1). */
  readonly starts: number;
  /** How long a provider sits idle after start before its RSS is read. */
  readonly idleMs: number;
  readonly requests: () => RecordedRequest[];
  readonly resetRequests: () => void;
  readonly log: (line: string) => void;
  /** How long a running provider is left quiet before each burst on it, ms. */
  readonly settleMs: number;
  /** P7's memory limit in bytes; 0 skips P7. */
  readonly memoryLimit: number;
}

/** Requests the emulator saw, per mount (averages over a batch) or in total. */
export interface RequestCounts {
  readonly keyvault: number;
  /** Key Vault answers 401: challenge round trips. */
  readonly keyvaultChallenges: number;
  readonly entra: number;
  readonly entraTokens: number;
  /** Instance discovery and OpenID configuration GETs. */
  readonly entraDiscovery: number;
}

/** One P1 figure. */
export interface MountFigure {
  readonly summary: Summary;
  readonly ms: readonly number[];
  readonly errors: number;
  readonly firstError?: string;
  readonly requestsPerMount: RequestCounts;
  /** CPU time (user + system) the provider used per mount, ms: robust to a busy machine. */
  readonly cpuMsPerMount: number;
}

/** Which burst: whose pods, and on which provider process. */
export type BurstKind = "shared" | "distinct" | "fresh";

/** Resident memory at one moment, bytes: VmRSS and its anonymous and file-backed parts. */
export interface Memory {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
}

/** One P2 burst. */
export interface BurstFigure {
  readonly kind: BurstKind;
  readonly pods: number;
  readonly objects: number;
  readonly identities: number;
  readonly wallMs: number;
  readonly perMount: Summary;
  readonly errors: number;
  readonly firstError?: string;
  /** Memory just before the burst, its peaks during it, and 1 s after it. */
  readonly before: Memory;
  readonly peak: MemoryPeaks;
  readonly after: Memory;
  /** CPU time (user + system) the provider used for the burst, ms. */
  readonly cpuMs: number;
  readonly requests: RequestCounts;
}

/** A burst on a provider running under a memory limit. */
export interface LimitedBurst {
  readonly kind: BurstKind;
  readonly wallMs: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly peak: MemoryPeaks;
  /** What the cgroup saw by the end of the burst (limitHits: during it). */
  readonly cgroup: CgroupMemory;
  /** The process was still alive after it. */
  readonly survived: boolean;
  /** Pages the process read back from disk during the burst (major faults). */
  readonly majorFaults: number;
}

/** P7: the provider started inside a memory cgroup with a limit, then the bursts of a node boot. */
export type LimitedFigure =
  | {
    readonly limit: number;
    readonly cgroupVersion: 1 | 2;
    readonly idle: Memory;
    readonly idleCgroup: CgroupMemory;
    readonly bursts: readonly LimitedBurst[];
    /** How the process ended, when it did not survive. */
    readonly exit?: string;
  }
  | { readonly skipped: string };

/** Everything measured for one provider. */
export interface ProviderFigures {
  readonly key: "ours" | "go";
  readonly label: string;
  /** The runtime flags the process really ran with (`--v8-flags=…`), from /proc/<pid>/cmdline. */
  readonly runtimeFlags: readonly string[];
  /** The variables our provider's CA trust came through (DENO_CERT or NODE_EXTRA_CA_CERTS). */
  readonly trust?: string;
  readonly readyMs: Summary;
  readonly readyRuns: readonly number[];
  /** Memory `idleMs` after each start, and the median of each field. */
  readonly idleRuns: readonly Memory[];
  readonly idle: Memory;
  readonly firstMountMs: number;
  readonly afterFirstMount: Memory;
  readonly cold: Record<number, MountFigure>;
  readonly warm: Record<number, MountFigure>;
  /** Memory after all of P1 (a hundred identities), and the peak over the process's life. */
  readonly afterP1: Memory & { hwm: number };
  readonly bursts: Record<BurstKind, BurstFigure>;
  readonly limited: LimitedFigure;
}

/** How P7 runs: the limit in bytes (0: skip). */
export interface LimitOptions {
  readonly bytes: number;
}

/** Runs P4, P1, P3 and P2 against one provider. */
export async function measureProvider(put: ProviderUnderTest, ctx: MeasureContext): Promise<ProviderFigures> {
  const { driver, shape, log } = ctx;
  const names = identityNames(shape);
  log(`${put.label}: P4 start-up × ${ctx.starts}`);
  const readyRuns: number[] = [];
  const idleRuns: Memory[] = [];
  let provider: RunningProvider | undefined;
  for (let i = 0; i < ctx.starts; i++) {
    if (provider) await provider.stop();
    provider = await put.start();
    readyRuns.push(await readyAfter(provider));
    await sleep(ctx.idleMs);
    idleRuns.push(memoryOf(provider.pid));
  }
  const p = provider!;
  const runtimeFlags = commandLine(p.pid).filter((arg) => arg.startsWith("--v8-flags"));
  const trust = environmentOf(p.pid).filter((name) => name === "DENO_CERT" || name === "NODE_EXTRA_CA_CERTS");
  try {
    await healthy(driver, p);
    const first = await driver.mounts(p.socketPath, [mountOf(names.firstMount, 1, "first")], 1);
    failOnError(first, put, p, "first mount");
    const firstMountMs = first.results[0].ms;
    const afterFirstMount = memoryOf(p.pid);

    const cold: Record<number, MountFigure> = {};
    const warm: Record<number, MountFigure> = {};
    for (const size of shape.sizes) {
      log(`${put.label}: P1 cold, ${size} object(s) × ${shape.runs}`);
      const requests = Array.from(
        { length: shape.runs },
        (_, r) => mountOf(names.cold(size, r), size, `cold-${r}`),
      );
      cold[size] = await sequential(ctx, p, requests);
    }
    for (const size of shape.sizes) {
      log(`${put.label}: P1 warm, ${size} object(s) × ${shape.runs}`);
      failOnError(
        await driver.mounts(p.socketPath, [mountOf(names.warm, size, "warm")], 1),
        put,
        p,
        "priming mount",
      );
      // A new pod uid each run: a rotation remount 2 minutes later finds the object cache's
      // entries expired, which is what a pod its provider has not mounted before finds too.
      warm[size] = await sequential(
        ctx,
        p,
        Array.from({ length: shape.runs }, () => mountOf(names.warm, size, "warm")),
      );
    }
    const afterP1 = { ...memoryOf(p.pid), hwm: treeMemory(p.pid).hwm };
    // New pods arriving at a node whose provider has been running: the same process, warmed
    // up by P1, with identities it has never seen.
    const shared = await burst(put, ctx, "shared", p);
    const distinct = await burst(put, ctx, "distinct", p);
    await p.stop();
    provider = undefined;
    const fresh = await burst(put, ctx, "fresh");
    const limited = await underLimit(put, ctx);
    const median = (field: keyof Memory) => summarize(idleRuns.map((run) => run[field])).median;
    return {
      key: put.key,
      label: put.label,
      runtimeFlags,
      trust: put.key === "ours" ? trust.join(", ") || "none" : undefined,
      readyMs: summarize(readyRuns),
      readyRuns,
      idleRuns,
      idle: { rss: median("rss"), anon: median("anon"), file: median("file") },
      firstMountMs,
      afterFirstMount,
      cold,
      warm,
      afterP1,
      bursts: { shared, distinct, fresh },
      limited,
    };
  } finally {
    if (provider) await provider.stop();
  }
}

/** Mounts one after another, as a single pod's remounts arrive. */
async function sequential(
  ctx: MeasureContext,
  provider: RunningProvider,
  requests: Parameters<Driver["mounts"]>[1],
): Promise<MountFigure> {
  ctx.resetRequests();
  const cpuBefore = treeCpuMs(provider.pid);
  const batch = await ctx.driver.mounts(provider.socketPath, requests, 1);
  const cpuMsPerMount = round((treeCpuMs(provider.pid) - cpuBefore) / requests.length);
  const counts = countRequests(ctx.requests(), requests.length);
  const failed = batch.results.filter((result) => result.code !== "OK");
  return {
    summary: summarize(batch.results.filter((result) => result.code === "OK").map((result) => result.ms)),
    ms: batch.results.map((result) => round(result.ms)),
    errors: failed.length,
    firstError: describe(failed[0]),
    requestsPerMount: counts,
    cpuMsPerMount,
  };
}

/**
 * All pods of a burst at once. `shared` and `distinct` run on `running` (the provider P1
 * warmed up); `fresh` on a provider started for it, as when a node boots with its pods.
 */
async function burst(
  put: ProviderUnderTest,
  ctx: MeasureContext,
  kind: BurstKind,
  running?: RunningProvider,
): Promise<BurstFigure> {
  const { shape, driver } = ctx;
  const variant = kind === "distinct" ? "distinct" : "shared";
  const identities = variant === "shared" ? shape.burstSharedIdentities : shape.burstPods;
  ctx.log(`${put.label}: P2 burst (${kind}) of ${shape.burstPods} pods × ${shape.burstObjects} objects`);
  const requests = burstOf(shape, variant, secretCount(shape), kind === "fresh" ? "-fresh" : "");
  const provider = running ?? await put.start();
  try {
    if (!running) {
      await readyAfter(provider);
      await healthy(driver, provider);
      await sleep(Math.min(ctx.idleMs, 500));
    } else {
      // New pods reach a running provider after it has been quiet for a while, not in the
      // millisecond after a hundred mounts in a row: let it settle (V8 returns the garbage of
      // what came before once allocation stops), as a node's provider does between bursts.
      await sleep(ctx.settleMs);
    }
    const before = memoryOf(provider.pid);
    ctx.resetRequests();
    const cpuBefore = treeCpuMs(provider.pid);
    const sampler = sampleMemory(provider.pid, 10);
    const batch = await driver.mounts(provider.socketPath, requests, requests.length);
    const peak = sampler.stop();
    const cpuMs = treeCpuMs(provider.pid) - cpuBefore;
    await sleep(1000);
    const after = memoryOf(provider.pid);
    const failed = batch.results.filter((result) => result.code !== "OK");
    return {
      kind,
      pods: shape.burstPods,
      objects: shape.burstObjects,
      identities,
      wallMs: round(batch.wall_ms),
      perMount: summarize(batch.results.map((result) => result.ms)),
      errors: failed.length,
      firstError: describe(failed[0]),
      before,
      peak,
      after,
      cpuMs,
      requests: countRequests(ctx.requests(), 1),
    };
  } finally {
    if (!running) await provider.stop();
  }
}

/**
 * P7: a node booting with its pods, the provider inside a memory cgroup limited like the Go
 * chart's container (started from an uncached copy of its executable, so that the
 * executable's pages are charged to the cgroup as a container's are): the node-boot burst,
 * then 110 unrelated identities on the same process. Did it survive, and what did the limit
 * take back?
 */
/** The deadline of each mount under the memory limit, seconds. */
const LIMITED_DEADLINE_S = 30;

async function underLimit(put: ProviderUnderTest, ctx: MeasureContext): Promise<LimitedFigure> {
  if (ctx.memoryLimit <= 0) return { skipped: "--memory-limit=0" };
  let cgroup: MemoryCgroup;
  try {
    cgroup = MemoryCgroup.create(`bench-${put.key}-${Deno.pid}-${Date.now()}`, ctx.memoryLimit);
  } catch (error) {
    ctx.log(`${put.label}: P7 skipped: ${(error as Error).message}`);
    return { skipped: (error as Error).message };
  }
  const dir = await Deno.makeTempDir({ prefix: "bench-exe-" });
  let provider: RunningProvider | undefined;
  try {
    ctx.log(`${put.label}: P7 under a ${mibOf(ctx.memoryLimit)} memory cgroup (v${cgroup.version})`);
    const executable = await uncachedCopy(put.executable, dir);
    const env = put.key === "ours" ? { DENO_DIR: await privateDenoDir(dir) } : undefined;
    provider = await put.start({ launcher: cgroup.launcher(), executable, env });
    const p = provider;
    await readyAfter(p);
    await healthy(ctx.driver, p);
    await sleep(ctx.idleMs);
    const idle = memoryOf(p.pid);
    const idleCgroup = cgroup.read();
    const bursts: LimitedBurst[] = [];
    let alive = true;
    p.exited.then(() => alive = false);
    for (const [kind, variant] of [["fresh", "shared"], ["distinct", "distinct"]] as const) {
      if (!alive) break;
      const requests = burstOf(ctx.shape, variant, secretCount(ctx.shape), kind === "fresh" ? "-fresh" : "");
      const faultsBefore = treeMajorFaults(p.pid);
      const hitsBefore = cgroup.read().limitHits;
      const sampler = sampleMemory(p.pid, 10);
      // A provider that thrashes (the limit taking back the executable's pages as fast as they
      // are read) answers nothing for minutes: 30 s is long past failure for a pod at boot.
      const batch = await ctx.driver.mounts(p.socketPath, requests, requests.length, LIMITED_DEADLINE_S);
      const peak = sampler.stop();
      await sleep(200);
      const failed = batch.results.filter((result) => result.code !== "OK");
      bursts.push({
        kind,
        wallMs: round(batch.wall_ms),
        errors: failed.length,
        firstError: describe(failed[0]),
        peak,
        cgroup: { ...cgroup.read(), limitHits: cgroup.read().limitHits - hitsBefore },
        survived: alive,
        majorFaults: alive ? treeMajorFaults(p.pid) - faultsBefore : NaN,
      });
    }
    let exit: string | undefined;
    if (!alive) {
      const status = await p.exited as Deno.CommandStatus;
      exit = status.signal ? `killed by ${status.signal}` : `exited with ${status.code}`;
    }
    return { limit: ctx.memoryLimit, cgroupVersion: cgroup.version, idle, idleCgroup, bursts, exit };
  } finally {
    // A thrashing provider would take minutes over a graceful shutdown; nothing of it is measured.
    if (provider) await provider.stop("SIGKILL");
    await cgroup.remove();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * A DENO_DIR of our provider's own for P7: the modules (npm/, gen/, remote/) are this
 * machine's, but the SQLite caches start empty. The shared ones carry every other deno run's
 * code cache and write-ahead log (tens of MB), whose pages the provider would otherwise read
 * and have charged to its cgroup; a compiled binary in a container has none of them.
 */
async function privateDenoDir(dir: string): Promise<string> {
  const shared = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  const own = `${dir}/deno-dir`;
  await Deno.mkdir(own);
  for (const folder of ["npm", "gen", "remote"]) {
    await Deno.symlink(`${shared}/${folder}`, `${own}/${folder}`).catch(() => {});
  }
  return own;
}

/** Counts the emulator's requests and divides by `mounts`. */
export function countRequests(records: readonly RecordedRequest[], mounts: number): RequestCounts {
  const keyvault = records.filter((record) => record.service === "keyvault");
  const entra = records.filter((record) => record.service === "entra");
  const per = (n: number) => round(n / Math.max(mounts, 1));
  return {
    keyvault: per(keyvault.length),
    keyvaultChallenges: per(keyvault.filter((record) => record.status === 401).length),
    entra: per(entra.length),
    entraTokens: per(
      entra.filter((record) => record.method === "POST" && record.path.endsWith("/token")).length,
    ),
    entraDiscovery: per(entra.filter((record) => record.method === "GET").length),
  };
}

async function readyAfter(provider: RunningProvider): Promise<number> {
  const at = await waitForSocket(provider.socketPath, provider.exited);
  return round(at - provider.spawnedAt);
}

async function healthy(driver: Driver, provider: RunningProvider): Promise<void> {
  if (!await driver.health(provider.socketPath)) {
    throw new Error(`the provider does not answer health checks; output:\n${provider.output().slice(-4000)}`);
  }
}

function failOnError(batch: Batch, put: ProviderUnderTest, provider: RunningProvider, what: string): void {
  const failed = batch.results.find((result) => result.code !== "OK");
  if (failed) {
    throw new Error(
      `${put.label}: ${what} failed: ${describe(failed)}\nprovider output:\n${
        provider.output().slice(-4000)
      }`,
    );
  }
}

function describe(result: CallResult | undefined): string | undefined {
  return result ? `${result.code}: ${(result.details ?? "").slice(0, 300)}` : undefined;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function memoryOf(pid: number): Memory {
  const { rss, anon, file } = treeMemory(pid);
  return { rss, anon, file };
}

function mibOf(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}

/** The names of the variables in a process's environment. */
function environmentOf(pid: number): string[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0").map((entry) => entry.split("=")[0]);
  } catch {
    return [];
  }
}

function commandLine(pid: number): string[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((arg) => arg !== "");
  } catch {
    return [];
  }
}
