// (D) Zipf read-through: s = 0.99 over 100k keys, capacity 10k. Throughput and hit ratio, with the
// bound each implementation actually enforces (a looser bound buys hit ratio with memory).
import { IMPLEMENTATIONS } from "../lib/adapters.ts";
import { makeRow, zipfIndexes } from "../lib/data.ts";
import { collect, now, roundOrder, Samples, type Settings } from "../lib/measure.ts";
import { count, type Medians, seriesOf, table, type WorkloadResult } from "../lib/report.ts";

const KEYS = 100_000;
const CAPACITY = 10_000;
const EXPONENT = 0.99;

export async function zipf(settings: Settings): Promise<WorkloadResult> {
  const warmupOps = settings.quick ? 10_000 : 200_000;
  const measuredOps = settings.quick ? 20_000 : 500_000;
  const stream = zipfIndexes(KEYS, EXPONENT, warmupOps + measuredOps, 0x5eed);
  const keys = Array.from({ length: KEYS }, (_, i) => `zipf:${i}`);
  const samples = new Samples();
  const hitRatios: Record<string, number> = {};
  const held: Record<string, number | undefined> = {};
  const rounds = Math.min(settings.rounds, 3);
  for (let round = 0; round < rounds; round++) {
    for (const impl of roundOrder(IMPLEMENTATIONS, round)) {
      let loads = 0;
      const cache = impl.create({
        capacity: CAPACITY,
        loader: (key) => {
          loads++;
          return makeRow(Number(key.slice(5)));
        },
      });
      collect();
      for (let i = 0; i < warmupOps; i++) await cache.getOrLoad(keys[stream[i] as number] as string);
      const loadsBefore = loads;
      const start = now();
      for (let i = warmupOps; i < stream.length; i++)
        await cache.getOrLoad(keys[stream[i] as number] as string);
      const seconds = (now() - start) / 1000;
      samples.add("opsPerSecond", impl.id, measuredOps / seconds);
      hitRatios[impl.id] = 1 - (loads - loadsBefore) / measuredOps;
      held[impl.id] = cache.held();
      await cache.close();
    }
  }
  const ids = IMPLEMENTATIONS.map((impl) => impl.id);
  const opsPerSecond = seriesOf(ids, (id) => samples.median("opsPerSecond", id));
  const hitRatio = seriesOf(ids, (id) => hitRatios[id]);
  const medians: Medians = { opsPerSecond, hitRatio };
  const markdown = [
    `### (D) Zipf read-through (s = ${EXPONENT}, ${count(KEYS)} keys, capacity ${count(CAPACITY)})`,
    "",
    `${count(warmupOps)} warm-up reads, then ${count(measuredOps)} measured reads awaited one after another; synchronous loader. Hit ratio = 1 − loads / reads (deterministic: same key stream for all). Throughput: median of ${rounds} rounds.`,
    "",
    table(
      ["implementation", "ops/s", "hit ratio", "entries held at end", "bound enforced for capacity 10,000"],
      IMPLEMENTATIONS.map((impl) => [
        impl.name,
        count(opsPerSecond[impl.id]),
        (hitRatio[impl.id] ?? Number.NaN).toFixed(4),
        held[impl.id] === undefined ? "n/a" : count(held[impl.id]),
        impl.bound(CAPACITY),
      ]),
      "lrrrl",
    ),
  ].join("\n");
  return { id: "D", title: "Zipf", markdown, medians, data: { samples: samples.toJSON(), hitRatios, held } };
}
