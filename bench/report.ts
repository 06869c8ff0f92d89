/**
 * Turns the figures into the side-by-side tables (ours / Go, with the targets; memory phase
 * by phase) and puts the latest report into the performance docs page between markers.
 */
import type {
  BurstFigure,
  BurstKind,
  LimitedFigure,
  Memory,
  ProviderFigures,
  RequestCounts,
} from "./measure.ts";
import type { Summary } from "./stats.ts";

const MiB = 1048576;

/** A duration for the table: `83.7 ms`, `1.02 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Bytes as `12.3 MiB`. */
export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / MiB).toFixed(1)} MiB` : "–";
}

/** The wall-time target of each burst, as a fraction of Go's. */
const WALL_TARGET: Record<BurstKind, number> = { shared: 0.5, distinct: 1.0, fresh: 0.5 };

/** How the run was made, for the record. */
export interface RunInfo {
  readonly date: string;
  readonly latencyMs: number;
  readonly runs: number;
  readonly sizes: readonly number[];
  readonly burstPods: number;
  readonly burstObjects: number;
  readonly burstSharedIdentities: number;
  readonly starts: number;
  readonly idleMs: number;
  readonly machine: string;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly deno: string;
  readonly go?: { version: string; toolchain: string };
  /** Why there is no Go column, when there is none. */
  readonly goMissing?: string;
  readonly durationSeconds: number;
  /** P7's limit in bytes (0: not run). */
  readonly memoryLimit: number;
  /** Quiet time before each burst on the running provider, ms. */
  readonly settleMs: number;
}

/** One row of the table. */
export interface Row {
  readonly figure: string;
  readonly ours: string;
  readonly go: string;
  readonly ratio: string;
  readonly target: string;
  /** true met, false missed, undefined no target. */
  readonly met?: boolean;
}

/** The rows of the side-by-side table. */
export function tableRows(ours: ProviderFigures, go: ProviderFigures | undefined, info: RunInfo): Row[] {
  const rows: Row[] = [];
  /**
   * One row: `text` formats a side's figure, `value` is what the ratio divides; a target is
   * judged on our side (`met`), and a target relative to Go only when there is a Go side.
   */
  const add = <T>(
    figure: string,
    pick: (side: ProviderFigures) => T,
    text: (value: T) => string,
    value: (value: T) => number,
    target = "",
    met?: (mine: T, theirs: T | undefined) => boolean | undefined,
  ) => {
    const mine = pick(ours);
    const theirs = go && pick(go);
    rows.push({
      figure,
      ours: text(mine),
      go: theirs === undefined ? "" : text(theirs),
      ratio: ratio(value(mine), theirs === undefined ? undefined : value(theirs)),
      target,
      met: met?.(mine, theirs),
    });
  };
  const timing = (summary: Summary) => `${formatMs(summary.median)} (p95 ${formatMs(summary.p95)})`;
  const median = (summary: Summary) => summary.median;
  const plural = (size: number) => `${size} object${size === 1 ? "" : "s"}`;
  const tenObjects = info.sizes.includes(10) ? 10 : info.sizes[Math.floor(info.sizes.length / 2)];
  for (const kind of ["cold", "warm"] as const) {
    for (const size of info.sizes) {
      const errors = ours[kind][size].errors + (go?.[kind][size].errors ?? 0);
      const targeted = kind === "warm" && size === tenObjects && go !== undefined;
      add(
        `P1 ${kind} mount, ${plural(size)}: median (p95)${
          errors > 0 ? ` — errors ${ours[kind][size].errors}/${go?.[kind][size].errors ?? 0}` : ""
        }`,
        (side) => side[kind][size].summary,
        timing,
        median,
        targeted ? "≤ 0.15× Go" : "",
        (mine, theirs) => targeted && theirs ? mine.median <= 0.15 * theirs.median : undefined,
      );
    }
  }
  add("First mount after start (1 object, new identity)", (side) => side.firstMountMs, formatMs, Number);
  for (const kind of ["warm", "cold"] as const) {
    add(
      `P1 ${kind} mount, ${tenObjects} objects: provider CPU time per mount`,
      (side) => side[kind][tenObjects].cpuMsPerMount,
      formatMs,
      Number,
    );
  }
  for (const kind of ["shared", "distinct", "fresh"] as const) {
    const burst = (side: ProviderFigures) => side.bursts[kind];
    const what = `P2 ${ours.bursts[kind].pods} pods × ${ours.bursts[kind].objects} objects at once, ${
      burstWords(ours.bursts[kind])
    }`;
    const wallTarget = WALL_TARGET[kind];
    add(
      `${what}: wall`,
      (side) => burst(side).wallMs,
      formatMs,
      Number,
      go ? `≤ ${wallTarget.toFixed(1)}× Go` : "",
      (mine, theirs) => theirs === undefined ? undefined : mine <= wallTarget * theirs,
    );
    add(`${what}: per mount median (p95)`, (side) => burst(side).perMount, timing, (summary) => summary.p95);
    const errors = ours.bursts[kind].errors;
    rows.push({
      figure: `${what}: errors`,
      ours: String(errors),
      go: go ? String(go.bursts[kind].errors) : "",
      ratio: "",
      target: "0",
      met: errors === 0,
    });
    add(
      `${what}: peak VmRSS (VmHWM)`,
      (side) => burst(side).peak.rss,
      mib,
      Number,
      "≤ 100 MiB",
      (mine) => mine <= 100 * MiB,
    );
    add(
      `${what}: peak RssAnon`,
      (side) => burst(side).peak.anon,
      mib,
      Number,
      "≤ 64 MiB",
      (mine) => mine <= 64 * MiB,
    );
    add(`${what}: provider CPU time`, (side) => burst(side).cpuMs, formatMs, Number);
    add(`${what}: Key Vault / Entra requests`, (side) => burst(side).requests, requests, total);
  }
  for (const kind of ["warm", "cold"] as const) {
    for (const size of info.sizes) {
      const warm = kind === "warm";
      add(
        `P3 requests per ${warm ? "steady-state remount" : "cold mount"}, ${plural(size)}: Key Vault / Entra`,
        (side) => side[kind][size].requestsPerMount,
        requests,
        total,
        warm ? `= ${size} / 0` : "",
        (mine) => warm ? mine.keyvault === size && mine.entra === 0 : undefined,
      );
    }
  }
  add(
    `P4 idle VmRSS ${info.idleMs / 1000} s after start: median of ${info.starts}`,
    (side) => side.idle.rss,
    mib,
    Number,
    "≤ 64 MiB",
    (mine) => mine <= 64 * MiB,
  );
  add(
    `P4 idle RssAnon / RssFile: median of ${info.starts}`,
    (side) => side.idle,
    (idle) => `${mib(idle.anon)} / ${mib(idle.file)}`,
    (idle) => idle.anon,
  );
  add(
    `P4 start → socket accepts: median (max) of ${info.starts}`,
    (side) => side.readyMs,
    (ready) => `${formatMs(ready.median)} (${formatMs(ready.max)})`,
    median,
    "≤ 500 ms",
    (mine) => mine.median <= 500,
  );
  add(
    `VmRSS after all of P1 (${info.sizes.length * info.runs + 2} identities): now / peak`,
    (side) => side.afterP1,
    (after) => `${mib(after.rss)} / ${mib(after.hwm)}`,
    (after) => after.hwm,
  );
  rows.push(...limitedRows(ours.limited, go?.limited, ours.bursts));
  return rows;
}

function total(counts: RequestCounts): number {
  return counts.keyvault + counts.entra;
}

/** P7's rows: does each burst survive the limit, and what did the cgroup hold. */
function limitedRows(
  ours: LimitedFigure,
  go: LimitedFigure | undefined,
  bursts: Record<BurstKind, BurstFigure>,
): Row[] {
  if ("skipped" in ours) {
    return [{
      figure: "P7 under a memory limit",
      ours: `not run: ${ours.skipped}`,
      go: "",
      ratio: "",
      target: "",
    }];
  }
  const theirs = go && !("skipped" in go) ? go : undefined;
  const rows: Row[] = [];
  const limit = `${Math.round(ours.limit / MiB)} MiB`;
  for (const [i, mine] of ours.bursts.entries()) {
    const other = theirs?.bursts[i];
    const what = `P7 memory cgroup limited to ${limit}, ${i === 0 ? "" : "then "}${
      shortName(bursts[mine.kind])
    }`;
    const outcome = (burst: typeof mine) =>
      `${burst.survived ? "survived" : "**killed**"}, ${burst.errors} errors, ${formatMs(burst.wallMs)}`;
    // Surviving is not enough: a provider that thrashes answers within the deadline, but late.
    const unlimited = bursts[mine.kind].wallMs;
    rows.push({
      figure: `${what}: outcome, errors, wall`,
      ours: outcome(mine),
      go: other ? outcome(other) : "",
      ratio: ratio(mine.wallMs, other?.wallMs),
      target: `0 errors, ≤ 2× the wall without a limit (${formatMs(unlimited)})`,
      met: mine.survived && mine.errors === 0 && mine.wallMs <= 2 * unlimited,
    });
    rows.push({
      figure: `${what}: cgroup peak charge; times the limit was hit; pages read back (major faults)`,
      ours: `${mib(mine.cgroup.peak)}; ${mine.cgroup.limitHits}; ${mine.majorFaults}`,
      go: other ? `${mib(other.cgroup.peak)}; ${other.cgroup.limitHits}; ${other.majorFaults}` : "",
      ratio: ratio(mine.cgroup.peak, other?.cgroup.peak),
      target: "",
    });
    rows.push({
      figure: `${what}: peak RssAnon; RssFile lowest / highest`,
      ours: `${mib(mine.peak.anon)}; ${mib(mine.peak.fileLow)} / ${mib(mine.peak.file)}`,
      go: other ? `${mib(other.peak.anon)}; ${mib(other.peak.fileLow)} / ${mib(other.peak.file)}` : "",
      ratio: ratio(mine.peak.anon, other?.peak.anon),
      target: "",
    });
  }
  if (ours.bursts.length < 2) {
    rows.push({ figure: "P7: the provider ended", ours: ours.exit ?? "", go: "", ratio: "", target: "" });
  }
  return rows;
}

function ratio(a: number, b: number | undefined): string {
  return b === undefined || !Number.isFinite(b) || b === 0 ? "" : `${(a / b).toFixed(2)}×`;
}

/** The memory table: VmRSS, RssAnon and RssFile of both providers at every phase. */
export function memoryTable(ours: ProviderFigures, go: ProviderFigures | undefined, goLabel: string): string {
  const cells = (memory: Memory | undefined) =>
    memory ? [mib(memory.rss), mib(memory.anon), mib(memory.file)] : ["", "", ""];
  const lines = [
    `| Phase | Ours VmRSS | Ours RssAnon | Ours RssFile | ${goLabel} VmRSS | RssAnon | RssFile |`,
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  const row = (phase: string, mine: Memory | undefined, theirs: Memory | undefined) =>
    lines.push(`| ${phase} | ${[...cells(mine), ...cells(theirs)].join(" | ")} |`);
  row("P4 idle (median of each)", ours.idle, go?.idle);
  row("after the first mount", ours.afterFirstMount, go?.afterFirstMount);
  row("after P1", ours.afterP1, go?.afterP1);
  for (const kind of ["shared", "distinct", "fresh"] as const) {
    const mine = ours.bursts[kind];
    const name = shortName(mine);
    const theirs = go?.bursts[kind];
    row(`P2 ${name}: before`, mine.before, theirs?.before);
    row(`P2 ${name}: **peak** (each its own)`, mine.peak, theirs?.peak);
    row(`P2 ${name}: 1 s after`, mine.after, theirs?.after);
  }
  const limited = !("skipped" in ours.limited) ? ours.limited : undefined;
  const goLimited = go && !("skipped" in go.limited) ? go.limited : undefined;
  if (limited) {
    const limit = `${Math.round(limited.limit / MiB)} MiB`;
    row(`P7 (cgroup ${limit}) idle`, limited.idle, goLimited?.idle);
    for (const [i, burst] of limited.bursts.entries()) {
      const name = shortName(ours.bursts[burst.kind]);
      row(`P7 (cgroup ${limit}) ${name}: peak`, burst.peak, goLimited?.bursts[i]?.peak);
    }
    const charged = (figure: LimitedFigure | undefined) =>
      figure && !("skipped" in figure)
        ? figure.bursts.map((burst) => `${mib(burst.cgroup.anon)} anon + ${mib(burst.cgroup.file)} file`)
          .join(", then ")
        : "";
    lines.push(
      "",
      `The cgroup (v${limited.cgroupVersion}) charged after each P7 burst: ours ${charged(limited)}; ` +
        `Go ${charged(goLimited)} (memory.stat).`,
    );
  }
  return lines.join("\n") + "\n";
}

/** A burst in a few words: `11 new workloads`, `110 new identities`, `node boot`. */
function shortName(burst: BurstFigure): string {
  if (burst.kind === "fresh") return `node boot (${burst.pods} pods)`;
  return `${burst.identities} new ${burst.kind === "shared" ? "workloads" : "identities"}`;
}

/** How a burst was made, in words for its rows. */
function burstWords(burst: BurstFigure): string {
  const replicas = Math.ceil(burst.pods / burst.identities);
  switch (burst.kind) {
    case "shared":
      return `running provider, ${burst.identities} new workloads of ${replicas} replicas (one identity each)`;
    case "distinct":
      return `running provider, ${burst.identities} new identities (nothing shared)`;
    case "fresh":
      return `provider just started (node boot), ${burst.identities} workloads of ${replicas} replicas`;
  }
}

/** `10 / 0` (Key Vault / Entra), with the breakdown when there is one. */
function requests(counts: RequestCounts): string {
  const detail: string[] = [];
  if (counts.keyvaultChallenges > 0) detail.push(`${fmt(counts.keyvaultChallenges)}×401`);
  if (counts.entraTokens > 0) detail.push(`${fmt(counts.entraTokens)} token`);
  if (counts.entraDiscovery > 0) detail.push(`${fmt(counts.entraDiscovery)} discovery`);
  return `${fmt(counts.keyvault)} / ${fmt(counts.entra)}${detail.length ? ` (${detail.join(", ")})` : ""}`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** The Markdown report: how the run was made, then the table. */
export function markdown(
  rows: readonly Row[],
  info: RunInfo,
  goLabel: string,
  ours?: ProviderFigures,
  go?: ProviderFigures,
): string {
  const flags = ours?.runtimeFlags.length ? ours.runtimeFlags.map((flag) => `\`${flag}\``).join(" ") : "none";
  const lines = [
    `Run ${info.date} on ${info.machine}; load average before/after: ${info.loadBefore} / ${info.loadAfter}.`,
    `Emulator latency ${info.latencyMs} ms on every Key Vault and Entra request; ${info.runs} runs per P1 figure; ` +
    `${info.starts} starts for P4; bursts on the running provider after ${
      info.settleMs / 1000
    } s quiet; deno ${info.deno}` +
    (info.go ? `; ${goLabel} built with ${info.go.toolchain}.` : "."),
    `Our provider's V8 flags: ${flags}; it trusts the emulator's CA through ${ours?.trust ?? "?"}.`,
    ...(info.goMissing ? [`No Go column: ${info.goMissing}`] : []),
    "",
    `| Figure | Ours | ${goLabel} | Ours / Go | Target | Met |`,
    "|---|---:|---:|---:|---|:-:|",
    ...rows.map((row) =>
      `| ${row.figure} | ${row.ours} | ${row.go} | ${row.ratio} | ${row.target} | ${
        row.met === undefined ? "" : row.met ? "yes" : "**no**"
      } |`
    ),
    "",
    ...(ours
      ? [
        "Memory of the provider process at every phase (`/proc/<pid>/status`):",
        "",
        memoryTable(ours, go, goLabel),
      ]
      : []),
  ];
  return lines.join("\n");
}

/** The plain-text table printed at the end of a run. */
export function consoleTable(rows: readonly Row[], goLabel: string): string {
  const header = ["Figure", "Ours", goLabel, "Ours/Go", "Target", "Met"];
  const body = rows.map((row) => [
    row.figure,
    row.ours,
    row.go,
    row.ratio,
    row.target,
    row.met === undefined ? "" : row.met ? "yes" : "NO",
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => cells[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

export const SECTION_BEGIN = "<!-- bench:begin (written by deno task bench) -->";
export const SECTION_END = "<!-- bench:end -->";

/** Replaces a document's text between the markers; false when the markers are missing. */
export async function updateSection(path: string, section: string): Promise<boolean> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return false;
  }
  const begin = text.indexOf(SECTION_BEGIN);
  const end = text.indexOf(SECTION_END);
  if (begin < 0 || end < begin) return false;
  const updated = text.slice(0, begin + SECTION_BEGIN.length) + "\n" + section.trim() + "\n" +
    text.slice(end);
  if (updated !== text) await Deno.writeTextFile(path, updated);
  return true;
}
