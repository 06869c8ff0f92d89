/**
 * The benchmark's two SVG charts, written by hand: mount latency against object count (log
 * scale, median with a p95 whisker), and each burst as a timeline of its mounts with the
 * provider's resident memory drawn over it.
 */

/** One line of the latency chart: a median and p95 per object count. */
export interface LatencySeries {
  readonly label: string;
  readonly color: string;
  readonly dashed: boolean;
  readonly points: readonly { objects: number; median: number; p95: number }[];
}

/** One panel of the burst chart. */
export interface BurstPanel {
  readonly title: string;
  readonly color: string;
  readonly calls: readonly { start: number; end: number; ok: boolean }[];
  readonly memory: readonly { t: number; rss: number }[];
  readonly wallMs: number;
  readonly peakRss: number;
}

const FONT = `font-family="Helvetica,Arial,sans-serif"`;

/** Latency (ms, log scale) against object count. */
export function latencyChart(title: string, series: readonly LatencySeries[]): string {
  const width = 760, height = 420;
  const left = 70, right = 190, top = 40, bottom = 50;
  const sizes = [...new Set(series.flatMap((s) => s.points.map((p) => p.objects)))].sort((a, b) => a - b);
  const values = series.flatMap((s) => s.points.flatMap((p) => [p.median, p.p95])).filter((v) => v > 0);
  const low = Math.pow(10, Math.floor(Math.log10(Math.min(...values))));
  const high = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 10))));
  const plotW = width - left - right, plotH = height - top - bottom;
  const x = (objects: number) =>
    left + (sizes.length === 1 ? plotW / 2 : (sizes.indexOf(objects) / (sizes.length - 1)) * plotW);
  const y = (ms: number) =>
    top + plotH -
    ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * plotH;
  const parts: string[] = [];
  for (let decade = low; decade <= high; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = decade * step;
      if (value > high) break;
      parts.push(
        `<line x1="${left}" x2="${left + plotW}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"${
          step === 1 ? "" : ` stroke-dasharray="2,3"`
        }/>`,
        `<text x="${left - 8}" y="${y(value) + 4}" text-anchor="end" font-size="11" ${FONT}>${
          formatMs(value)
        }</text>`,
      );
    }
  }
  for (const size of sizes) {
    parts.push(
      `<text x="${x(size)}" y="${
        top + plotH + 20
      }" text-anchor="middle" font-size="12" ${FONT}>${size}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${
      height - 10
    }" text-anchor="middle" font-size="12" ${FONT}>objects per mount</text>`,
    `<text x="16" y="${
      top + plotH / 2
    }" text-anchor="middle" font-size="12" ${FONT} transform="rotate(-90 16 ${
      top + plotH / 2
    })">mount latency, median (whisker: p95)</text>`,
  );
  series.forEach((s, i) => {
    const path = s.points.map((p, j) => `${j === 0 ? "M" : "L"}${x(p.objects)},${y(p.median)}`).join(" ");
    parts.push(
      `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${
        s.dashed ? ` stroke-dasharray="6,4"` : ""
      }/>`,
    );
    for (const p of s.points) {
      const offset = (i - (series.length - 1) / 2) * 4;
      parts.push(
        `<line x1="${x(p.objects) + offset}" x2="${x(p.objects) + offset}" y1="${y(p.median)}" y2="${
          y(p.p95)
        }" stroke="${s.color}" stroke-width="1.5"/>`,
        `<circle cx="${x(p.objects)}" cy="${y(p.median)}" r="3.5" fill="${s.color}"/>`,
        `<text x="${x(p.objects) + 7}" y="${y(p.median) - 5}" font-size="10" fill="${s.color}" ${FONT}>${
          formatMs(p.median)
        }</text>`,
      );
    }
    const ly = top + 10 + i * 20;
    parts.push(
      `<line x1="${width - right + 15}" x2="${
        width - right + 45
      }" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${
        s.dashed ? ` stroke-dasharray="6,4"` : ""
      }/>`,
      `<text x="${width - right + 52}" y="${ly + 4}" font-size="11" ${FONT}>${escape(s.label)}</text>`,
    );
  });
  return svg(width, height, title, parts);
}

/** Burst timelines: one row per burst, one panel per provider, same time scale in a row. */
export function burstChart(
  title: string,
  rows: readonly { label: string; panels: readonly BurstPanel[] }[],
): string {
  const panelW = 400, panelH = 220, gapX = 60, gapY = 70, left = 50, top = 75;
  const columns = Math.max(...rows.map((row) => row.panels.length), 1);
  const width = left + columns * panelW + (columns - 1) * gapX + 60;
  const height = top + rows.length * (panelH + gapY);
  const parts: string[] = [];
  rows.forEach((row, r) => {
    const oy = top + r * (panelH + gapY);
    const maxT = Math.max(
      ...row.panels.map((panel) => panel.wallMs),
      ...row.panels.flatMap((p) => p.memory.map((m) => m.t)),
      1,
    );
    const maxRss = Math.max(...row.panels.flatMap((panel) => panel.memory.map((m) => m.rss)), 1);
    parts.push(
      `<text x="${left}" y="${oy - 22}" font-size="13" font-weight="bold" ${FONT}>${
        escape(row.label)
      }</text>`,
    );
    row.panels.forEach((panel, c) => {
      const ox = left + c * (panelW + gapX);
      const x = (t: number) => ox + (Math.max(0, t) / maxT) * panelW;
      const sorted = [...panel.calls].sort((a, b) => a.start - b.start);
      const barH = panelH / Math.max(sorted.length, 1);
      parts.push(
        `<rect x="${ox}" y="${oy}" width="${panelW}" height="${panelH}" fill="#fafafa" stroke="#ccc"/>`,
        `<text x="${ox}" y="${oy - 6}" font-size="12" ${FONT}>${escape(panel.title)}: wall ${
          formatMs(panel.wallMs)
        }, peak RSS ${mib(panel.peakRss)}</text>`,
      );
      sorted.forEach((call, i) => {
        parts.push(
          `<rect x="${x(call.start)}" y="${oy + i * barH}" width="${
            Math.max(0.8, x(call.end) - x(call.start))
          }" height="${Math.max(0.6, barH * 0.8)}" fill="${call.ok ? panel.color : "#d62728"}"/>`,
        );
      });
      if (panel.memory.length > 1) {
        const path = panel.memory.map((m, j) =>
          `${j === 0 ? "M" : "L"}${x(m.t).toFixed(1)},${
            (oy + panelH - (m.rss / maxRss) * panelH * 0.95).toFixed(1)
          }`
        ).join(" ");
        parts.push(`<path d="${path}" fill="none" stroke="#333" stroke-width="1.2" stroke-dasharray="3,2"/>`);
      }
      for (const fraction of [0, 0.5, 1]) {
        parts.push(
          `<text x="${ox + fraction * panelW}" y="${
            oy + panelH + 14
          }" text-anchor="middle" font-size="10" ${FONT}>${formatMs(fraction * maxT)}</text>`,
        );
      }
    });
    parts.push(
      `<text x="${left}" y="${
        oy + panelH + 30
      }" font-size="10" fill="#555" ${FONT}>bars: one mount each, from call to answer (red: failed), sorted by start; dashed: provider RSS (top = ${
        mib(maxRss)
      })</text>`,
    );
  });
  return svg(width, height, title, parts);
}

function svg(width: number, height: number, title: string, parts: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold" ${FONT}>${
      escape(title)
    }</text>`,
    ...parts,
    `</svg>`,
    "",
  ].join("\n");
}

/** `12.3 ms`, `1.24 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Bytes as `12.3 MiB`. */
export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(1)} MiB` : "–";
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
