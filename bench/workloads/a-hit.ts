// (A) Hit latency: getOrLoad on a warm key, and plain get, for a ~100 B row and a 50-row array.
import { type CacheAdapter, IMPLEMENTATIONS, type Implementation } from "../lib/adapters.ts";
import { makeList, makeRow } from "../lib/data.ts";
import { isolate, latency, roundOrder, Samples, type Settings } from "../lib/measure.ts";
import { duration, type Medians, table, type WorkloadResult } from "../lib/report.ts";

const SHAPES = [
  { id: "row", label: "row (~100 B)", key: "row:42" },
  { id: "list", label: "50 rows (~5 KB)", key: "list:42" },
] as const;
const OPS = ["getOrLoad", "get"] as const;

const loader = (key: string): unknown => (key.startsWith("list:") ? makeList(1) : makeRow(42));

export async function hitLatency(settings: Settings): Promise<WorkloadResult> {
  const opts = settings.quick ? { batch: 256, samples: 4, minMs: 2 } : { batch: 1024, samples: 8, minMs: 30 };
  const caches = new Map<Implementation, CacheAdapter>();
  for (const impl of IMPLEMENTATIONS) {
    const cache = impl.create({ capacity: 10_000, loader });
    for (const shape of SHAPES) await cache.getOrLoad(shape.key);
    // JIT warm-up outside the measured rounds.
    for (let i = 0; i < (settings.quick ? 200 : 5_000); i++) {
      const { key } = SHAPES[i % 2] as (typeof SHAPES)[number];
      await cache.getOrLoad(key);
      await cache.get(key);
    }
    caches.set(impl, cache);
  }
  const samples = new Samples();
  for (let round = 0; round < settings.rounds; round++) {
    for (const shape of SHAPES) {
      for (const op of OPS) {
        for (const impl of roundOrder(IMPLEMENTATIONS, round)) {
          const cache = caches.get(impl) as CacheAdapter;
          samples.add(`${op}/${shape.id}`, impl.id, await latency(isolate(cache[op], shape.key), opts));
        }
      }
    }
  }
  for (const cache of caches.values()) await cache.close();

  const medians: Medians = samples.medians(
    SHAPES.flatMap((shape) => OPS.map((op) => `${op}/${shape.id}`)),
    IMPLEMENTATIONS.map((impl) => impl.id),
  );
  const floor = (series: string) => medians[series]?.map as number;
  const rows = IMPLEMENTATIONS.map((impl) => [
    impl.name,
    ...SHAPES.flatMap((shape) =>
      OPS.map((op) => {
        const series = `${op}/${shape.id}`;
        const value = medians[series]?.[impl.id];
        return `${duration(value)} (${((value ?? 0) / floor(series)).toFixed(1)}×)`;
      }),
    ),
    impl.copies ? "copy" : "shared",
  ]);
  const markdown = [
    "### (A) Hit latency",
    "",
    `Median time per awaited call on a warm key (mitata p50 per round, median of ${settings.rounds} rounds; × = relative to the Map floor).`,
    "",
    table(
      ["implementation", ...SHAPES.flatMap((s) => OPS.map((op) => `${op} ${s.label}`)), "value"],
      rows,
      "lrrrrl",
    ),
  ].join("\n");
  return { id: "A", title: "Hit latency", markdown, medians, data: samples.toJSON() };
}
