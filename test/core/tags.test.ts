import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { CacheOptions, HydraCache, TagSet } from "../../src/index.ts";
import { fakeClock } from "./helpers.ts";

test("invalidateTag: removes every entry carrying the tag and resolves to how many", async () => {
  const cache = HydraCache.local().build();
  await cache.put("user:1", 1, { tags: ["users", "user:1"] });
  await cache.put("user:2", 2, { tags: new TagSet().tag("users").entity("user", 2) });
  await cache.put("post:1", 3, new CacheOptions().tag("posts"));
  assert.is(await cache.invalidateTag("users"), 2);
  assert.is(await cache.get("user:1"), undefined);
  assert.is(await cache.get("user:2"), undefined);
  assert.is(await cache.get("post:1"), 3);
  assert.is(await cache.invalidateTag("users"), 0);
  assert.is(cache.stats().invalidations, 2);
});

test("invalidateTag: entries that had already expired are removed but not counted", async () => {
  const clock = fakeClock();
  const cache = HydraCache.local().clock(clock.now).build();
  await cache.put("short", 1, { ttl: 10, tags: ["t"] });
  await cache.put("long", 2, { ttl: 1_000, tags: ["t"] });
  clock.advance(10);
  assert.is(await cache.invalidateTag("t"), 1);
  assert.is(inspectEngine(cache).entries, 0);
  assert.is(cache.stats().invalidations, 1);
});

test("overwriting a key replaces its tag set: old tags no longer reach it", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", 1, { tags: ["old"] });
  await cache.put("k", 2, { tags: ["new"] });
  assert.is(await cache.invalidateTag("old"), 0);
  assert.is(await cache.get("k"), 2);
  await cache.getOrLoad("j", { tags: ["old"] }, () => 1);
  await cache.invalidateKey("j");
  await cache.getOrLoad("j", () => 2);
  assert.is(await cache.invalidateTag("old"), 0);
  assert.is(await cache.invalidateTag("new"), 1);
  assert.equal(inspectEngine(cache).tags, 0);
});

test("tags are released once no entry or load carries them: a million short-lived tags cost nothing", async () => {
  const cache = HydraCache.local().maxCapacity(100).build();
  for (let i = 0; i < 20_000; i++) {
    await cache.getOrLoad(`session:${i}`, { tags: [`user:${i}`] }, () => i);
    if (i % 2 === 0) await cache.invalidateTag(`user:${i}`);
  }
  const state = inspectEngine(cache);
  assert.ok(state.tags <= 100, `tags held: ${state.tags}`);
  assert.is(state.inFlightTags, 0);
  await cache.flush();
  assert.equal(inspectEngine(cache), {
    entries: 0,
    inFlight: 0,
    inFlightTags: 0,
    danglingTagKeys: 0,
    tags: 0,
  });
});

test("removing a key by invalidateKey or expiry takes it out of the tag index", async () => {
  const clock = fakeClock();
  const cache = HydraCache.local().clock(clock.now).build();
  await cache.put("a", 1, { tags: ["t"] });
  await cache.put("b", 2, { tags: ["t"], ttl: 5 });
  await cache.invalidateKey("a");
  clock.advance(5);
  assert.is(await cache.get("b"), undefined);
  assert.is(inspectEngine(cache).tags, 0);
});

test("duplicate tags on one entry count once", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", 1, { tags: ["t", "t"] });
  assert.is(await cache.invalidateTag("t"), 1);
});

test.run();
