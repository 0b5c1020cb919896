import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { HydraCache } from "../../src/index.ts";
import { fakeClock, gate } from "./helpers.ts";

test("maxCapacity: a hard bound on held entries, for every capacity", async () => {
  for (const capacity of [1, 2, 3, 7, 10, 64]) {
    const cache = HydraCache.local().maxCapacity(capacity).build();
    for (let i = 0; i < capacity * 5; i++) {
      await cache.put(`k${i}`, i);
      assert.ok(
        inspectEngine(cache).entries <= capacity,
        `capacity ${capacity}: ${inspectEngine(cache).entries}`,
      );
    }
    let present = 0;
    for (let i = 0; i < capacity * 5; i++) if (await cache.containsKey(`k${i}`)) present++;
    assert.is(present, inspectEngine(cache).entries);
    assert.ok(present >= Math.ceil(capacity / 2));
  }
});

test("maxCapacity: the ⌈n/2⌉ most recently used entries are always kept", async () => {
  const capacity = 9;
  const cache = HydraCache.local().maxCapacity(capacity).build();
  const recent: string[] = [];
  for (let i = 0; i < 100; i++) {
    const key = `k${i % 23}`;
    if (i % 3 === 0) await cache.get(key);
    else await cache.put(key, i);
    if ((await cache.containsKey(key)) || i % 3 !== 0) {
      recent.splice(recent.indexOf(key) >>> 0, recent.includes(key) ? 1 : 0);
      recent.push(key);
    }
    for (const kept of recent.slice(-Math.ceil(capacity / 2))) {
      assert.ok(await cache.containsKey(kept), `step ${i}: ${kept} was evicted`);
    }
  }
});

test("maxCapacity: a full cache holds exactly n entries, the n most recently used", async () => {
  for (const capacity of [1, 2, 5, 10, 64]) {
    const cache = HydraCache.local().maxCapacity(capacity).build();
    for (let i = 0; i < capacity * 7; i++) {
      await cache.put(`k${i}`, i);
      assert.is(inspectEngine(cache).entries, Math.min(i + 1, capacity), `capacity ${capacity}, step ${i}`);
    }
    // Touch the oldest held key: it becomes the most recent, so the next insert evicts another one.
    const last = capacity * 7 - 1;
    const oldest = `k${last - capacity + 1}`;
    assert.is(await cache.get(oldest), last - capacity + 1);
    await cache.put("new", 0);
    const held = [];
    for (let i = 0; i <= last; i++) if (await cache.containsKey(`k${i}`)) held.push(i);
    const expected = capacity === 1 ? [] : [last - capacity + 1, ...range(last - capacity + 3, last)];
    assert.equal(held, expected, `capacity ${capacity}`);
    assert.is(cache.stats().evictions, capacity * 7 + 1 - capacity);
  }
});

test("maxCapacity: reading an expired entry never evicts live ones", async () => {
  const clock = fakeClock();
  const cache = HydraCache.local().maxCapacity(8).clock(clock.now).build();
  await cache.put("expiring", 0, { ttl: 10 });
  for (let i = 0; i < 7; i++) await cache.put(`live${i}`, i);
  clock.advance(10);
  assert.is(await cache.get("expiring"), undefined);
  assert.is(await cache.getOrLoad("expiring", () => "reloaded"), "reloaded");
  for (let i = 0; i < 7; i++) assert.is(await cache.get(`live${i}`), i, `live${i}`);
  assert.is(cache.stats().evictions, 0);
  assert.is(inspectEngine(cache).entries, 8);
});

test("evictions: counted once per entry actually evicted, never for overwritten keys", async () => {
  const cache = HydraCache.local().maxCapacity(8).build();
  let insertions = 0;
  // Overwriting keys that are still held moves them between quick-lru's generations, which
  // makes quick-lru report their old copies as evicted: those must not count.
  for (let step = 0; step < 400; step++) {
    const key = `k${(step * 7) % (step < 200 ? 4 : 13)}`;
    if (!(await cache.containsKey(key))) insertions++;
    await cache.put(key, step);
    assert.is(cache.stats().evictions, insertions - inspectEngine(cache).entries, `step ${step}`);
  }
  assert.ok(cache.stats().evictions > 0);
});

test("evictions: keys that fit in ⌈n/2⌉ are never evicted however often they are overwritten", async () => {
  const cache = HydraCache.local().maxCapacity(6).build();
  for (let round = 0; round < 50; round++) for (const key of ["a", "b", "c"]) await cache.put(key, round);
  assert.is(cache.stats().evictions, 0);
  for (const key of ["a", "b", "c"]) assert.is(await cache.get(key), 49);
});

test("evictions: the tag index stays exact under overwrites and evictions", async () => {
  const cache = HydraCache.local().maxCapacity(6).build();
  for (let i = 0; i < 500; i++) {
    const key = `k${i % 11}`;
    await cache.put(key, i, { tags: [`t${i % 5}`, "all"] });
    if (i % 7 === 0) await cache.get(`k${(i * 3) % 11}`);
    const state = inspectEngine(cache);
    assert.is(state.danglingTagKeys, 0, `step ${i}`);
  }
  const held = inspectEngine(cache).entries;
  assert.is(await cache.invalidateTag("all"), held);
  assert.equal(inspectEngine(cache), {
    entries: 0,
    inFlight: 0,
    inFlightTags: 0,
    danglingTagKeys: 0,
    tags: 0,
  });
});

test("evictions: an evicted key's tags leave the index", async () => {
  const cache = HydraCache.local().maxCapacity(2).build();
  for (let i = 0; i < 100; i++) await cache.put(`user:${i}`, i, { tags: [`user-tag:${i}`] });
  assert.ok(inspectEngine(cache).tags <= 2);
});

test("an in-flight load is not an entry: evictions never cancel loads", async () => {
  const cache = HydraCache.local().maxCapacity(2).build();
  const release = gate<string>();
  const pending = cache.getOrLoad("slow", () => release.promise);
  for (let i = 0; i < 20; i++) await cache.put(`k${i}`, i);
  release.open("done");
  assert.is(await pending, "done");
  assert.is(await cache.get("slow"), "done");
});

test("maxCapacity: must be a positive integer", () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10"]) {
    assert.throws(
      () => HydraCache.local().maxCapacity(bad as number),
      (error: Error & { code?: string }) =>
        error.code === "INVALID_OPTIONS" && /maxCapacity/.test(error.message),
    );
  }
});

/** The integers from `from` to `to`, both included. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

test.run();
