// HydraDrizzleCache's hooks called directly, the way Drizzle calls them (get → query → put),
// for the paths a real database cannot force: several loads of one key outside withHydraCache.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { HydraDrizzleCache } from "../../src/drizzle/index.ts";
import { HydraCache } from "../../src/index.ts";

test("hooks: a miss starts a load that put completes; later gets hit", async () => {
  const cache = HydraCache.local().build();
  const drizzleCache = new HydraDrizzleCache(cache);
  assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
  await drizzleCache.put("k", [[1, "ada"]], ["users"], false);
  assert.equal(await drizzleCache.get("k", ["users"], false, true), [[1, "ada"]]);
  assert.is(await drizzleCache.invalidateTable("users"), 1);
  assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
});

test("hooks: a put nobody asked for (no pending miss) stores nothing", async () => {
  const cache = HydraCache.local().build();
  const drizzleCache = new HydraDrizzleCache(cache);
  await drizzleCache.put("k", [1], ["users"], false);
  assert.is(inspectEngine(cache).entries, 0);
});

test("hooks: outside withHydraCache, a second load while the first is unanswered is never stored", async () => {
  const cache = HydraCache.local().build();
  const drizzleCache = new HydraDrizzleCache(cache);
  assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
  await drizzleCache.onMutate({ tables: "users" });
  // The first load is stale; a second statement misses too, and its put could not be told
  // from the first one's, so the second load is abandoned at once.
  assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
  await drizzleCache.put("k", ["old"], ["users"], false);
  await drizzleCache.put("k", ["new"], ["users"], false);
  assert.is(inspectEngine(cache).entries, 0);
  assert.is(inspectEngine(cache).inFlight, 0);
  assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
  await drizzleCache.put("k", ["new"], ["users"], false);
  assert.equal(await drizzleCache.get("k", ["users"], false, true), ["new"]);
});

test("hooks: outside withHydraCache, a joiner whose query never answers stops waiting after joinTimeout", async () => {
  const cache = HydraCache.local().build();
  const drizzleCache = new HydraDrizzleCache(cache, { joinTimeout: 20 });
  // The abandon timer is unref'd (it must not keep a server alive); a pending query would.
  const pendingQuery = setInterval(() => {}, 1_000);
  assert.is(await drizzleCache.get("k", [], false, true), undefined);
  assert.is(await drizzleCache.get("k", [], false, true), undefined);
  clearInterval(pendingQuery);
  assert.is(inspectEngine(cache).inFlight, 0);
  assert.is(cache.stats().singleFlightJoins, 1);
});

test("hooks: isAutoInvalidate false stores without table tags", async () => {
  const cache = HydraCache.local().build();
  const drizzleCache = new HydraDrizzleCache(cache, { namespace: "" });
  await drizzleCache.get("k", ["users"], false, false);
  await drizzleCache.put("k", [1], [], false);
  assert.is(await cache.invalidateTag("table:users"), 0);
  assert.ok(await cache.containsKey("k"));
});

test.run();
