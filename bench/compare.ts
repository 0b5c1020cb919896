// `node --import tsx bench/compare.ts [results.json]`: the candidate engine (HYDRACACHE_CANDIDATE)
// against the current one, from one run's JSON (default bench/results/latest.json), as Markdown:
// for every series both measured, the median of the rounds and the spread (lowest–highest round),
// and the codec floors measured beside them. Prints nothing for a run without a candidate.
import { readFileSync } from "node:fs";
import { median } from "./lib/measure.ts";
import { duration, table } from "./lib/report.ts";

type Series = Record<string, Record<string, number[]>>;
interface Run {
  readonly meta: { readonly date: string; readonly command: string; readonly loadAverageAtStart: number[] };
  readonly results: readonly { readonly id: string; readonly data?: unknown }[];
}

/** Pairs compared: the current id, the candidate's, and what the pair is. */
const PAIRS = [
  ["hydra-cbor", "candidate-cbor", "default codec"],
  ["hydra-ref", "candidate-ref", "referenceCodec"],
  ["cbor-x-decodes", "candidate-cbor-x-decodes", "codec floor: bare decodes"],
  ["cbor-x-encode-decode", "candidate-cbor-x-encode-decode", "codec floor: bare encode + decode"],
] as const;

/** Series whose values are counts or ratios rather than nanoseconds. */
const plain = (series: string): boolean =>
  series.startsWith("runs/") || series === "hitRatio" || series === "ops";

const show = (series: string, value: number): string =>
  plain(series) ? value.toPrecision(4) : duration(value);

function samplesOf(data: unknown): Series | undefined {
  const inner = (data as { samples?: unknown } | undefined)?.samples ?? data;
  return typeof inner === "object" && inner !== null ? (inner as Series) : undefined;
}

const file = process.argv[2] ?? new URL("results/latest.json", import.meta.url);
const run = JSON.parse(readFileSync(file, "utf8")) as Run;
const rows: string[][] = [];
for (const result of run.results) {
  const samples = samplesOf(result.data);
  if (samples === undefined) continue;
  for (const [series, byId] of Object.entries(samples)) {
    for (const [current, candidate, what] of PAIRS) {
      const after = byId[current];
      const before = byId[candidate];
      if (!Array.isArray(after) || !Array.isArray(before)) continue;
      const cell = (values: number[]) =>
        `${show(series, median(values))} (${show(series, Math.min(...values))}–${show(series, Math.max(...values))})`;
      rows.push([
        result.id,
        series,
        what,
        cell(before),
        cell(after),
        `${(median(after) / median(before)).toFixed(2)}×`,
      ]);
    }
  }
}
if (rows.length > 0) {
  console.log(
    `${run.meta.command} · ${run.meta.date} · load average ${run.meta.loadAverageAtStart.join(", ")}\n`,
  );
  console.log(
    table(
      ["", "series", "what", "before: median (spread)", "after: median (spread)", "after / before"],
      rows,
      "lllrrr",
    ),
  );
}
