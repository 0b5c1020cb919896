// The performance targets, evaluated as ratios within one run. Reported, never asserted: a missed
// target prints "missed", it never fails the run.
import { type Medians, ratio, table, type WorkloadResult } from "./report.ts";

export interface TargetResult {
  readonly workload: string;
  readonly target: string;
  readonly measured: string;
  /** `undefined` when the workload did not run. */
  readonly met: boolean | undefined;
  /** The same target for the candidate engine (HYDRACACHE_CANDIDATE), when one ran. */
  readonly candidate?: { readonly measured: string; readonly met: boolean | undefined };
}

type Lookup = (workload: string, series: string, id: string) => number | undefined;

const ns = (value: number | undefined): string =>
  value === undefined ? "–" : value < 1000 ? `${value.toFixed(0)} ns` : `${(value / 1000).toFixed(2)} µs`;

interface TargetSpec {
  readonly workload: string;
  readonly target: string;
  /** Returns [measured text, met], or undefined when inputs are missing. */
  readonly evaluate: (get: Lookup) => readonly [string, boolean] | undefined;
}

const div = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a / b;

function ratioTarget(
  workload: string,
  target: string,
  compute: (get: Lookup) => number | undefined,
  ok: (x: number) => boolean,
  describe: (x: number, get: Lookup) => string = (x) => ratio(x),
): TargetSpec {
  return {
    workload,
    target,
    evaluate: (get) => {
      const x = compute(get);
      return x === undefined || !Number.isFinite(x) ? undefined : [describe(x, get), ok(x)];
    },
  };
}

const SPECS: readonly TargetSpec[] = [
  ratioTarget(
    "A",
    "default-codec getOrLoad hit no slower than bare quick-lru + the default codec (row)",
    (g) => div(g("A", "getOrLoad/row", "hydra-cbor"), g("A", "getOrLoad/row", "quick-lru-cbor")),
    (x) => x <= 1,
    (x, g) =>
      `${ratio(x)} (${ns(g("A", "getOrLoad/row", "hydra-cbor"))} vs ${ns(g("A", "getOrLoad/row", "quick-lru-cbor"))})`,
  ),
  ratioTarget(
    "A",
    "default-codec getOrLoad hit no slower than bare quick-lru + the default codec (50 rows)",
    (g) => div(g("A", "getOrLoad/list", "hydra-cbor"), g("A", "getOrLoad/list", "quick-lru-cbor")),
    (x) => x <= 1,
    (x, g) =>
      `${ratio(x)} (${ns(g("A", "getOrLoad/list", "hydra-cbor"))} vs ${ns(g("A", "getOrLoad/list", "quick-lru-cbor"))})`,
  ),
  ratioTarget(
    "A",
    "default-codec hit ≥ 5× faster than bentocache (row)",
    (g) => div(g("A", "getOrLoad/row", "bentocache"), g("A", "getOrLoad/row", "hydra-cbor")),
    (x) => x >= 5,
  ),
  ratioTarget(
    "A",
    "default-codec hit faster than cache-manager's shared hit (row)",
    (g) => div(g("A", "getOrLoad/row", "hydra-cbor"), g("A", "getOrLoad/row", "cache-manager")),
    (x) => x < 1,
    (x, g) =>
      `${ratio(x)} (${ns(g("A", "getOrLoad/row", "hydra-cbor"))} vs ${ns(g("A", "getOrLoad/row", "cache-manager"))})`,
  ),
  ratioTarget(
    "A",
    "default-codec hit ≤ 3× lru-cache's shared hit (row)",
    (g) => div(g("A", "getOrLoad/row", "hydra-cbor"), g("A", "getOrLoad/row", "lru-cache")),
    (x) => x <= 3,
    (x, g) =>
      `${ratio(x)} (${ns(g("A", "getOrLoad/row", "hydra-cbor"))} vs ${ns(g("A", "getOrLoad/row", "lru-cache"))})`,
  ),
  ratioTarget(
    "A",
    "default-codec hit ≥ 1.5× faster than cache-manager (row)",
    (g) => div(g("A", "getOrLoad/row", "cache-manager"), g("A", "getOrLoad/row", "hydra-cbor")),
    (x) => x >= 1.5,
  ),
  ratioTarget(
    "A",
    "referenceCodec getOrLoad hit ≤ 1.3× the Map floor (row)",
    (g) => div(g("A", "getOrLoad/row", "hydra-ref"), g("A", "getOrLoad/row", "map")),
    (x) => x <= 1.3,
    (x, g) =>
      `${ratio(x)} (${ns(g("A", "getOrLoad/row", "hydra-ref"))} vs ${ns(g("A", "getOrLoad/row", "map"))})`,
  ),
  ratioTarget(
    "B",
    "miss + load with CBOR ≤ 2 µs",
    (g) => g("B", "miss", "hydra-cbor"),
    (x) => x <= 2000,
    (x, g) => `${ns(x)} (bare encode + decode with its codec: ${ns(g("B", "miss", "cbor-x-encode-decode"))})`,
  ),
  ratioTarget(
    "C",
    "stampede: one loader run (both codecs, both shapes)",
    (g) => {
      // The shapes that ran (the smoke run skips the 50-row value).
      const ran = ["row", "list"]
        .flatMap((s) => ["hydra-cbor", "hydra-ref"].map((id) => g("C", `runs/${s}`, id) ?? Number.NaN))
        .filter((runs) => !Number.isNaN(runs));
      return ran.length === 0 ? Number.NaN : Math.max(...ran);
    },
    (x) => x === 1,
    (x) => `${x} run${x === 1 ? "" : "s"}`,
  ),
  ratioTarget(
    "C",
    "stampede ≥ 10× faster than bentocache (row)",
    (g) => div(g("C", "row", "bentocache"), g("C", "row", "hydra-cbor")),
    (x) => x >= 10,
  ),
  ratioTarget(
    "C",
    "stampede, default codec ≤ 1.3× N bare decodes of that codec (row)",
    (g) => div(g("C", "row", "hydra-cbor"), g("C", "row", "cbor-x-decodes")),
    (x) => x <= 1.3,
  ),
  ratioTarget(
    "C",
    "stampede, default codec ≤ 1.3× N bare decodes of that codec (50 rows)",
    (g) => div(g("C", "list", "hydra-cbor"), g("C", "list", "cbor-x-decodes")),
    (x) => x <= 1.3,
  ),
  ratioTarget(
    "C",
    "stampede, referenceCodec ≤ 2× quick-lru + Map of promises (row)",
    (g) => div(g("C", "row", "hydra-ref"), g("C", "row", "quick-lru")),
    (x) => x <= 2,
  ),
  ratioTarget(
    "D",
    "Zipf hit ratio at the hard bound ≥ 0.97× lru-cache's at the same bound",
    (g) => div(g("D", "hitRatio", "hydra-cbor"), g("D", "hitRatio", "lru-cache")),
    (x) => x >= 0.97,
    (x, g) =>
      `${x.toFixed(3)}× (${(g("D", "hitRatio", "hydra-cbor") ?? 0).toFixed(4)} vs ${(g("D", "hitRatio", "lru-cache") ?? 0).toFixed(4)})`,
  ),
  ratioTarget(
    "F",
    "invalidate 1 tag covering 1k entries ≤ 300 µs",
    (g) => g("F", "invalidate", "hydra-cbor"),
    (x) => x <= 300_000,
    (x) => ns(x),
  ),
  ratioTarget(
    "F",
    "tagged hit (2 tags) ≤ 50 ns more than untagged",
    (g) => g("F", "tagOverhead", "hydra-cbor"),
    (x) => x <= 50,
    (x, g) =>
      `${x.toFixed(0)} ns (referenceCodec: ${(g("F", "tagOverhead", "hydra-ref") ?? Number.NaN).toFixed(0)} ns)`,
  ),
  ratioTarget(
    "G",
    "cached Drizzle select (DrizzleDbCache entity) ≥ 5× faster than a Map-based Drizzle Cache hit (PGlite)",
    (g) => div(g("G", "pglite", "map-cache"), g("G", "pglite", "drizzle-db-cache")),
    (x) => x >= 5,
  ),
  ratioTarget(
    "G",
    "cached Drizzle select (HydraDrizzleCache) ≥ 5× faster than a Map-based Drizzle Cache hit (PGlite)",
    (g) => div(g("G", "pglite", "map-cache"), g("G", "pglite", "hydra-drizzle-cache")),
    (x) => x >= 5,
  ),
];

/** Evaluates every target against the workloads that ran. */
export function evaluateTargets(results: readonly WorkloadResult[]): TargetResult[] {
  const byId = new Map<string, Medians>(results.map((r) => [r.id, r.medians]));
  const get: Lookup = (workload, series, id) => byId.get(workload)?.[series]?.[id];
  const hasCandidate = results.some((r) => Object.values(r.medians).some((row) => "candidate-ref" in row));
  // The candidate engine stands in for hydracache, and its codec's floors for the default codec's;
  // everything else stays as measured.
  const asCandidate: Lookup = (workload, series, id) =>
    id === "hydra-cbor" || id === "hydra-ref"
      ? get(workload, series, id === "hydra-cbor" ? "candidate-cbor" : "candidate-ref")
      : (get(workload, series, `candidate-${id}`) ?? get(workload, series, id));
  return SPECS.map((spec) => {
    const outcome = byId.has(spec.workload) ? spec.evaluate(get) : undefined;
    const candidate = hasCandidate && byId.has(spec.workload) ? spec.evaluate(asCandidate) : undefined;
    return {
      workload: spec.workload,
      target: spec.target,
      measured: outcome?.[0] ?? "not run",
      met: outcome?.[1],
      ...(hasCandidate ? { candidate: { measured: candidate?.[0] ?? "–", met: candidate?.[1] } } : {}),
    };
  });
}

/** The target table, as Markdown. */
export function targetsTable(targets: readonly TargetResult[]): string {
  const verdict = (met: boolean | undefined) => (met === undefined ? "–" : met ? "met" : "**missed**");
  if (targets.some((t) => t.candidate !== undefined)) {
    return table(
      ["", "target", "measured", "result", "candidate engine", "result"],
      targets.map((t) => [
        t.workload,
        t.target,
        t.measured,
        verdict(t.met),
        t.candidate?.measured ?? "–",
        verdict(t.candidate?.met),
      ]),
      "llrlrl",
    );
  }
  return table(
    ["", "target", "measured", "result"],
    targets.map((t) => [t.workload, t.target, t.measured, verdict(t.met)]),
    "llrl",
  );
}
