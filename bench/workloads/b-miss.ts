// (B) Miss + load with eviction: getOrLoad on a key never seen before, in a cache kept at capacity,
// so every call misses, runs the loader, stores (encodes, where the library does) and evicts one.
import { type CacheAdapter, FLOOR_CODECS, IMPLEMENTATIONS, type Implementation } from "../lib/adapters.ts";
import { makeRow } from "../lib/data.ts";
import { latency, roundOrder, Samples, type Settings } from "../lib/measure.ts";
import { duration, type Medians, table, type WorkloadResult } from "../lib/report.ts";

const CAPACITY = 10_000;
/**
 * Pseudo-implementation: what the default codec alone costs per miss (the row is encoded to store
 * it and decoded for the caller, who gets a copy like every later hit), with no cache around it;
 * `candidate-` + this id for the candidate engine's codec.
 */
const CODEC_FLOOR = "cbor-x-encode-decode";

export async function missLatency(settings: Settings): Promise<WorkloadResult> {
  const opts = settings.quick ? { batch: 128, samples: 4, minMs: 2 } : { batch: 256, samples: 8, minMs: 30 };
  const caches = new Map<Implementation, { cache: CacheAdapter; op: () => Promise<unknown> }>();
  for (const impl of IMPLEMENTATIONS) {
    let id = 0;
    // A synchronous loader that allocates a fresh ~100 B row, as a driver would.
    const cache = impl.create({ capacity: CAPACITY, loader: () => makeRow(id) });
    const op = () => cache.getOrLoad(`miss:${++id}`);
    // Fill to capacity (and past it, so the store is evicting) before measuring.
    for (let i = 0; i < (settings.quick ? CAPACITY + 100 : 3 * CAPACITY); i++) await op();
    caches.set(impl, { cache, op });
  }
  const samples = new Samples();
  let floorId = 0;
  const floors = FLOOR_CODECS.map(({ prefix, name, codec }) => ({
    id: `${prefix}${CODEC_FLOOR}`,
    name,
    op: () => codec.decode(codec.encode(makeRow(++floorId))),
  }));
  for (let round = 0; round < settings.rounds; round++) {
    for (const impl of roundOrder(IMPLEMENTATIONS, round)) {
      const { op } = caches.get(impl) as { op: () => Promise<unknown> };
      samples.add("miss", impl.id, await latency(op, opts));
    }
    for (const floor of floors) samples.add("miss", floor.id, await latency(floor.op, opts));
  }
  const held: Record<string, number | undefined> = {};
  for (const [impl, { cache }] of caches) {
    held[impl.id] = cache.held();
    await cache.close();
  }
  const medians: Medians = samples.medians(
    ["miss"],
    [...IMPLEMENTATIONS.map((impl) => impl.id), ...floors.map((floor) => floor.id)],
  );
  const markdown = [
    "### (B) Miss + load, with eviction",
    "",
    `getOrLoad on a new key each call (synchronous loader returning a fresh row), capacity ${CAPACITY.toLocaleString("en-US")}, already full. Median of ${settings.rounds} rounds.`,
    "",
    table(
      ["implementation", "miss + load + store", "entries held after", "bound"],
      IMPLEMENTATIONS.map((impl) => [
        impl.name,
        duration(medians.miss?.[impl.id]),
        held[impl.id] === undefined ? "n/a" : (held[impl.id] as number).toLocaleString("en-US"),
        impl.bound(CAPACITY),
      ]).concat(
        floors.map((floor) => [
          `floor: bare encode + decode of one row (${floor.name})`,
          duration(medians.miss?.[floor.id]),
          "–",
          "no cache: the codec's own cost",
        ]),
      ),
      "lrrl",
    ),
  ].join("\n");
  return { id: "B", title: "Miss + load", markdown, medians, data: { samples: samples.toJSON(), held } };
}
