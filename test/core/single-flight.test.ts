import { test } from "uvu";
import * as assert from "uvu/assert";
import { getOrLoadWithOptionsAtStart, inspectEngine } from "../../src/core/internal.ts";
import { HydraCache } from "../../src/index.ts";
import { gate, rejectsWith, settle } from "./helpers.ts";

test("getOrLoad: concurrent misses share one loader call", async () => {
  const cache = HydraCache.local().build();
  const release = gate<{ id: number }>();
  let calls = 0;
  const loader = () => {
    calls++;
    return release.promise;
  };
  const callers = Array.from({ length: 100 }, () => cache.getOrLoad("user:1", loader));
  assert.is(inspectEngine(cache).inFlight, 1);
  release.open({ id: 1 });
  const results = await Promise.all(callers);
  assert.is(calls, 1);
  for (const result of results) assert.equal(result, { id: 1 });
  const stats = cache.stats();
  assert.is(stats.loads, 1);
  assert.is(stats.misses, 100);
  assert.is(stats.singleFlightJoins, 99);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("getOrLoad: a loader that asks for its own key, synchronously or later, joins its own load", async () => {
  const cache = HydraCache.local().build();
  let inner: Promise<string> | undefined;
  const outer = cache.getOrLoad("k", () => {
    inner = cache.getOrLoad("k", () => "never called");
    return "outer";
  });
  assert.is(await outer, "outer");
  // Once the load has settled, its joiners settle too: a join that waits on nothing would hang.
  assert.is(await Promise.race([inner, settle().then(() => "still waiting")]), "outer");
  let later: Promise<string> | undefined;
  const release = gate();
  const outerLater = cache.getOrLoad("j", async () => {
    await release.promise;
    later = cache.getOrLoad("j", () => "never called");
    return "outer";
  });
  release.open();
  assert.is(await outerLater, "outer");
  assert.is(await later, "outer");
  assert.equal([cache.stats().loads, cache.stats().singleFlightJoins], [2, 2]);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("getOrLoad: every caller receives its own decoded copy", async () => {
  const cache = HydraCache.local().build();
  const release = gate<{ list: number[] }>();
  const [first, second] = await Promise.all([
    cache.getOrLoad("k", () => release.promise),
    cache.getOrLoad("k", () => release.promise),
    Promise.resolve().then(() => release.open({ list: [1] })),
  ]);
  assert.is.not(first, second);
  first?.list.push(2);
  assert.equal(second, { list: [1] });
  const hit = await cache.getOrLoad("k", () => ({ list: [9] }));
  assert.equal(hit, { list: [1] });
  assert.is.not(hit, first);
});

test("getOrLoad: a failed load rejects every waiter with LOADER_FAILED, caches nothing, and runs again next time", async () => {
  const cache = HydraCache.local().build();
  const release = gate<string>();
  const boom = new Error("database down");
  const waiters = [1, 2, 3].map(() => cache.getOrLoad("k", () => release.promise));
  release.fail(boom);
  for (const waiter of waiters) {
    const error = await rejectsWith(waiter, "LOADER_FAILED", /"k".*database down/);
    assert.is(error.cause, boom);
  }
  assert.is(inspectEngine(cache).inFlight, 0);
  assert.is(await cache.get("k"), undefined);
  assert.is(await cache.getOrLoad("k", () => "second"), "second");
  assert.is(cache.stats().loads, 2);
});

test("getOrLoad: a loader that throws synchronously rejects and leaves no in-flight entry", async () => {
  const cache = HydraCache.local().build();
  await rejectsWith(
    cache.getOrLoad("k", () => {
      throw new TypeError("sync");
    }),
    "LOADER_FAILED",
    /sync/,
  );
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("getOrLoad: hits never start or join a load", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", 1);
  let calls = 0;
  assert.is(
    await cache.getOrLoad("k", () => {
      calls++;
      return 2;
    }),
    1,
  );
  assert.is(calls, 0);
  assert.equal(cache.stats(), {
    hits: 1,
    misses: 0,
    loads: 0,
    singleFlightJoins: 0,
    staleLoadDiscards: 0,
    invalidations: 0,
    evictions: 0,
    inFlight: 0,
    staleHits: 0,
    bypassedReads: 0,
    bytes: 1, // the encoded 1
    oversizeSkips: 0,
  });
});

test("getOrLoad: a loader resolving undefined returns undefined to every caller and stores nothing", async () => {
  const cache = HydraCache.local().build();
  const results = await Promise.all([
    cache.getOrLoad("k", async () => undefined),
    cache.getOrLoad("k", () => 5),
  ]);
  assert.equal(results, [undefined, undefined]);
  assert.is(await cache.containsKey("k"), false);
  assert.is(await cache.getOrLoad("k", () => 5), 5);
});

test("getOrLoad: loads for different keys run independently", async () => {
  const cache = HydraCache.local().build();
  const a = gate<string>();
  const first = cache.getOrLoad("a", () => a.promise);
  assert.is(await cache.getOrLoad("b", () => "b"), "b");
  a.open("a");
  assert.is(await first, "a");
  assert.is(cache.stats().loads, 2);
});

test("adapter entry point: options computed only when a load starts, never on a hit or a join", async () => {
  const cache = HydraCache.local().build();
  let computed = 0;
  const optionsAtStart = () => {
    computed++;
    return { tags: ["t"] };
  };
  const release = gate<string>();
  const first = getOrLoadWithOptionsAtStart(cache, "k", optionsAtStart, () => release.promise);
  const joined = getOrLoadWithOptionsAtStart(cache, "k", optionsAtStart, () => "never called");
  release.open("v");
  assert.equal([await first, await joined], ["v", "v"]);
  assert.is(await getOrLoadWithOptionsAtStart(cache, "k", optionsAtStart, () => "never called"), "v");
  assert.is(computed, 1);
  assert.is(await cache.invalidateTag("t"), 1, "the computed tags were stored");
  const failing = () => {
    throw new Error("cannot derive the tags");
  };
  const thrown = await getOrLoadWithOptionsAtStart(cache, "k", failing, () => "v").catch((error) => error);
  assert.match(String(thrown), /cannot derive the tags/);
  await rejectsWith(
    getOrLoadWithOptionsAtStart(
      cache,
      "k",
      () => ({ ttl: -1 }),
      () => "v",
    ),
    "INVALID_OPTIONS",
  );
  await rejectsWith(
    getOrLoadWithOptionsAtStart(cache, 5 as never, optionsAtStart, () => "v"),
    "INVALID_KEY",
  );
  assert.equal([inspectEngine(cache).inFlight, cache.stats().loads], [0, 1]);
});

test.run();
