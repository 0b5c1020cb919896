// The serve gate that cross-instance sync installs: while it is closed no stored value is served,
// loads still share one loader run but store nothing, and every such read counts as bypassed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { acquireEntry, clockOf, inspectEngine, setServeGate } from "../../src/core/internal.ts";
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

test("serve gate closed: put still stores; the Drizzle hook's loads store nothing", async () => {
  const cache = HydraCache.local().build();
  setServeGate(cache, () => false);
  await cache.put("p", 1);
  const acquired = acquireEntry(cache, "d", [], undefined);
  assert.is(acquired.kind, "start");
  if (acquired.kind === "start") acquired.load.complete([1, 2]);
  setServeGate(cache, undefined);
  assert.is(await cache.get("p"), 1);
  assert.is(await cache.get("d"), undefined);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("external loads: completing twice, or failing after completing, changes nothing", async () => {
  const cache = HydraCache.local().build();
  const acquired = acquireEntry(cache, "k", [], 60_000);
  if (acquired.kind !== "start") throw new Error("expected a new load");
  const joined = acquireEntry(cache, "k", [], undefined);
  acquired.load.complete(["first"]);
  acquired.load.complete(["second"]);
  acquired.load.fail(new Error("late"));
  assert.is(joined.kind, "join");
  if (joined.kind === "join") assert.equal(await joined.result, ["first"]);
  assert.equal(await cache.get("k"), ["first"]);
});

test("clockOf: the engine's one clock, for sync and adapters", () => {
  const clock = () => 42;
  assert.is(clockOf(HydraCache.local().clock(clock).build()), clock);
  assert.is(clockOf(HydraCache.local().build()), Date.now);
});

test.run();
