// Output: Markdown tables for the terminal and docs, and a hand-written SVG bar chart (log scale).

/** Medians per series, then per implementation id. */
export type Medians = Record<string, Record<string, number>>;

/** What one workload hands back to the runner. */
export interface WorkloadResult {
  /** "A" … "G". */
  readonly id: string;
  readonly title: string;
  /** Markdown: a heading, tables and notes. */
  readonly markdown: string;
  /** Medians used by the targets and the chart. */
  readonly medians: Medians;
  /** Anything else worth keeping in the JSON file (counts, bounds, raw samples). */
  readonly data?: unknown;
}

/** A Markdown table; `align` is "l" or "r" per column (default: first left, rest right). */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: string,
): string {
  const alignment = header.map((_, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "l" ? ":--" : "--:"));
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(alignment), ...rows.map(line)].join("\n");
}

/** A duration given in ns, in the unit that keeps 3 significant digits. */
export function duration(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return "–";
  if (ns < 1_000) return `${ns.toPrecision(3)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toPrecision(3)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toPrecision(3)} ms`;
  return `${(ns / 1_000_000_000).toPrecision(3)} s`;
}

/** `x` as a ratio with two decimals and a trailing ×. */
export function ratio(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "–" : `${x.toFixed(2)}×`;
}

/** An integer with thousands separators. */
export function count(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "–" : Math.round(n).toLocaleString("en-US");
}

/** One horizontal bar chart panel. */
export interface Panel {
  readonly title: string;
  /** Unit shown on the axis ticks; values are in ns and printed with {@link duration}. */
  readonly bars: readonly {
    readonly label: string;
    readonly ns: number | undefined;
    readonly highlight?: boolean;
  }[];
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * Horizontal bar charts on a log10 axis, one panel under the other, as a standalone SVG string.
 * No chart library: bars are rects, ticks are decades.
 */
export function barChart(title: string, subtitle: string, panels: readonly Panel[]): string {
  const width = 860;
  const labelWidth = 250;
  const valueWidth = 80;
  const plotWidth = width - labelWidth - valueWidth - 20;
  const barHeight = 18;
  const gap = 6;
  const parts: string[] = [];
  let y = 58;
  for (const panel of panels) {
    const values = panel.bars.flatMap((bar) => (bar.ns !== undefined && bar.ns > 0 ? [bar.ns] : []));
    // Start a bit under the smallest value, so the shortest bar is still visible.
    const low = 10 ** Math.floor(Math.log10(Math.min(...values)) - 0.3);
    const high = 10 ** Math.ceil(Math.log10(Math.max(...values)));
    const scale = (ns: number) => (Math.log10(ns / low) / Math.log10(high / low)) * plotWidth;
    parts.push(`<text x="10" y="${y}" class="panel">${escapeXml(panel.title)}</text>`);
    y += 12;
    const top = y;
    const bottom = top + panel.bars.length * (barHeight + gap);
    for (let decade = low; decade <= high * 1.0001; decade *= 10) {
      const x = labelWidth + scale(decade);
      parts.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${bottom}" class="grid"/>`);
      parts.push(`<text x="${x.toFixed(1)}" y="${bottom + 14}" class="tick">${duration(decade)}</text>`);
    }
    for (const bar of panel.bars) {
      const cy = y + barHeight / 2 + 4;
      parts.push(`<text x="${labelWidth - 8}" y="${cy}" class="label">${escapeXml(bar.label)}</text>`);
      if (bar.ns !== undefined && bar.ns > 0) {
        const w = Math.max(scale(bar.ns), 2);
        parts.push(
          `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" class="${bar.highlight ? "hydra" : "bar"}"/>`,
        );
        parts.push(
          `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${cy}" class="value">${duration(bar.ns)}</text>`,
        );
      } else {
        parts.push(`<text x="${labelWidth + 6}" y="${cy}" class="value">n/a</text>`);
      }
      y += barHeight + gap;
    }
    y = bottom + 44;
  }
  const height = y - 14;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    "<style>",
    ".title{font-size:16px;font-weight:600;fill:#111}.subtitle{font-size:11px;fill:#555}",
    ".panel{font-size:13px;font-weight:600;fill:#222}.label{font-size:12px;fill:#222;text-anchor:end}",
    ".value{font-size:11px;fill:#333}.tick{font-size:10px;fill:#777;text-anchor:middle}",
    ".grid{stroke:#ddd;stroke-width:1}.bar{fill:#9aa5b1}.hydra{fill:#2f6fde}",
    "</style>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" class="title">${escapeXml(title)}</text>`,
    `<text x="10" y="38" class="subtitle">${escapeXml(subtitle)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** `{ id: value }` for every id whose value is defined. */
export function seriesOf(
  ids: readonly string[],
  value: (id: string) => number | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) {
    const v = value(id);
    if (v !== undefined) out[id] = v;
  }
  return out;
}
