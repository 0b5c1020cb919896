// The same scenarios as the other files of test/peers, on hydracache, for comparison.
// Run the whole comparison: node --import tsx node_modules/uvu/bin.js test/peers
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HydraCache } from "../../src/index.ts";
import { gate, outcome } from "./gate.ts";

test("hydracache: concurrent getOrLoad() misses share one loader call", async () => {
  const cache = HydraCache.local().build();
  let loads = 0;
  const row = gate<string>();
  const load = () => {
    loads++;
    return row.promise;
  };
  const callers = Array.from({ length: 10 }, () => cache.getOrLoad("user:1", load));
  row.open("Ada");
  assert.equal(await Promise.all(callers), Array(10).fill("Ada"));
  assert.is(loads, 1);
});

for (const [overtaken, invalidate] of [
  ["invalidateTag()", (cache: HydraCache) => cache.invalidateTag("users")],
  ["invalidateKey()", (cache: HydraCache) => cache.invalidateKey("user:1")],
  ["flush()", (cache: HydraCache) => cache.flush()],
] as const) {
  test(`hydracache: a getOrLoad() overtaken by ${overtaken} returns its result but stores nothing`, async () => {
    const cache = HydraCache.local().build();
    const row = gate<string>();
    const pending = outcome(cache.getOrLoad("user:1", { tags: ["users"] }, () => row.promise));
    await invalidate(cache); // the row changed while the query ran
    row.open("row read before the write");
    assert.equal(await pending, ["resolved", "row read before the write"]);
    assert.is(await cache.get("user:1"), undefined);
    assert.is(cache.stats().staleLoadDiscards, 1);
  });
}

test("hydracache: a put() during a load keeps the written value", async () => {
  const cache = HydraCache.local().build();
  const row = gate<string>();
  const pending = outcome(cache.getOrLoad("user:1", () => row.promise));
  await cache.put("user:1", "written");
  row.open("row read before the write");
  assert.equal(await pending, ["resolved", "row read before the write"]);
  assert.is(await cache.get("user:1"), "written");
});

test.run();
