// The byte bound (maxTotalBytes, sizeOf, oversizeSkips, stats().bytes) and retention: a value the
// cache can no longer return must be collectable (checked with WeakRef and a forced GC).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { HydraCache, referenceCodec } from "../../src/index.ts";
import { gate, rejectsWith, settle } from "./helpers.ts";

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

test("maxTotalBytes: the sum of encoded sizes never exceeds the bound; least recently used go first", async () => {
  const cache = HydraCache.local().maxTotalBytes(1_000).build();
  const value = "x".repeat(95); // ~97 encoded bytes
  for (let i = 0; i < 30; i++) {
    await cache.put(`k${i}`, value);
    assert.ok(cache.stats().bytes <= 1_000, `after put ${i}: ${cache.stats().bytes} bytes`);
  }
  const { bytes, evictions } = cache.stats();
  assert.ok(bytes > 800, `the bound is filled, not half used: ${bytes}`);
  assert.is(evictions, 30 - inspectEngine(cache).entries);
  assert.is(await cache.get("k29"), value);
  assert.is(await cache.get("k0"), undefined);
});

test("maxTotalBytes: a read keeps an entry from being evicted first", async () => {
  const cache = HydraCache.local().maxTotalBytes(500).build();
  const value = "y".repeat(95);
  for (let i = 0; i < 4; i++) await cache.put(`k${i}`, value);
  await cache.get("k0"); // now the most recently used
  for (let i = 4; i < 6; i++) await cache.put(`k${i}`, value);
  assert.is(await cache.get("k0"), value);
  assert.is(await cache.get("k1"), undefined);
});

test("stats().bytes follows puts, overwrites, invalidations and flush", async () => {
  const cache = HydraCache.local().build();
  await cache.put("a", new Uint8Array(100), { tags: ["t"] });
  const one = cache.stats().bytes;
  assert.ok(one >= 100 && one < 110, `${one}`);
  await cache.put("a", new Uint8Array(10), { tags: ["t"] });
  assert.ok(cache.stats().bytes < 20);
  await cache.put("b", new Uint8Array(50), { tags: ["t"] });
  await cache.invalidateKey("a");
  assert.ok(cache.stats().bytes >= 50 && cache.stats().bytes < 60);
  await cache.invalidateTag("t");
  assert.is(cache.stats().bytes, 0);
  await cache.put("c", 1);
  await cache.flush();
  assert.is(cache.stats().bytes, 0);
});

test("maxEntryBytes: a loaded value over it reaches its callers, is not stored, and counts in oversizeSkips", async () => {
  const cache = HydraCache.local().maxEntryBytes(64).build();
  const big = "z".repeat(200);
  assert.is(await cache.getOrLoad("k", () => big), big);
  assert.is(await cache.get("k"), undefined);
  assert.is(cache.stats().oversizeSkips, 1);
  assert.is(cache.stats().staleLoadDiscards, 0);
  await rejectsWith(cache.put("k", big), "ENTRY_TOO_LARGE", /200|20\d/);
});

test("maxTotalBytes: an entry larger than the whole bound is never stored", async () => {
  const cache = HydraCache.local().maxTotalBytes(100).build();
  await rejectsWith(cache.put("k", "w".repeat(150)), "ENTRY_TOO_LARGE", /maxTotalBytes/);
  assert.is(await cache.getOrLoad("k", () => "w".repeat(150)), "w".repeat(150));
  assert.is(cache.stats().oversizeSkips, 1);
  assert.is(cache.stats().bytes, 0);
});

test("referenceCodec counts 0 bytes unless sizeOf is given; sizeOf feeds every bound", async () => {
  const plain = HydraCache.local().codec(referenceCodec).maxTotalBytes(10).build();
  for (let i = 0; i < 5; i++) await plain.put(`k${i}`, { big: "x".repeat(100) });
  assert.is(plain.stats().bytes, 0);
  assert.is(inspectEngine(plain).entries, 5);

  const sized = HydraCache.local()
    .codec(referenceCodec)
    .sizeOf(() => 50)
    .maxTotalBytes(100)
    .build();
  await sized.put("a", { s: "x".repeat(40) }); // 50 bytes, by sizeOf
  await sized.put("b", { s: "y".repeat(40) });
  assert.is(sized.stats().bytes, 100);
  await sized.put("c", { s: "z".repeat(40) });
  assert.is(sized.stats().bytes, 100);
  assert.is(await sized.get("a"), undefined);
  assert.is(sized.stats().evictions, 1);
  assert.throws(() => HydraCache.local().sizeOf(5 as never), /sizeOf must be a function/);
  assert.throws(() => HydraCache.local().maxTotalBytes(0), /maxTotalBytes/);
  assert.throws(() => HydraCache.local().maxTotalBytes(1.5), /maxTotalBytes/);
  assert.ok(HydraCache.local().maxTotalBytes(Number.POSITIVE_INFINITY));
});

test("sizeOf that throws rejects ENCODE_FAILED and stores nothing", async () => {
  const cache = HydraCache.local()
    .codec(referenceCodec)
    .sizeOf(() => {
      throw new Error("cannot size");
    })
    .build();
  await rejectsWith(cache.put("k", {}), "ENCODE_FAILED", /cannot size/);
  assert.is(inspectEngine(cache).entries, 0);
});

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
