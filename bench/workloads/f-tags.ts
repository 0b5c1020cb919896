// (F) Tags: invalidating one tag that covers 1k of 100k entries, and what tags cost on a hit.
// Only implementations with tag (reference) invalidation take part.
import { type CacheAdapter, IMPLEMENTATIONS, type Implementation } from "../lib/adapters.ts";
import { makeRow } from "../lib/data.ts";
import { collect, isolate, latency, now, roundOrder, Samples, type Settings } from "../lib/measure.ts";
import { count, duration, type Medians, seriesOf, table, type WorkloadResult } from "../lib/report.ts";

const GROUP = 1_000;
/** Pseudo-implementation: the least a tag index can do (one Map of entries, one Map of tag → Set). */
const FLOOR = "floor";
const NO_TAGS: readonly string[] = Object.freeze([]);

export async function tags(settings: Settings): Promise<WorkloadResult> {
  const entries = settings.quick ? 10_000 : 100_000;
  const groups = entries / GROUP;
  const invalidationsPerRound = settings.quick ? 3 : 10;
  const rounds = Math.min(settings.rounds, settings.quick ? 1 : 3);
  const hitOpts = settings.quick
    ? { batch: 256, samples: 4, minMs: 2 }
    : { batch: 1024, samples: 8, minMs: 30 };
  // Tagged entries carry a group tag (1k entries each) and their own entity tag.
  const tagLists = Array.from({ length: entries }, (_, i) =>
    Object.freeze([`group:${i % groups}`, `user:${i}`]),
  );
  // One Map lookup per call on both the tagged and the untagged path, so they cost the caller the same.
  const tagsByKey = new Map<string, readonly string[]>(tagLists.map((tags, i) => [`t:${i}`, tags]));
  tagsByKey.set("t:hot", Object.freeze(["group:hot", "user:hot"]));
  const tagsOf = (key: string): readonly string[] => tagsByKey.get(key) ?? NO_TAGS;
  const implementations = IMPLEMENTATIONS.filter((impl) => impl.tags);
  const samples = new Samples();
  const removed: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const impl of roundOrder(implementations, round)) {
      const cache: CacheAdapter = impl.create({
        capacity: 2 * entries,
        loader: (key) => makeRow(key.endsWith(":hot") ? 7 : Number(key.slice(2))),
        tagsOf,
      });
      for (let i = 0; i < entries; i++) await cache.getOrLoad(`t:${i}`);
      // Hit cost: the same row stored twice, one after the other (so both sit in the same store
      // generation), with 2 tags or none; measured tagged, untagged, untagged, tagged.
      await cache.getOrLoad("t:hot");
      await cache.getOrLoad("p:hot");
      const tagged = isolate(cache.getOrLoad, "t:hot");
      const untagged = isolate(cache.getOrLoad, "p:hot");
      for (let i = 0; i < (settings.quick ? 200 : 5_000); i++) await Promise.all([tagged(), untagged()]);
      collect();
      samples.add("hitTagged", impl.id, await latency(tagged, hitOpts));
      samples.add("hitUntagged", impl.id, await latency(untagged, hitOpts));
      samples.add("hitUntagged", impl.id, await latency(untagged, hitOpts));
      samples.add("hitTagged", impl.id, await latency(tagged, hitOpts));
      // Invalidation: one group tag at a time, groups the hit keys are not in.
      collect();
      for (let g = 1; g <= invalidationsPerRound; g++) {
        const start = now();
        const result = await (cache.invalidateTag as (tag: string) => Promise<unknown>)(`group:${g}`);
        samples.add("invalidate", impl.id, (now() - start) * 1e6);
        if (typeof result === "number") removed[impl.id] = [...(removed[impl.id] ?? []), result];
      }
      await checkInvalidated(impl, cache, groups);
      await cache.close();
    }
    floorInvalidations(entries, tagLists, invalidationsPerRound, (x) => samples.add("invalidate", FLOOR, x));
  }
  const ids = implementations.map((impl) => impl.id);
  const {
    invalidate = {},
    hitTagged = {},
    hitUntagged = {},
  } = samples.medians(["invalidate", "hitTagged", "hitUntagged"], [...ids, FLOOR]);
  const tagOverhead = seriesOf(ids, (id) =>
    hitTagged[id] === undefined || hitUntagged[id] === undefined
      ? undefined
      : hitTagged[id] - hitUntagged[id],
  );
  const medians: Medians = { invalidate, hitTagged, hitUntagged, tagOverhead };
  const markdown = [
    `### (F) Tags: invalidate one tag covering ${count(GROUP)} of ${count(entries)} entries`,
    "",
    `Every entry carries a group tag (${count(GROUP)} entries each) and its own entity tag. Invalidation: wall time of one awaited call (one full GC after the fill, none in between), median over ${invalidationsPerRound} tags × ${rounds} rounds. Hits: getOrLoad on the same row stored with 2 tags or none, in the same full cache.`,
    "",
    table(
      [
        "implementation",
        "invalidate 1 tag (1k entries)",
        "entries removed",
        "hit, 2 tags",
        "hit, untagged",
        "tag cost per hit",
      ],
      [...implementations, { id: FLOOR, name: "floor: Map + tag → Set index, by hand" }].map((impl) => [
        impl.name,
        duration(invalidate[impl.id]),
        removed[impl.id] === undefined ? "n/a" : count(Math.min(...(removed[impl.id] as number[]))),
        duration(hitTagged[impl.id]),
        duration(hitUntagged[impl.id]),
        tagOverhead[impl.id] === undefined ? "–" : `${(tagOverhead[impl.id] as number).toFixed(0)} ns`,
      ]),
    ),
    "",
    "bentocache's deleteByTag is lazy: it records the invalidation and each later read checks its entry's tags, so its cost moves from the invalidation to the reads that follow.",
  ].join("\n");
  return { id: "F", title: "Tags", markdown, medians, data: { samples: samples.toJSON(), removed } };
}

/** After invalidating groups 1…k, a key of group 1 must be gone and a key of group 0 still there. */
async function checkInvalidated(impl: Implementation, cache: CacheAdapter, groups: number): Promise<void> {
  if ((await cache.get(`t:${1}`)) !== undefined)
    throw new Error(`${impl.name}: invalidated entry t:1 still present`);
  if ((await cache.get(`t:${groups}`)) === undefined) throw new Error(`${impl.name}: entry t:${groups} lost`);
}

/**
 * The floor for invalidation on this machine: a hand-written Map of entries plus a Map of tag → Set
 * of keys, with the same data, removing each entry and its other tag, and nothing else (no TTL, no
 * stats, no in-flight loads). Reports one sample per invalidated tag, in ns.
 */
function floorInvalidations(
  entries: number,
  tagLists: readonly (readonly string[])[],
  invalidations: number,
  report: (ns: number) => void,
): void {
  const values = new Map<string, { value: unknown; tags: readonly string[] }>();
  const index = new Map<string, Set<string>>();
  for (let i = 0; i < entries; i++) {
    const key = `t:${i}`;
    const tags = tagLists[i] as readonly string[];
    values.set(key, { value: makeRow(i), tags });
    for (const tag of tags) {
      const keys = index.get(tag);
      if (keys === undefined) index.set(tag, new Set([key]));
      else keys.add(key);
    }
  }
  collect();
  for (let g = 1; g <= invalidations; g++) {
    const tag = `group:${g}`;
    const start = now();
    const keys = index.get(tag) ?? new Set<string>();
    index.delete(tag);
    for (const key of keys) {
      const entry = values.get(key);
      values.delete(key);
      for (const other of entry?.tags ?? []) {
        const set = index.get(other);
        if (set?.delete(key) && set.size === 0) index.delete(other);
      }
    }
    report((now() - start) * 1e6);
    if (keys.size !== GROUP) throw new Error(`floor removed ${keys.size}`);
  }
}
