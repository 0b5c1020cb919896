import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { CacheOptions, HydraCache } from "../../src/index.ts";
import { fakeClock, rejectsWith } from "./helpers.ts";

function cacheWithClock(defaultTtl = 1_000) {
  const clock = fakeClock();
  return { clock, cache: HydraCache.local().defaultTtl(defaultTtl).clock(clock.now).build() };
}

test("defaultTtl: an entry expires once the default TTL has elapsed", async () => {
  const { clock, cache } = cacheWithClock(1_000);
  await cache.put("k", 1);
  clock.advance(999);
  assert.is(await cache.get("k"), 1);
  clock.advance(1);
  assert.is(await cache.get("k"), undefined);
  assert.is(inspectEngine(cache).entries, 0);
});

test("defaultTtl: five minutes when not configured", async () => {
  const clock = fakeClock();
  const cache = HydraCache.local().clock(clock.now).build();
  await cache.put("k", 1);
  clock.advance(299_999);
  assert.is(await cache.get("k"), 1);
  clock.advance(1);
  assert.is(await cache.get("k"), undefined);
});

test("ttl: a per-entry TTL overrides the default, from a plain object or CacheOptions", async () => {
  const { clock, cache } = cacheWithClock(1_000);
  await cache.put("short", 1, { ttl: 10 });
  await cache.put("long", 2, new CacheOptions().ttl(5_000));
  await cache.getOrLoad("loaded", { ttl: 2_000 }, () => 3);
  clock.advance(10);
  assert.is(await cache.get("short"), undefined);
  clock.advance(1_500);
  assert.is(await cache.get("long"), 2);
  assert.is(await cache.get("loaded"), 3);
  clock.advance(500);
  assert.is(await cache.get("loaded"), undefined);
});

test("ttl: Infinity never expires", async () => {
  const { clock, cache } = cacheWithClock(1_000);
  await cache.put("forever", "x", { ttl: Number.POSITIVE_INFINITY });
  clock.advance(2 ** 40);
  assert.is(await cache.get("forever"), "x");
  const eternal = HydraCache.local().defaultTtl(Number.POSITIVE_INFINITY).clock(clock.now).build();
  await eternal.put("k", 1);
  clock.advance(2 ** 50);
  assert.is(await eternal.get("k"), 1);
});

test("ttl: TTLs beyond 2^31 ms work (no timers)", async () => {
  const { clock, cache } = cacheWithClock();
  await cache.put("k", 1, { ttl: 2 ** 31 + 5 });
  clock.advance(2 ** 31);
  assert.is(await cache.get("k"), 1);
  clock.advance(5);
  assert.is(await cache.get("k"), undefined);
});

test("an expired entry is never returned: get, getOrLoad and containsKey treat it as missing and remove it", async () => {
  const { clock, cache } = cacheWithClock(100);
  await cache.put("a", "old", { tags: ["t"] });
  await cache.put("b", "old");
  await cache.put("c", "old");
  clock.advance(100);
  assert.is(await cache.getOrLoad("a", () => "new"), "new");
  assert.is(await cache.containsKey("b"), false);
  assert.is(await cache.get("c"), undefined);
  const stats = cache.stats();
  assert.is(stats.hits, 0);
  assert.is(stats.misses, 2);
  assert.equal(inspectEngine(cache).danglingTagKeys, 0);
  assert.is(inspectEngine(cache).entries, 1);
});

test("invalidateKey of an expired entry removes it but reports false", async () => {
  const { clock, cache } = cacheWithClock(100);
  await cache.put("k", 1);
  clock.advance(100);
  assert.is(await cache.invalidateKey("k"), false);
  assert.is(cache.stats().invalidations, 0);
  assert.is(inspectEngine(cache).entries, 0);
});

test("ttl: 0, negative, NaN and non-numbers reject with INVALID_OPTIONS naming ttl", async () => {
  const cache = HydraCache.local().build();
  for (const ttl of [0, -1, Number.NaN, "100", null, Number.NEGATIVE_INFINITY]) {
    await rejectsWith(cache.put("k", 1, { ttl } as never), "INVALID_OPTIONS", /ttl/);
    await rejectsWith(
      cache.getOrLoad("k", { ttl } as never, () => 1),
      "INVALID_OPTIONS",
      /ttl/,
    );
  }
  assert.is(await cache.containsKey("k"), false);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test.run();
