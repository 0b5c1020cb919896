// `node --import tsx bench/hit-breakdown.ts`: where a referenceCodec hit's time goes. Floors that
// add one ingredient at a time (a Map, quick-lru, quick-lru and a clock read per hit), beside the
// engine with and without a TTL, interleaved over 7 rounds; mitata p50 per round, the median of the
// rounds. Prints each as a multiple of the Map floor. Timing only: it never fails.
import { measure } from "mitata";
import QuickLRU from "quick-lru";
import { HydraCache, referenceCodec } from "../src/index.ts";
import { makeRow } from "./lib/data.ts";
import { isolate, median } from "./lib/measure.ts";

const row = makeRow(42);
const loader = (): unknown => row;
const map = new Map([["k", row]]);
const lru = new QuickLRU<string, unknown>({ maxSize: 5_000 });
lru.set("k", row);
const expiresAt = Date.now() + 300_000;
const withTtl = HydraCache.local().maxCapacity(10_000).defaultTtl(300_000).codec(referenceCodec).build();
const withoutTtl = HydraCache.local()
  .maxCapacity(10_000)
  .defaultTtl(Number.POSITIVE_INFINITY)
  .codec(referenceCodec)
  .build();
await withTtl.put("k", row);
await withoutTtl.put("k", row);

const hitOr = (hit: unknown): unknown => (hit !== undefined ? Promise.resolve(hit) : loader());
const CASES: Record<string, (key: string) => unknown> = {
  "Map floor": (key) => hitOr(map.get(key)),
  "quick-lru": (key) => hitOr(lru.get(key)),
  "quick-lru + Date.now()": (key) => hitOr(expiresAt > Date.now() ? lru.get(key) : undefined),
  "hydracache, no TTL": (key) => withoutTtl.getOrLoad(key, () => loader()),
  "hydracache, TTL (the bench's)": (key) => withTtl.getOrLoad(key, () => loader()),
};

const samples: Record<string, number[]> = {};
for (let round = 0; round < 7; round++) {
  for (const [name, op] of Object.entries(CASES)) {
    const stats = await measure(isolate(op, "k"), {
      batch_samples: 1024,
      min_samples: 8,
      min_cpu_time: 30e6,
      warmup_samples: 2,
    });
    samples[name] = [...(samples[name] ?? []), stats.p50];
  }
}
const floor = median(samples["Map floor"] ?? []);
for (const [name, values] of Object.entries(samples)) {
  const ns = median(values);
  console.log(
    `${name.padEnd(30)} ${ns.toFixed(1).padStart(7)} ns  ${(ns / floor).toFixed(2)}× the Map floor`,
  );
}
