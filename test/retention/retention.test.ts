// Retention: a value the cache can no longer return (invalidated, evicted, expired past its windows,
// flushed, or loaded by an overtaken load) must be collectable. Checked with WeakRef and a forced
// GC on V8 (Node): the leak these tests guard against is a V8 Map detail (a live iterator keeps a
// rehashed Map's old backing table), so they live outside test/core, which also runs under Bun.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { HydraCache, referenceCodec } from "../../src/index.ts";
import { gate, settle } from "../core/helpers.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** How many of `refs` still point at a live object after a full GC (and a turn for finalizers). */
async function survivors(refs: WeakRef<object>[]): Promise<number> {
  await settle();
  gc();
  await settle();
  gc();
  return refs.filter((ref) => ref.deref() !== undefined).length;
}

// Values are made inside helper functions, so no local of the test keeps one alive.

/** Puts `count` fresh objects under `k<offset + i>` with `options`; returns weak references to them. */
async function putObjects(
  cache: HydraCache,
  count: number,
  options: { tags?: string[]; ttl?: number; staleIfError?: number } = {},
  offset = 0,
): Promise<WeakRef<object>[]> {
  const refs: WeakRef<object>[] = [];
  for (let i = offset; i < offset + count; i++) {
    const value = { i, payload: new Array(16).fill(i) };
    refs.push(new WeakRef(value));
    await cache.put(`k${i}`, value, options);
  }
  return refs;
}

test("retention: values invalidated from a full cache are collectable", async () => {
  const capacity = 2_000;
  const cache = HydraCache.local().codec(referenceCodec).maxCapacity(capacity).build();
  const refs = await putObjects(cache, capacity * 3, { tags: ["all"] });
  assert.ok(cache.stats().evictions > 0);
  await cache.invalidateTag("all");
  assert.is(inspectEngine(cache).entries, 0);
  assert.is(await survivors(refs), 0);
});

test("retention: a cache churning puts and invalidations below capacity keeps nothing it cannot return", async () => {
  // Full once (so evictions have run), emptied, then churned with 600 keys live at a time: quick-lru
  // (generations of 500) rotates, so the older generation churns too, and nothing is evicted.
  const cache = HydraCache.local().codec(referenceCodec).maxCapacity(1_000).build();
  await putObjects(cache, 2_000, { tags: ["first"] }, 1_000_000);
  await cache.invalidateTag("first");
  const evictions = cache.stats().evictions;
  const refs: WeakRef<object>[] = [];
  for (let round = 0; round < 30; round++) {
    refs.push(...(await putObjects(cache, 600, {}, round * 600)));
    for (let i = round * 600; i < round * 600 + 600; i++) await cache.invalidateKey(`k${i}`);
  }
  assert.is(cache.stats().evictions, evictions);
  assert.is(inspectEngine(cache).entries, 0);
  assert.is(await survivors(refs), 0);
});

/** Starts a load, flushes while it runs, then lets it settle; returns a weak reference to its value. */
async function overtakenLoad(cache: HydraCache): Promise<WeakRef<object>> {
  const slow = gate<object>();
  const loaded = cache.getOrLoad("late", () => slow.promise);
  await cache.flush();
  const value = { late: true };
  slow.open(value);
  await loaded;
  return new WeakRef(value);
}

test("retention: expired values past every window, flushed values and overtaken loads are collectable", async () => {
  let now = 0;
  const cache = HydraCache.local()
    .codec(referenceCodec)
    .clock(() => now)
    .build();
  const refs = await putObjects(cache, 100, { ttl: 10, staleIfError: 10 });
  now = 25;
  for (let i = 0; i < 100; i++) assert.is(await cache.get(`k${i}`), undefined); // reads remove them
  refs.push(...(await putObjects(cache, 100, {}, 100)));
  await cache.flush();
  refs.push(await overtakenLoad(cache));
  assert.is(inspectEngine(cache).entries, 0);
  assert.is(await survivors(refs), 0);
});

test.run();
