// HydraDrizzleCache's hooks called directly, the way Drizzle calls them (get → query → put),
// outside a wrapped database: Drizzle's hooks alone cannot see a failed query, the end of a write
// or a rolled-back transaction, so the cache refuses to cache and says why, once.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { HydraDrizzleCache } from "../../src/drizzle/index.ts";
import { HydraCache } from "../../src/index.ts";
import { capturingWarnings } from "./test-db.ts";

test("hooks outside a wrapped database: every get misses, put stores nothing, and one warning says why", async () => {
  const cache = HydraCache.local().build();
  const drizzleCache = new HydraDrizzleCache(cache);
  const other = new HydraDrizzleCache(cache);
  const warnings = await capturingWarnings(async () => {
    for (let round = 0; round < 3; round++) {
      assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
      await drizzleCache.put("k", [[1, "ada"]], ["users"], false);
    }
    assert.is(await other.get("k", ["users"], false, true), undefined);
  });
  assert.is(warnings.length, 2, "once per cache");
  assert.match(warnings[0] ?? "", /caches nothing: .*hydraDrizzle\(drizzle\(client\), cache\)/);
  assert.is(inspectEngine(cache).entries, 0);
  assert.is(inspectEngine(cache).inFlight, 0);
  assert.is(cache.stats().loads, 0);
});

test("onMutate outside a wrapped database still invalidates tables and custom tags of both modes", async () => {
  const cache = HydraCache.local().build();
  const drizzleCache = new HydraDrizzleCache(cache, { namespace: "" });
  await cache.put("a:custom", [1]);
  await cache.put("m:custom", [1]);
  await cache.put("a:q:select", [1], { tags: ["table:users"] });
  await drizzleCache.onMutate({ tables: ["users"], tags: "custom" });
  assert.is(inspectEngine(cache).entries, 0);
  await cache.put("a:q:other", [1], { tags: ["table:auth.posts"] });
  assert.is(await drizzleCache.invalidateTable("auth.posts"), 1);
});

test.run();
