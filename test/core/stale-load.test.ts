import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { HydraCache } from "../../src/index.ts";
import { gate } from "./helpers.ts";

test("invalidateTag during a load: callers get the result, it is not stored, and it counts a stale discard", async () => {
  const cache = HydraCache.local().build();
  const release = gate<string>();
  const pending = cache.getOrLoad("user:1", { tags: ["users"] }, () => release.promise);
  assert.is(await cache.invalidateTag("users"), 0);
  release.open("old");
  assert.is(await pending, "old");
  assert.is(await cache.containsKey("user:1"), false);
  assert.is(cache.stats().staleLoadDiscards, 1);
  assert.equal(inspectEngine(cache), {
    entries: 0,
    inFlight: 0,
    inFlightTags: 0,
    danglingTagKeys: 0,
    tags: 0,
  });
});

test("invalidateTag of a tag the load does not carry leaves the load alone", async () => {
  const cache = HydraCache.local().build();
  const release = gate<string>();
  const pending = cache.getOrLoad("user:1", { tags: ["users"] }, () => release.promise);
  await cache.invalidateTag("posts");
  release.open("fresh");
  assert.is(await pending, "fresh");
  assert.is(await cache.get("user:1"), "fresh");
  assert.is(cache.stats().staleLoadDiscards, 0);
});

test("flush during a load: the result is returned but not stored", async () => {
  const cache = HydraCache.local().build();
  const release = gate<number>();
  const pending = cache.getOrLoad("k", () => release.promise);
  await cache.flush();
  release.open(1);
  assert.is(await pending, 1);
  assert.is(await cache.containsKey("k"), false);
  assert.is(cache.stats().staleLoadDiscards, 1);
});

test("invalidateKey during a load of that key: the result is not stored", async () => {
  const cache = HydraCache.local().build();
  const release = gate<number>();
  const pending = cache.getOrLoad("k", () => release.promise);
  assert.is(await cache.invalidateKey("k"), false);
  release.open(1);
  assert.is(await pending, 1);
  assert.is(await cache.containsKey("k"), false);
  assert.is(cache.stats().staleLoadDiscards, 1);
});

test("remove during a load of that key: the result is not stored", async () => {
  const cache = HydraCache.local().build();
  const release = gate<number>();
  const pending = cache.getOrLoad("k", () => release.promise);
  await cache.remove("k");
  release.open(1);
  await pending;
  assert.is(await cache.containsKey("k"), false);
});

test("put during a load of that key: the stale load never overwrites the newer value", async () => {
  const cache = HydraCache.local().build();
  const release = gate<string>();
  const pending = cache.getOrLoad("k", () => release.promise);
  await cache.put("k", "written");
  release.open("loaded");
  assert.is(await pending, "loaded");
  assert.is(await cache.get("k"), "written");
  assert.is(cache.stats().staleLoadDiscards, 1);
});

test("invalidating another key leaves a load alone", async () => {
  const cache = HydraCache.local().build();
  const release = gate<string>();
  const pending = cache.getOrLoad("k", () => release.promise);
  await cache.invalidateKey("other");
  await cache.put("other", 1);
  release.open("v");
  await pending;
  assert.is(await cache.get("k"), "v");
});

test("callers after an invalidation do not join the stale load: they start a fresh one", async () => {
  const cache = HydraCache.local().build();
  const stale = gate<string>();
  const fresh = gate<string>();
  const first = cache.getOrLoad("k", { tags: ["t"] }, () => stale.promise);
  await cache.invalidateTag("t");
  const second = cache.getOrLoad("k", { tags: ["t"] }, () => fresh.promise);
  const third = cache.getOrLoad("k", { tags: ["t"] }, () => fresh.promise);
  fresh.open("new");
  stale.open("old");
  assert.equal(await Promise.all([first, second, third]), ["old", "new", "new"]);
  assert.is(await cache.get("k"), "new");
  const stats = cache.stats();
  assert.is(stats.loads, 2);
  assert.is(stats.singleFlightJoins, 1);
  assert.is(stats.staleLoadDiscards, 1);
});

test("a stale load settling late never removes the fresh load's in-flight entry", async () => {
  const cache = HydraCache.local().build();
  const stale = gate<string>();
  const fresh = gate<string>();
  const first = cache.getOrLoad("k", () => stale.promise);
  await cache.invalidateKey("k");
  const second = cache.getOrLoad("k", () => fresh.promise);
  stale.open("old");
  await first;
  assert.is(inspectEngine(cache).inFlight, 1);
  let joinedLoaderCalls = 0;
  const third = cache.getOrLoad("k", () => {
    joinedLoaderCalls++;
    return "never";
  });
  fresh.open("new");
  assert.equal(await Promise.all([second, third]), ["new", "new"]);
  assert.is(joinedLoaderCalls, 0);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("a stale load that fails still rejects its callers and leaves nothing behind", async () => {
  const cache = HydraCache.local().build();
  const release = gate<string>();
  const pending = cache.getOrLoad("k", { tags: ["t"] }, () => release.promise);
  await cache.invalidateTag("t");
  release.fail(new Error("late failure"));
  await pending.then(
    () => assert.unreachable("should reject"),
    (error: Error) => assert.match(error.message, /late failure/),
  );
  assert.equal(inspectEngine(cache), {
    entries: 0,
    inFlight: 0,
    inFlightTags: 0,
    danglingTagKeys: 0,
    tags: 0,
  });
});

test("a loader that invalidates its own tag while running produces a stale result", async () => {
  const cache = HydraCache.local().build();
  const value = await cache.getOrLoad("k", { tags: ["t"] }, async () => {
    await cache.invalidateTag("t");
    return 1;
  });
  assert.is(value, 1);
  assert.is(await cache.containsKey("k"), false);
});

test("one invalidation marks every load carrying the tag", async () => {
  const cache = HydraCache.local().build();
  const release = gate<number>();
  const loads = ["a", "b", "c"].map((key) =>
    cache.getOrLoad(key, { tags: ["shared", key] }, () => release.promise),
  );
  assert.is(inspectEngine(cache).inFlightTags, 4);
  await cache.invalidateTag("shared");
  assert.is(inspectEngine(cache).inFlightTags, 0);
  release.open(1);
  await Promise.all(loads);
  assert.is(cache.stats().staleLoadDiscards, 3);
  assert.is(inspectEngine(cache).entries, 0);
});

test.run();
