// The engine seam `acquireEntry` (src/core/internal.ts) for adapters whose host runs the query
// between two hooks: a hit, a join, or a new load that the adapter completes or fails. No adapter
// of this package uses it since hydracache/drizzle loads through getOrLoad (so the statement that
// ran a query gets its joiners' outcome); this pins the seam's contract for the engine rewrite.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { acquireEntry, inspectEngine } from "../../src/core/internal.ts";
import { HydraCache } from "../../src/index.ts";
import { fakeClock, rejectsWith, settle } from "./helpers.ts";

test("acquireEntry: a miss starts a load; an identical miss joins it; complete stores the value for later hits", async () => {
  const cache = HydraCache.local().build();
  const started = acquireEntry(cache, "k", ["t"], undefined);
  assert.is(started.kind, "start");
  const joined = acquireEntry(cache, "k", ["t"], undefined);
  assert.is(joined.kind, "join");
  if (started.kind !== "start" || joined.kind !== "join") return;
  started.load.complete([1, 2]);
  assert.equal(await joined.result, [1, 2]);
  assert.equal(acquireEntry(cache, "k", ["t"], undefined), { kind: "hit", value: [1, 2] });
  assert.is(await cache.invalidateTag("t"), 1);
  assert.equal(cache.stats(), { ...cache.stats(), loads: 1, hits: 1, misses: 2, singleFlightJoins: 1 });
});

test("acquireEntry: fail rejects every joiner with LOADER_FAILED, its cause the error; nothing is stored", async () => {
  const cache = HydraCache.local().build();
  const started = acquireEntry(cache, "k", [], undefined);
  const joined = acquireEntry(cache, "k", [], undefined);
  if (started.kind !== "start" || joined.kind !== "join") return assert.unreachable("start, then join");
  const failure = new Error("query failed");
  started.load.fail(failure);
  const error = await rejectsWith(joined.result, "LOADER_FAILED");
  assert.is(error.cause, failure);
  assert.is(inspectEngine(cache).inFlight, 0);
  assert.is(inspectEngine(cache).entries, 0);
});

test("acquireEntry: a TTL given to complete replaces the one chosen at the start; an invalidation during the load keeps it out", async () => {
  const clock = fakeClock();
  const cache = HydraCache.local().clock(clock.now).build();
  const first = acquireEntry(cache, "k", ["t"], 60_000);
  if (first.kind !== "start") return assert.unreachable("a miss starts a load");
  first.load.complete("v", 1_000);
  await settle();
  clock.advance(1_001);
  const second = acquireEntry(cache, "k", ["t"], undefined);
  if (second.kind !== "start") return assert.unreachable("expired after the late TTL");
  await cache.invalidateTag("t");
  second.load.complete("old");
  await settle();
  assert.is(inspectEngine(cache).entries, 0);
  assert.is(cache.stats().staleLoadDiscards, 1);
});

test.run();
