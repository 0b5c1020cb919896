// (C) Stampede: 10,000 concurrent callers on one missing key. Total time until every caller has
// its value, and how many times the loader ran. The loader answers on the next macrotask
// (setImmediate), like a fast database round trip, after every caller has joined.
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { FLOOR_CODECS, IMPLEMENTATIONS } from "../lib/adapters.ts";
import { makeList, makeRow } from "../lib/data.ts";
import { collect, median, now, roundOrder, Samples, type Settings } from "../lib/measure.ts";
import { count, duration, type Medians, ratio, table, type WorkloadResult } from "../lib/report.ts";

const CALLERS = 10_000;
const SHAPES = [
  { id: "row", label: "row (~100 B)", make: () => makeRow(42) },
  { id: "list", label: "50 rows (~5 KB)", make: () => makeList(1) },
] as const;

/**
 * Pseudo-implementation: N bare decodes of the stored bytes with the default codec, all kept alive
 * until the end like the callers' copies: the floor for a codec that gives every caller its own
 * copy; `candidate-` + this id with the candidate engine's codec.
 */
const DECODE_FLOOR = "cbor-x-decodes";
const floors = FLOOR_CODECS.map(({ prefix, name, codec }) => ({
  id: `${prefix}${DECODE_FLOOR}`,
  name,
  codec,
}));

export async function stampede(settings: Settings): Promise<WorkloadResult> {
  const runs = new Map<string, number>();
  const caches = IMPLEMENTATIONS.map((impl) => ({
    impl,
    cache: impl.create({
      capacity: 10_000,
      loader: async (key: string) => {
        runs.set(key, (runs.get(key) ?? 0) + 1);
        await nextMacrotask();
        return key.includes(":list:") ? makeList(1) : makeRow(42);
      },
    }),
  }));
  const samples = new Samples();
  const loaderRuns: Record<string, Record<string, number[]>> = {};
  const warmup = settings.quick ? 0 : 1;
  const repeats = settings.quick ? 1 : 3;
  // The smoke run keeps the 10,000 callers but skips the 50-row value (the slow half).
  const shapes = settings.quick ? SHAPES.filter((shape) => shape.id === "row") : SHAPES;
  /** One stampede (or one pass of bare decodes), in ms. */
  const once = async (
    entry: (typeof caches)[number] | (typeof floors)[number],
    shape: (typeof SHAPES)[number],
    key: string,
  ) => {
    collect();
    if (!("cache" in entry)) {
      // Kept alive like the callers' copies are, so the floor pays the same GC.
      const bytes = entry.codec.encode(shape.make());
      const copies: unknown[] = new Array(CALLERS);
      const start = now();
      for (let i = 0; i < CALLERS; i++) copies[i] = entry.codec.decode(bytes);
      return now() - start;
    }
    const start = now();
    const pending: Promise<unknown>[] = new Array(CALLERS);
    for (let i = 0; i < CALLERS; i++) pending[i] = entry.cache.getOrLoad(key);
    const values = await Promise.all(pending);
    const elapsed = now() - start;
    if ((values[CALLERS - 1] as { length?: number; id?: number } | undefined) === undefined) {
      throw new Error(`${entry.impl.name}: stampede returned undefined`);
    }
    // Single-flight is a correctness property, not a timing: the smoke run fails without it.
    if (entry.impl.id.startsWith("hydra") && runs.get(key) !== 1) {
      throw new Error(`${entry.impl.name}: ${runs.get(key)} loader runs for one stampede, expected 1`);
    }
    return elapsed;
  };
  for (let round = -warmup; round < settings.rounds; round++) {
    for (const shape of shapes) {
      for (const entry of roundOrder([...caches, ...floors], Math.max(round, 0))) {
        // A round's figure is the median of a few stampedes: one alone is mostly GC timing.
        const id = "cache" in entry ? entry.impl.id : entry.id;
        const keys = Array.from(
          { length: repeats },
          (_, repeat) => `stampede:${id}:${shape.id}:${round}:${repeat}`,
        );
        const times: number[] = [];
        for (const key of keys) times.push(await once(entry, shape, key));
        if (round < 0) continue;
        samples.add(shape.id, id, median(times) * 1e6);
        if (!("cache" in entry)) continue;
        const perShape = loaderRuns[shape.id] ?? {};
        loaderRuns[shape.id] = perShape;
        perShape[id] = [...(perShape[id] ?? []), ...keys.map((key) => runs.get(key) ?? 0)];
      }
    }
  }
  for (const { cache } of caches) await cache.close();

  const medians: Medians = samples.medians(
    SHAPES.map((shape) => shape.id),
    [...IMPLEMENTATIONS.map((impl) => impl.id), ...floors.map((floor) => floor.id)],
  );
  const maxRuns = (shape: string, id: string) => Math.max(...(loaderRuns[shape]?.[id] ?? [Number.NaN]));
  for (const shape of SHAPES) {
    medians[`runs/${shape.id}`] = Object.fromEntries(
      IMPLEMENTATIONS.map((impl) => [impl.id, maxRuns(shape.id, impl.id)]),
    );
  }
  const floorRow = (shape: string, id = DECODE_FLOOR) => medians[shape]?.[id];
  const markdown = [
    `### (C) Stampede: ${count(CALLERS)} concurrent callers, one missing key`,
    "",
    `Wall time from the first call until all ${count(CALLERS)} promises resolved (a round: the median of ${repeats} stampedes); loader runs per stampede (max over rounds). Median of ${settings.rounds} rounds.`,
    "",
    table(
      ["implementation", ...SHAPES.flatMap((s) => [`time, ${s.label}`, "loader runs"]), "value per caller"],
      [
        ...IMPLEMENTATIONS.map((impl) => [
          impl.name,
          ...SHAPES.flatMap((s) => [duration(medians[s.id]?.[impl.id]), count(maxRuns(s.id, impl.id))]),
          impl.copies ? "own copy" : "shared",
        ]),
        ...floors.map((floor) => [
          `floor: ${count(CALLERS)} bare decodes (${floor.name})`,
          ...SHAPES.flatMap((s) => [duration(floorRow(s.id, floor.id)), "–"]),
          "own copy",
        ]),
      ],
      "lrrrrl",
    ),
    "",
    `hydracache (CBOR) vs the decode floor: ${SHAPES.map((s) => `${s.id} ${ratio((medians[s.id]?.["hydra-cbor"] ?? Number.NaN) / (floorRow(s.id) ?? Number.NaN))}`).join(", ")}.`,
  ].join("\n");
  return { id: "C", title: "Stampede", markdown, medians, data: { samples: samples.toJSON(), loaderRuns } };
}
