// `npm run bench` (full, a few minutes) and `npm run bench -- --quick` (smoke, < 30 s).
// Runs every workload in one process, prints Markdown, and writes it with a JSON file and an SVG chart
// into bench/results/. Timing never fails the run; only a crash does.
//
// Options: --quick, --only=A,C,… (workloads), --rounds=N.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { IMPLEMENTATIONS } from "./lib/adapters.ts";
import type { Settings } from "./lib/measure.ts";
import { barChart, type WorkloadResult } from "./lib/report.ts";
import { evaluateTargets, targetsTable } from "./lib/targets.ts";
import { hitLatency } from "./workloads/a-hit.ts";
import { missLatency } from "./workloads/b-miss.ts";
import { stampede } from "./workloads/c-stampede.ts";
import { zipf } from "./workloads/d-zipf.ts";
import { heapPerEntry } from "./workloads/e-heap.ts";
import { tags } from "./workloads/f-tags.ts";

const root = new URL("..", import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = option("only")?.toUpperCase().split(",");
const settings: Settings = { quick, rounds: Number(option("rounds") ?? (quick ? 1 : 7)) };

const WORKLOADS: readonly { id: string; run: (s: Settings) => Promise<WorkloadResult> }[] = [
  { id: "A", run: hitLatency },
  { id: "B", run: missLatency },
  { id: "C", run: stampede },
  { id: "D", run: zipf },
  { id: "E", run: heapPerEntry },
  { id: "F", run: tags },
  { id: "G", run: async (s) => (await import("./workloads/g-drizzle.ts")).drizzle(s) },
  { id: "H", run: async (s) => (await import("./workloads/h-sync.ts")).sync(s) },
];

function versionOf(name: string): string {
  try {
    const manifest = new URL(`node_modules/${name}/package.json`, root);
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

const stamp = new Date().toISOString();
const meta = {
  date: stamp,
  command: `npm run bench${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`,
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  gcExposed: typeof (globalThis as { gc?: unknown }).gc === "function",
  settings,
  versions: Object.fromEntries(
    [
      "mitata",
      "quick-lru",
      "cbor-x",
      "lru-cache",
      "bentocache",
      "cache-manager",
      "async-cache-dedupe",
      "drizzle-orm",
      "@electric-sql/pglite",
      "postgres",
    ].map((name) => [name, versionOf(name)]),
  ),
};

const printed: string[] = [];
const log = (text: string) => {
  printed.push(text);
  process.stdout.write(`${text}\n`);
};
log(`# hydracache benchmarks${quick ? " (quick smoke run: figures are not meaningful)" : ""}`);
log("");
log(
  `${meta.date} · Node ${meta.node} · ${meta.cpu} × ${meta.cores} · load average ${meta.loadAverageAtStart.join(", ")} · ${settings.rounds} round(s)`,
);
if (!meta.gcExposed)
  log("\n> gc is not exposed: run through `npm run bench` (node --expose-gc) for memory figures.");

const results: WorkloadResult[] = [];
const started = performance.now();
for (const workload of WORKLOADS) {
  if (only !== undefined && !only.includes(workload.id)) continue;
  const t0 = performance.now();
  const result = await workload.run(settings);
  results.push(result);
  log("");
  log(result.markdown);
  log(`\n_${workload.id} took ${((performance.now() - t0) / 1000).toFixed(1)} s_`);
}
const targets = evaluateTargets(results);
log("");
log("### Targets (ratios within this run)");
log("");
log(targetsTable(targets));
const seconds = (performance.now() - started) / 1000;
const loadAverageAtEnd = loadavg().map((x) => Number(x.toFixed(2)));
log(`\nTotal ${seconds.toFixed(1)} s · load average at end ${loadAverageAtEnd.join(", ")}`);

// Chart: hit latency (A) and stampede time (C) per implementation, row values, log scale.
// Candidate rows (HYDRACACHE_CANDIDATE) stay in the tables, not in the chart.
const charted = IMPLEMENTATIONS.filter((impl) => !impl.id.startsWith("candidate"));
const a = results.find((r) => r.id === "A")?.medians["getOrLoad/row"];
const c = results.find((r) => r.id === "C")?.medians.row;
const panels = [
  ...(a === undefined
    ? []
    : [
        {
          title: "(A) getOrLoad hit on a warm key, ~100 B row (lower is better)",
          bars: charted.map((impl) => ({
            label: impl.name,
            ns: a[impl.id],
            highlight: impl.id.startsWith("hydra"),
          })),
        },
      ]),
  ...(c === undefined
    ? []
    : [
        {
          title: "(C) Stampede: 10,000 concurrent callers on one missing key, total time (lower is better)",
          bars: [
            ...charted.map((impl) => ({
              label: impl.name,
              ns: c[impl.id],
              highlight: impl.id.startsWith("hydra"),
            })),
            { label: "floor: 10,000 bare decodes (default codec)", ns: c["cbor-x-decodes"] },
          ],
        },
      ]),
];
const outDir = new URL("results/", import.meta.url);
mkdirSync(outDir, { recursive: true });
const base = `bench-${stamp.replace(/[:.]/g, "-")}${quick ? "-quick" : ""}`;
const json = JSON.stringify({ meta: { ...meta, loadAverageAtEnd, seconds }, targets, results }, null, 2);
writeFileSync(new URL(`${base}.json`, outDir), json);
writeFileSync(new URL("latest.json", outDir), json);
const markdown = `${printed.join("\n")}\n`;
writeFileSync(new URL(`${base}.md`, outDir), markdown);
writeFileSync(new URL("latest.md", outDir), markdown);
if (panels.length > 0) {
  const svg = barChart(
    "hydracache vs alternatives (median, log scale)",
    `${meta.cpu} × ${meta.cores} · Node ${meta.node} · ${stamp.slice(0, 10)}${quick ? " · QUICK SMOKE RUN" : ""}`,
    panels,
  );
  writeFileSync(new URL(`${base}.svg`, outDir), svg);
  writeFileSync(new URL("latest.svg", outDir), svg);
}
log(`\nWrote ${fileURLToPath(new URL(`${base}.json`, outDir))}, .md${panels.length > 0 ? " and .svg" : ""}`);
