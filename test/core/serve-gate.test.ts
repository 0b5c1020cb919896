// The serve gate that cross-instance sync installs: while it is closed no stored value is served,
// loads still share one loader run but store nothing, and every such read counts as bypassed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { clockOf, inspectEngine, setServeGate } from "../../src/core/internal.ts";
import { HydraCache } from "../../src/index.ts";
import { gate, rejectsWith } from "./helpers.ts";

test("serve gate closed: get misses, getOrLoad loads once for concurrent callers and stores nothing", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", "stored");
  let open = false;
  setServeGate(cache, () => open);
  assert.is(await cache.get("k"), undefined);
  assert.is(await cache.containsKey("k"), false);
  const slow = gate<string>();
  let runs = 0;
  const loader = () => {
    runs++;
    return slow.promise;
  };
  const callers = [cache.getOrLoad("k", loader), cache.getOrLoad("k", loader)];
  slow.open("loaded while unsynced");
  assert.equal(await Promise.all(callers), ["loaded while unsynced", "loaded while unsynced"]);
  assert.is(runs, 1);
  open = true;
  assert.is(await cache.get("k"), "stored"); // the unsynced load never replaced it
  const stats = cache.stats();
  assert.is(stats.bypassedReads, 3);
  assert.is(stats.singleFlightJoins, 1);
  assert.is(stats.hits, 1);
});

test("serve gate closed: no stale value either (stale-while-revalidate, stale-if-error, timeouts)", async () => {
  let now = 0;
  const cache = HydraCache.local()
    .clock(() => now)
    .build();
  await cache.put("k", "old", { ttl: 10, staleWhileRevalidate: 1_000, staleIfError: 1_000 });
  now = 20;
  setServeGate(cache, () => false);
  assert.is(await cache.get("k"), undefined);
  await rejectsWith(
    cache.getOrLoad("k", () => Promise.reject(new Error("down"))),
    "LOADER_FAILED",
  );
  const never = gate<string>();
  await rejectsWith(
    cache.getOrLoad("k", { timeout: 2 }, () => never.promise),
    "LOADER_TIMEOUT",
  );
  setServeGate(cache, undefined);
  assert.is(await cache.get("k"), "old"); // still within its window once the gate opens
});

test("serve gate closed: put still stores", async () => {
  const cache = HydraCache.local().build();
  setServeGate(cache, () => false);
  await cache.put("p", 1);
  setServeGate(cache, undefined);
  assert.is(await cache.get("p"), 1);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("serve gate closed: a load older than the joinable bound is not joined; a new one replaces it and only it answers later callers", async () => {
  let now = 0;
  const cache = HydraCache.local()
    .clock(() => now)
    .build();
  const old = gate<string>();
  const first = cache.getOrLoad("k", () => old.promise); // started while synced, at 0
  now = 5_000;
  setServeGate(
    cache,
    () => false,
    () => now - 3_000,
  );
  const fresh = gate<string>();
  const late = cache.getOrLoad("k", () => fresh.promise); // the old load is 5 s old: not joined
  const later = cache.getOrLoad("k", () => "unused"); // joins the new one
  old.open("read before a lost write");
  fresh.open("read after it");
  assert.is(await first, "read before a lost write");
  assert.is(await late, "read after it");
  assert.is(await later, "read after it");
  setServeGate(cache, undefined);
  assert.is(await cache.get("k"), undefined); // neither is stored: one superseded, one unsynced
  assert.is(cache.stats().loads, 2);
});

test("clockOf: the engine's one clock, for sync and adapters", () => {
  const clock = () => 42;
  assert.is(clockOf(HydraCache.local().clock(clock).build()), clock);
  assert.is(clockOf(HydraCache.local().build()), Date.now);
});

test.run();
