/**
 * P5 and P6, the Key Vault load of a node at fleet scale, for this provider and the Go provider
 * in one run, and the fleet model built from them.
 *
 * - P5 rotation cycle: `pods` pods of `workloads` workloads (one identity each) × `objects`
 *   secrets; first mounts at once, then `cycles` rotation polls in which every pod is remounted
 *   one after another, as the driver's reconciler does. Polls are `gapMs` apart: longer than the
 *   object cache's TTL, so each poll finds the last one's entries expired, as with the driver's
 *   2-minute interval.
 * - P6 throttled burst: the vault answers its first request with 429 and `Retry-After: 2`, and
 *   `burstPods` pods of one workload mount at once; counted: requests that reached the vault
 *   during the 2 s, and mounts that succeeded within their deadline.
 *
 * Run alone with `deno run -A bench/fleet.ts [--no-go] [--latency-ms=20]`; `deno task bench` runs it
 * after P1–P4. Writes bench/results/fleet.{json,md} and the section of docs/performance.md between
 * the fleet markers.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type Emulator, startEmulator } from "../tests/emulator/emulator.ts";
import { mountRequest, TENANT } from "../tests/harness/spc.ts";
import { Driver, type MountFields } from "./driver.ts";
import { goProviderBinary } from "./go_provider.ts";
import { countRequests, type RequestCounts } from "./measure.ts";
import { waitForSocket } from "./proc.ts";
import { goProvider, ourProvider, type ProviderUnderTest, type RunningProvider } from "./providers.ts";
import { principal, secretName, vaultSeed } from "./workload.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const VAULT = "fleet-vault";
const VAULT_HOST = `${VAULT}.vault.azure.net`;
const TARGET = "/var/lib/kubelet/pods/fleet/volumes/kubernetes.io~csi/secrets-store/mount";
const FLEET_BEGIN = "<!-- fleet:begin (written by deno task bench) -->";
const FLEET_END = "<!-- fleet:end -->";

/** The shape of P5 and P6. */
export interface FleetShape {
  readonly pods: number;
  readonly workloads: number;
  readonly objects: number;
  readonly cycles: number;
  /** Time from the start of one poll to the start of the next, ms. */
  readonly gapMs: number;
  readonly burstPods: number;
  readonly retryAfterSeconds: number;
  /** The deadline of each P6 mount, s. */
  readonly burstDeadlineSeconds: number;
}

/** The shape the issue asks for. */
export const FLEET_SHAPE: FleetShape = {
  pods: 110,
  workloads: 11,
  objects: 5,
  cycles: 3,
  gapMs: 31_000,
  burstPods: 50,
  retryAfterSeconds: 2,
  burstDeadlineSeconds: 30,
};

/** One P5 phase: the first mounts, or one rotation poll. */
export interface PhaseFigure {
  readonly requests: RequestCounts;
  readonly wallMs: number;
  readonly errors: number;
}

/** P6 for one provider. */
export interface BurstThrottleFigure {
  readonly throttled: number;
  /** Requests that reached the vault while its Retry-After lasted. */
  readonly duringThrottle: number;
  readonly vaultRequests: number;
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly wallMs: number;
  readonly slowestMs: number;
}

/** P5 and P6 for one provider. */
export interface FleetFigures {
  readonly key: "ours" | "go";
  readonly label: string;
  readonly first: PhaseFigure;
  readonly cycles: readonly PhaseFigure[];
  readonly burst: BurstThrottleFigure;
}

/** The identities of the run: one per P5 workload, and P6's workload per provider. */
function identityNames(shape: FleetShape): string[] {
  return [
    ...Array.from({ length: shape.workloads }, (_, k) => `fleet-workload-${k}`),
    "fleet-burst-ours",
    "fleet-burst-go",
  ];
}

/** The emulator seed: one vault of `workloads × objects` secrets every identity may read. */
export function fleetSeed(shape: FleetShape): Record<string, unknown> {
  return vaultSeed(VAULT, identityNames(shape), shape.workloads * shape.objects, (i) => `fleet-value-${i}`);
}

/** Pod `pod`'s Mount as `identity`, of `objects` secrets from `first`; the pod keeps its uid. */
function podMount(identity: string, pod: string, first: number, objects: number): MountFields {
  const sp = principal(identity);
  const request = mountRequest({
    keyvaultName: VAULT,
    tenantID: TENANT,
    podName: pod,
    podNamespace: "fleet",
    podUid: `uid-${pod}`,
    objects: Array.from(
      { length: objects },
      (_, i) => ({ objectName: secretName(first + i), objectType: "secret" }),
    ),
    secrets: { clientid: sp.clientid, clientsecret: sp.clientsecret },
  });
  return { ...request, target_path: TARGET };
}

/** P5's pods in the order the reconciler walks them: workloads interleaved. */
function rotationPods(shape: FleetShape): MountFields[] {
  return Array.from({ length: shape.pods }, (_, i) => {
    const k = i % shape.workloads;
    return podMount(`fleet-workload-${k}`, `workload-${k}-pod-${i}`, k * shape.objects, shape.objects);
  });
}

/** What P5 and P6 need besides the provider. */
export interface FleetContext {
  readonly driver: Driver;
  readonly emulator: Emulator;
  readonly shape: FleetShape;
  readonly log: (line: string) => void;
}

/** Runs P5 then P6 (each on a provider started for it) for one provider. */
export async function measureFleet(put: ProviderUnderTest, ctx: FleetContext): Promise<FleetFigures> {
  const { shape, driver, emulator, log } = ctx;
  const pods = rotationPods(shape);
  let provider = await started(put, driver);
  let first: PhaseFigure;
  const cycles: PhaseFigure[] = [];
  try {
    log(`${put.label}: P5 first mounts of ${shape.pods} pods × ${shape.objects} objects`);
    let phaseStart = performance.now();
    first = await phase(ctx, provider, pods, pods.length);
    for (let c = 1; c <= shape.cycles; c++) {
      await sleep(phaseStart + shape.gapMs - performance.now());
      log(`${put.label}: P5 rotation poll ${c} of ${shape.cycles}`);
      phaseStart = performance.now();
      cycles.push(await phase(ctx, provider, pods, 1));
    }
  } finally {
    await provider.stop();
  }

  log(`${put.label}: P6 ${shape.burstPods} pods at once, the vault answering its first request with 429`);
  provider = await started(put, driver);
  try {
    const identity = `fleet-burst-${put.key}`;
    const requests = Array.from(
      { length: shape.burstPods },
      (_, i) => podMount(identity, `burst-pod-${i}`, 0, shape.objects),
    );
    emulator.resetRequests();
    emulator.setFaults({
      service: "keyvault",
      host: VAULT_HOST,
      kind: "status",
      status: 429,
      retryAfter: shape.retryAfterSeconds,
      times: 1,
    });
    const batch = await driver.mounts(
      provider.socketPath,
      requests,
      requests.length,
      shape.burstDeadlineSeconds,
    );
    emulator.clearFaults();
    const vault = emulator.requests({ service: "keyvault" });
    const throttled = vault.filter((r) => r.status === 429);
    const answered = throttled[0]?.endedAt ?? Infinity;
    const until = answered + shape.retryAfterSeconds * 1000;
    const failed = batch.results.filter((r) => r.code !== "OK");
    return {
      key: put.key,
      label: put.label,
      first,
      cycles,
      burst: {
        throttled: throttled.length,
        duringThrottle: vault.filter((r) => r.startedAt > answered && r.startedAt < until).length,
        vaultRequests: vault.length,
        ok: batch.results.length - failed.length,
        errors: failed.length,
        firstError: failed[0] && `${failed[0].code}: ${(failed[0].details ?? "").slice(0, 300)}`,
        wallMs: Math.round(batch.wall_ms),
        slowestMs: Math.round(Math.max(...batch.results.map((r) => r.ms))),
      },
    };
  } finally {
    await provider.stop();
  }
}

/** Starts the provider and waits until its socket answers health checks. */
async function started(put: ProviderUnderTest, driver: Driver): Promise<RunningProvider> {
  const provider = await put.start();
  await waitForSocket(provider.socketPath, provider.exited);
  if (!await driver.health(provider.socketPath)) {
    await provider.stop();
    throw new Error(`${put.label} does not answer health checks`);
  }
  return provider;
}

/** One phase: the mounts with `concurrency` at once, and the requests they cost in total. */
async function phase(
  ctx: FleetContext,
  provider: RunningProvider,
  requests: MountFields[],
  concurrency: number,
): Promise<PhaseFigure> {
  ctx.emulator.resetRequests();
  const batch = await ctx.driver.mounts(provider.socketPath, requests, concurrency);
  const errors = batch.results.filter((r) => r.code !== "OK");
  if (errors.length > 0) ctx.log(`  ${errors.length} failed: ${errors[0].code} ${errors[0].details ?? ""}`);
  return {
    requests: countRequests(ctx.emulator.requests(), 1),
    wallMs: Math.round(batch.wall_ms),
    errors: errors.length,
  };
}

/** Key Vault's published limit for secrets: 4,000 transactions per 10 s per vault and region. */
export const VAULT_LIMIT_PER_SECOND = 400;

/** One row of the fleet model. */
export interface FleetModelRow {
  readonly nodes: number;
  readonly objects: number;
  readonly podsPerIdentity: number;
  readonly ours: number;
  readonly go: number;
}

/**
 * Key Vault requests per second of a cluster, from P5's per-node figures: every node remounts
 * its 30 pods once per 2-minute poll. Go sends, per remounted pod, what it sent per pod in P5
 * (one GET per object and its client's challenge); ours, per poll, one GET per object per
 * identity on the node (P5: its polls cost `workloads × objects` GETs).
 */
export function fleetModel(
  ours: FleetFigures,
  go: FleetFigures | undefined,
  shape: FleetShape,
): FleetModelRow[] {
  const podsPerNode = 30;
  const pollSeconds = 120;
  const steady = (figures: FleetFigures) =>
    figures.cycles.slice(1).reduce((sum, cycle) => sum + cycle.requests.keyvault, 0) /
    Math.max(1, figures.cycles.length - 1);
  // Requests per pod-object (Go) and per identity-object (ours) in P5's steady polls.
  const goPerPodObject = go ? steady(go) / (shape.pods * shape.objects) : (shape.objects + 1) / shape.objects;
  const oursPerIdentityObject = steady(ours) / (shape.workloads * shape.objects);
  const rows: FleetModelRow[] = [];
  for (const nodes of [100, 1000]) {
    for (const objects of [3, 10]) {
      for (const podsPerIdentity of [1, 10]) {
        const goPerPoll = nodes * podsPerNode * objects * goPerPodObject;
        const oursPerPoll = nodes * (podsPerNode / podsPerIdentity) * objects * oursPerIdentityObject;
        rows.push({
          nodes,
          objects,
          podsPerIdentity,
          ours: oursPerPoll / pollSeconds,
          go: goPerPoll / pollSeconds,
        });
      }
    }
  }
  return rows;
}

/** The P5, P6 and fleet model tables in Markdown. */
export function fleetMarkdown(
  ours: FleetFigures,
  go: FleetFigures | undefined,
  shape: FleetShape,
  info: { date: string; latencyMs: number; goLabel: string },
): string {
  const g = (pick: (f: FleetFigures) => string | number) => go ? String(pick(go)) : "—";
  const lines: string[] = [];
  lines.push(
    `Run ${info.date}; emulator latency ${info.latencyMs} ms; ${info.goLabel} and this provider against the same emulator, one after the other.`,
    "",
    `**P5 rotation cycle**: ${shape.pods} pods of ${shape.workloads} workloads (one identity each) × ${shape.objects} secrets; first mounts at once, then ${shape.cycles} polls remounting every pod one after another, ${
      shape.gapMs / 1000
    } s apart (longer than the object cache's 30 s, as the driver's 2-minute interval is).`,
    "",
    `| Phase | Key Vault requests (ours) | Key Vault requests (${info.goLabel}) | Entra token requests (ours) | Entra token requests (${info.goLabel}) | Entra requests, all (ours / Go) | Wall time, ms (ours / Go) |`,
    "| --- | --: | --: | --: | --: | --: | --: |",
  );
  const row = (name: string, pick: (f: FleetFigures) => PhaseFigure) =>
    lines.push(
      `| ${name} | ${pick(ours).requests.keyvault} | ${g((f) => pick(f).requests.keyvault)} | ${
        pick(ours).requests.entraTokens
      } | ${g((f) => pick(f).requests.entraTokens)} | ${pick(ours).requests.entra} / ${
        g((f) => pick(f).requests.entra)
      } | ${pick(ours).wallMs} / ${g((f) => pick(f).wallMs)} |`,
    );
  row("first mounts", (f) => f.first);
  ours.cycles.forEach((_, c) => row(`poll ${c + 1}`, (f) => f.cycles[c]));
  lines.push(
    "",
    `**P6 throttled burst**: the vault answers its first request with 429 and \`Retry-After: ${shape.retryAfterSeconds}\`; ${shape.burstPods} pods of one workload (${shape.objects} secrets each) mount at once, each with a ${shape.burstDeadlineSeconds} s deadline.`,
    "",
    `| | Ours | ${info.goLabel} |`,
    "| --- | --: | --: |",
    `| requests that reached the vault during the ${shape.retryAfterSeconds} s | ${ours.burst.duringThrottle} | ${
      g((f) => f.burst.duringThrottle)
    } |`,
    `| 429 answers | ${ours.burst.throttled} | ${g((f) => f.burst.throttled)} |`,
    `| Key Vault requests in all | ${ours.burst.vaultRequests} | ${g((f) => f.burst.vaultRequests)} |`,
    `| mounts that succeeded | ${ours.burst.ok} of ${shape.burstPods} | ${
      g((f) => `${f.burst.ok} of ${shape.burstPods}`)
    } |`,
    `| slowest mount, ms | ${ours.burst.slowestMs} | ${g((f) => f.burst.slowestMs)} |`,
    "",
    "**Fleet model**: Key Vault requests per second with rotation on, every node remounting its 30 pods every 2 minutes, from the P5 polls after the first (Go: its requests per pod and object; ours: one GET per object per identity on a node and poll). Key Vault allows 4,000 secret transactions per 10 s per vault and region, **400 per second** ([service limits](https://learn.microsoft.com/en-us/azure/key-vault/general/service-limits)); the subscription's limit is five times that.",
    "",
    "| Nodes | Objects per pod | Pods per identity per node | Ours, req/s | Go, req/s | Ours, % of the vault's limit | Go, % of the vault's limit |",
    "| --: | --: | --: | --: | --: | --: | --: |",
  );
  for (const r of fleetModel(ours, go, shape)) {
    const pct = (value: number) => `${Math.round(value / VAULT_LIMIT_PER_SECOND * 100)} %`;
    lines.push(
      `| ${r.nodes.toLocaleString("en")} | ${r.objects} | ${r.podsPerIdentity} | ${r.ours.toFixed(1)} | ${
        r.go.toFixed(1)
      } | ${pct(r.ours)} | ${pct(r.go)} |`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Options of a fleet run. */
export interface FleetRunOptions {
  readonly latencyMs: number;
  readonly go?: { binary: string; version: string };
  readonly providerArgs: readonly string[];
  readonly out: string;
  /** Also rewrite the fleet section of docs/performance.md. */
  readonly updateDocs: boolean;
  readonly log: (line: string) => void;
  readonly shape?: FleetShape;
}

/** Runs P5 and P6 for both providers on an emulator of their own and writes the results. */
export async function runFleet(options: FleetRunOptions): Promise<{ ours: FleetFigures; go?: FleetFigures }> {
  const shape = options.shape ?? FLEET_SHAPE;
  const emulator = await startEmulator({ seed: fleetSeed(shape), latencyMs: options.latencyMs });
  const driver = await Driver.start();
  const endpoints = { proxyUrl: emulator.proxyUrl, caPath: emulator.caPath, env: emulator.env() };
  const ctx = { driver, emulator, shape, log: options.log };
  let ours: FleetFigures;
  let go: FleetFigures | undefined;
  try {
    ours = await measureFleet(ourProvider(endpoints, options.providerArgs), ctx);
    if (options.go) {
      go = await measureFleet(goProvider(options.go.binary, options.go.version, endpoints), ctx);
    }
  } finally {
    await driver.close();
    await emulator.close();
  }
  const info = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    latencyMs: options.latencyMs,
    goLabel: options.go ? `Go ${options.go.version}` : "Go",
  };
  const table = fleetMarkdown(ours, go, shape, info);
  await Deno.mkdir(options.out, { recursive: true });
  await Deno.writeTextFile(`${options.out}/fleet.md`, table);
  await Deno.writeTextFile(
    `${options.out}/fleet.json`,
    JSON.stringify({ info, shape, ours, go: go ?? null, model: fleetModel(ours, go, shape) }, null, 1) + "\n",
  );
  const files = [`${options.out}/fleet.md`, `${options.out}/fleet.json`];
  if (options.updateDocs) {
    const path = `${ROOT}docs/performance.md`;
    const text = await Deno.readTextFile(path);
    const begin = text.indexOf(FLEET_BEGIN);
    const end = text.indexOf(FLEET_END);
    if (begin >= 0 && end > begin) {
      await Deno.writeTextFile(
        path,
        text.slice(0, begin + FLEET_BEGIN.length) + "\n\n" + table + "\n" + text.slice(end),
      );
      files.push(path);
    } else {
      options.log("docs/performance.md has no fleet markers; not updated");
    }
  }
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", ...files], cwd: ROOT }).output();
  console.log(table);
  return { ours, go };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "latency-ms": { type: "string", default: "20" },
      "go-version": { type: "string", default: "v1.8.2" },
      "no-go": { type: "boolean", default: false },
      out: { type: "string", default: `${ROOT}bench/results` },
      "provider-arg": { type: "string", multiple: true, default: [] },
    },
    strict: true,
  });
  const started = performance.now();
  const log = (line: string) =>
    console.error(`[fleet ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);
  let go: { binary: string; version: string } | undefined;
  if (!values["no-go"]) {
    const build = await goProviderBinary(String(values["go-version"]), log);
    go = { binary: build.binary, version: build.version };
  }
  const out = String(values.out).replace(/\/$/, "");
  await runFleet({
    latencyMs: Number(values["latency-ms"]),
    go,
    providerArgs: values["provider-arg"] as string[],
    out,
    updateDocs: out === `${ROOT}bench/results`,
    log,
  });
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
