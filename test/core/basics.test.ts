import { test } from "uvu";
import * as assert from "uvu/assert";
import { HydraCache } from "../../src/index.ts";

test("get: a missing key is undefined and counts a miss", async () => {
  const cache = HydraCache.local().build();
  assert.is(await cache.get("nope"), undefined);
  assert.is(cache.stats().misses, 1);
});

test("put then get: returns an equal value and counts a hit", async () => {
  const cache = HydraCache.local().build();
  await cache.put("user:1", { id: 1, name: "Ada", tags: ["x"] });
  assert.equal(await cache.get("user:1"), { id: 1, name: "Ada", tags: ["x"] });
  assert.is(cache.stats().hits, 1);
});

test("get: a stored null comes back as null", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", null);
  assert.is(await cache.get("k"), null);
  assert.is(await cache.containsKey("k"), true);
});

test("put: overwriting a key replaces its value", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", 1);
  await cache.put("k", 2);
  assert.is(await cache.get("k"), 2);
});

test("containsKey: true for a stored key, false otherwise", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", 0);
  assert.is(await cache.containsKey("k"), true);
  assert.is(await cache.containsKey("other"), false);
});

test("invalidateKey: removes one key and says whether something was removed", async () => {
  const cache = HydraCache.local().build();
  await cache.put("a", 1);
  await cache.put("b", 2);
  assert.is(await cache.invalidateKey("a"), true);
  assert.is(await cache.invalidateKey("a"), false);
  assert.is(await cache.get("a"), undefined);
  assert.is(await cache.get("b"), 2);
  assert.is(cache.stats().invalidations, 1);
});

test("remove: is an alias of invalidateKey", async () => {
  const cache = HydraCache.local().build();
  await cache.put("a", 1);
  assert.is(await cache.remove("a"), true);
  assert.is(await cache.remove("a"), false);
  assert.is(cache.stats().invalidations, 1);
});

test("flush: removes everything", async () => {
  const cache = HydraCache.local().build();
  await cache.put("a", 1, { tags: ["t"] });
  await cache.put("b", 2);
  await cache.flush();
  assert.is(await cache.containsKey("a"), false);
  assert.is(await cache.containsKey("b"), false);
  assert.is(await cache.invalidateTag("t"), 0);
});

test("writes take effect when called, before their promise settles", async () => {
  const cache = HydraCache.local().build();
  void cache.put("k", "v", { tags: ["t"] });
  assert.is(await cache.get("k"), "v");
  void cache.invalidateTag("t");
  assert.is(await cache.get("k"), undefined);
  void cache.put("k", "v");
  void cache.invalidateKey("k");
  assert.is(await cache.containsKey("k"), false);
  void cache.put("k", "v");
  void cache.flush();
  assert.is(await cache.containsKey("k"), false);
});

test("stats: a snapshot, not a live view", async () => {
  const cache = HydraCache.local().build();
  const before = cache.stats();
  await cache.get("x");
  assert.is(before.misses, 0);
  assert.is(cache.stats().misses, 1);
});

test("getOrInsertWith and tryGetOrInsertWith: aliases of getOrLoad, with and without options", async () => {
  const cache = HydraCache.local().build();
  assert.is(await cache.getOrInsertWith("a", () => 1), 1);
  assert.is(await cache.getOrInsertWith("b", { tags: ["t"] }, () => 2), 2);
  assert.is(await cache.tryGetOrInsertWith("c", async () => 3), 3);
  assert.is(await cache.tryGetOrInsertWith("d", { ttl: 1000 }, async () => 4), 4);
  assert.is(await cache.invalidateTag("t"), 1);
  assert.is(cache.stats().loads, 4);
});

test("keys such as __proto__ and constructor are ordinary keys and tags", async () => {
  const cache = HydraCache.local().build();
  for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
    assert.is(await cache.get(key), undefined);
    await cache.put(key, key, { tags: [key] });
    assert.is(await cache.get(key), key);
    assert.is(await cache.invalidateTag(key), 1);
  }
  const users = cache.typed<number>("__proto__");
  await users.put("constructor", 1);
  assert.is(await users.get("constructor"), 1);
});

test("builder: immutable, every call returns a new builder", async () => {
  const base = HydraCache.local();
  const small = base.maxCapacity(2);
  assert.is.not(base, small);
  const big = base.build();
  for (const key of ["a", "b", "c", "d"]) await big.put(key, 1);
  assert.is(big.stats().evictions, 0);
  const tiny = small.build();
  for (const key of ["a", "b", "c", "d"]) await tiny.put(key, 1);
  assert.ok(tiny.stats().evictions > 0);
});

test.run();
