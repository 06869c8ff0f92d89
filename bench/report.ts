/**
 * Turns the figures into the side-by-side table (ours / Go, with the issue's targets), the
 * JSON record and the charts, and puts the latest table into the README between markers.
 */
import { burstChart, formatMs, latencyChart, type LatencySeries, mib } from "./charts.ts";
import type { BurstFigure, ProviderFigures, RequestCounts } from "./measure.ts";

const MiB = 1048576;

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
  readonly go?: { version: string; toolchain: string; note?: string };
  /** Why there is no Go column, when there is none. */
  readonly goMissing?: string;
  readonly durationSeconds: number;
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
  const ratio = (a: number, b: number | undefined) =>
    b === undefined || !Number.isFinite(b) || b === 0 ? "" : `${(a / b).toFixed(2)}×`;
  const timing = (f: { summary: { median: number; p95: number } } | undefined) =>
    f ? `${formatMs(f.summary.median)} (p95 ${formatMs(f.summary.p95)})` : "";
  const tenObjects = info.sizes.includes(10) ? 10 : info.sizes[Math.floor(info.sizes.length / 2)];
  for (const kind of ["cold", "warm"] as const) {
    for (const size of info.sizes) {
      const mine = ours[kind][size];
      const theirs = go?.[kind][size];
      const targeted = kind === "warm" && size === tenObjects && go !== undefined;
      const within = theirs ? mine.summary.median <= 0.15 * theirs.summary.median : undefined;
      rows.push({
        figure: `P1 ${kind} mount, ${size} object${size === 1 ? "" : "s"}: median (p95)${
          mine.errors + (theirs?.errors ?? 0) > 0 ? ` — errors ${mine.errors}/${theirs?.errors ?? 0}` : ""
        }`,
        ours: timing(mine),
        go: timing(theirs),
        ratio: ratio(mine.summary.median, theirs?.summary.median),
        target: targeted ? "≤ 0.15× Go" : "",
        met: targeted ? within : undefined,
      });
    }
  }
  rows.push({
    figure: "First mount after start (1 object, new identity)",
    ours: formatMs(ours.firstMountMs),
    go: go ? formatMs(go.firstMountMs) : "",
    ratio: ratio(ours.firstMountMs, go?.firstMountMs),
    target: "",
  });
  for (const kind of ["warm", "cold"] as const) {
    const mine = ours[kind][tenObjects];
    const theirs = go?.[kind][tenObjects];
    rows.push({
      figure: `P1 ${kind} mount, ${tenObjects} objects: provider CPU time per mount`,
      ours: formatMs(mine.cpuMsPerMount),
      go: theirs ? formatMs(theirs.cpuMsPerMount) : "",
      ratio: ratio(mine.cpuMsPerMount, theirs?.cpuMsPerMount),
      target: "",
    });
  }
  for (const kind of ["shared", "distinct", "fresh"] as const) {
    const mine = ours.bursts[kind];
    const theirs = go?.bursts[kind];
    const what = `P2 ${mine.pods} pods × ${mine.objects} objects at once, ${burstWords(mine)}`;
    rows.push({
      figure: `${what}: wall`,
      ours: formatMs(mine.wallMs),
      go: theirs ? formatMs(theirs.wallMs) : "",
      ratio: ratio(mine.wallMs, theirs?.wallMs),
      target: theirs ? "≤ 0.5× Go" : "",
      met: theirs ? mine.wallMs <= 0.5 * theirs.wallMs : undefined,
    });
    rows.push({
      figure: `${what}: per mount median (p95)`,
      ours: `${formatMs(mine.perMount.median)} (p95 ${formatMs(mine.perMount.p95)})`,
      go: theirs ? `${formatMs(theirs.perMount.median)} (p95 ${formatMs(theirs.perMount.p95)})` : "",
      ratio: ratio(mine.perMount.p95, theirs?.perMount.p95),
      target: "",
    });
    rows.push({
      figure: `${what}: errors`,
      ours: String(mine.errors),
      go: theirs ? String(theirs.errors) : "",
      ratio: "",
      target: "0",
      met: mine.errors === 0,
    });
    rows.push({
      figure: `${what}: peak RSS during the burst (VmHWM, process tree)`,
      ours: mib(mine.peakRss),
      go: theirs ? mib(theirs.peakRss) : "",
      ratio: ratio(mine.peakRss, theirs?.peakRss),
      target: "≤ 100 MiB",
      met: mine.peakRss <= 100 * MiB,
    });
    rows.push({
      figure: `${what}: provider CPU time`,
      ours: formatMs(mine.cpuMs),
      go: theirs ? formatMs(theirs.cpuMs) : "",
      ratio: ratio(mine.cpuMs, theirs?.cpuMs),
      target: "",
    });
    rows.push({
      figure: `${what}: Key Vault / Entra requests`,
      ours: requests(mine.requests),
      go: theirs ? requests(theirs.requests) : "",
      ratio: ratio(
        mine.requests.keyvault + mine.requests.entra,
        theirs && theirs.requests.keyvault + theirs.requests.entra,
      ),
      target: "",
    });
  }
  for (const kind of ["warm", "cold"] as const) {
    for (const size of info.sizes) {
      const mine = ours[kind][size].requestsPerMount;
      const theirs = go?.[kind][size].requestsPerMount;
      const exact = mine.keyvault === size && mine.entra === 0;
      rows.push({
        figure: `P3 requests per ${kind === "warm" ? "steady-state remount" : "cold mount"}, ${size} object${
          size === 1 ? "" : "s"
        }: Key Vault / Entra`,
        ours: requests(mine),
        go: theirs ? requests(theirs) : "",
        ratio: ratio(mine.keyvault + mine.entra, theirs && theirs.keyvault + theirs.entra),
        target: kind === "warm" ? `= ${size} / 0` : "",
        met: kind === "warm" ? exact : undefined,
      });
    }
  }
  rows.push({
    figure: `P4 idle RSS ${info.idleMs / 1000} s after start: median of ${info.starts}`,
    ours: mib(ours.idleRss.median),
    go: go ? mib(go.idleRss.median) : "",
    ratio: ratio(ours.idleRss.median, go?.idleRss.median),
    target: "≤ 64 MiB",
    met: ours.idleRss.median <= 64 * MiB,
  });
  rows.push({
    figure: `P4 start → socket accepts: median (max) of ${info.starts}`,
    ours: `${formatMs(ours.readyMs.median)} (${formatMs(ours.readyMs.max)})`,
    go: go ? `${formatMs(go.readyMs.median)} (${formatMs(go.readyMs.max)})` : "",
    ratio: ratio(ours.readyMs.median, go?.readyMs.median),
    target: "≤ 500 ms",
    met: ours.readyMs.median <= 500,
  });
  rows.push({
    figure: `RSS after all of P1 (${info.sizes.length * info.runs + 2} identities): now / peak`,
    ours: `${mib(ours.afterP1.rss)} / ${mib(ours.afterP1.hwm)}`,
    go: go ? `${mib(go.afterP1.rss)} / ${mib(go.afterP1.hwm)}` : "",
    ratio: ratio(ours.afterP1.hwm, go?.afterP1.hwm),
    target: "≤ 100 MiB peak",
    met: ours.afterP1.hwm <= 100 * MiB,
  });
  return rows;
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
): string {
  const flags = ours?.runtimeFlags.length ? ours.runtimeFlags.map((flag) => `\`${flag}\``).join(" ") : "none";
  const lines = [
    `Run ${info.date} on ${info.machine}; load average before/after: ${info.loadBefore} / ${info.loadAfter}.`,
    `Emulator latency ${info.latencyMs} ms on every Key Vault and Entra request; ${info.runs} runs per P1 figure; ` +
    `${info.starts} starts for P4; deno ${info.deno}` +
    (info.go
      ? `; ${goLabel} built with ${info.go.toolchain}${info.go.note ? ` (${info.go.note})` : ""}.`
      : "."),
    `Our provider's V8 flags: ${flags}.`,
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

/** The latency chart of both providers. */
export function latencySvg(ours: ProviderFigures, go: ProviderFigures | undefined, info: RunInfo): string {
  const series: LatencySeries[] = [];
  const add = (figures: ProviderFigures, name: string, color: string) => {
    for (const kind of ["warm", "cold"] as const) {
      series.push({
        label: `${name}, ${kind}`,
        color,
        dashed: kind === "cold",
        points: info.sizes.map((size) => ({
          objects: size,
          median: figures[kind][size].summary.median,
          p95: figures[kind][size].summary.p95,
        })),
      });
    }
  };
  add(ours, "ours", "#2ca02c");
  if (go) add(go, `Go ${info.go?.version ?? ""}`.trim(), "#1f77b4");
  return latencyChart(
    `One mount, ${info.latencyMs} ms per Key Vault/Entra request (${info.runs} runs each)`,
    series,
  );
}

/** The burst timelines of both providers. */
export function burstSvg(ours: ProviderFigures, go: ProviderFigures | undefined, info: RunInfo): string {
  const panel = (figures: ProviderFigures, burst: BurstFigure, color: string) => ({
    title: figures.key === "ours" ? "ours" : `Go ${info.go?.version ?? ""}`.trim(),
    color,
    calls: burst.calls,
    memory: burst.memory,
    wallMs: burst.wallMs,
    peakRss: burst.peakRss,
  });
  const rows = (["shared", "distinct", "fresh"] as const).map((kind) => {
    const burst = ours.bursts[kind];
    return {
      label: `${burst.pods} pods × ${burst.objects} objects at once: ${burstWords(burst)}`,
      panels: [
        panel(ours, burst, "#2ca02c"),
        ...(go ? [panel(go, go.bursts[kind], "#1f77b4")] : []),
      ],
    };
  });
  return burstChart(`Burst of pod mounts, ${info.latencyMs} ms per Key Vault/Entra request`, rows);
}

export const README_BEGIN = "<!-- bench:begin (written by deno task bench) -->";
export const README_END = "<!-- bench:end -->";

/** Replaces the README's text between the markers; false when the markers are missing. */
export async function updateReadme(path: string, section: string): Promise<boolean> {
  const text = await Deno.readTextFile(path);
  const begin = text.indexOf(README_BEGIN);
  const end = text.indexOf(README_END);
  if (begin < 0 || end < begin) return false;
  const updated = text.slice(0, begin + README_BEGIN.length) + "\n" + section.trim() + "\n" + text.slice(end);
  if (updated !== text) await Deno.writeTextFile(path, updated);
  return true;
}
