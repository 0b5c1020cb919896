// HydraDrizzleCache's hooks called directly, the way Drizzle calls them (get → query → put), outside
// withHydraCache: a `put` does not say which miss it answers, so a load is stored only when it can
// be told apart from every earlier miss of its key. Gates are the hooks' own promises, no sleeps.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { HydraDrizzleCache } from "../../src/drizzle/index.ts";
import { HydraCache } from "../../src/index.ts";

/** Lets loads that were abandoned at once settle (a condition, not a timed wait). */
async function settled(cache: HydraCache): Promise<void> {
  while (inspectEngine(cache).inFlight > 0) await new Promise((resolve) => setImmediate(resolve));
}

/** The abandon timer is unref'd (it must not keep a server alive); a statement still running would. */
async function whileRunning<T>(run: () => Promise<T>): Promise<T> {
  const statement = setInterval(() => {}, 1_000);
  try {
    return await run();
  } finally {
    clearInterval(statement);
  }
}

test("a statement that outlasts joinTimeout cannot complete a load started after a write", async () => {
  const cache = HydraCache.local().build();
  const drizzleCache = new HydraDrizzleCache(cache, { joinTimeout: 20 });
  // A misses and starts a load; a joiner gives up on it after joinTimeout and queries itself.
  assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
  assert.is(await whileRunning(() => drizzleCache.get("k", ["users"], false, true)), undefined);
  assert.is(inspectEngine(cache).inFlight, 0);
  // A write, then B misses: a new load, while A and the joiner still run and will put.
  await drizzleCache.onMutate({ tables: "users" });
  assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
  await drizzleCache.put("k", ["old"], ["users"], false); // A's late put, read before the write
  await drizzleCache.put("k", ["old"], ["users"], false); // the joiner's
  await drizzleCache.put("k", ["new"], ["users"], false); // B's
  assert.is(inspectEngine(cache).entries, 0, "nothing an earlier miss could have answered is stored");
  assert.is(inspectEngine(cache).inFlight, 0);
  // Every miss has been answered: the next load is stored again.
  assert.is(await drizzleCache.get("k", ["users"], false, true), undefined);
  await drizzleCache.put("k", ["new"], ["users"], false);
  assert.equal(await drizzleCache.get("k", ["users"], false, true), ["new"]);
});

test("a miss whose put never comes stops holding its key back after its window", async () => {
  let now = 1_000_000;
  const realNow = Date.now;
  Date.now = () => now;
  try {
    const cache = HydraCache.local().build();
    const drizzleCache = new HydraDrizzleCache(cache, { joinTimeout: 10 });
    assert.is(await drizzleCache.get("k", [], false, true), undefined); // its statement fails: no put
    // joined, gave up after 10 ms
    assert.is(await whileRunning(() => drizzleCache.get("k", [], false, true)), undefined);
    now += 59_000; // inside the window: a new load is not adopted
    assert.is(await drizzleCache.get("k", [], false, true), undefined);
    await drizzleCache.put("k", [1], [], false);
    await settled(cache);
    assert.is(inspectEngine(cache).entries, 0);
    now += 61_000; // past the window of the last miss: failed statements no longer count
    assert.is(await drizzleCache.get("k", [], false, true), undefined);
    await drizzleCache.put("k", [2], [], false);
    assert.equal(await drizzleCache.get("k", [], false, true), [2]);
  } finally {
    Date.now = realNow;
  }
});

test("after the window, keys whose statements failed are cached again, however many there were", async () => {
  let now = 2_000_000;
  const realNow = Date.now;
  Date.now = () => now;
  try {
    const cache = HydraCache.local().build();
    const drizzleCache = new HydraDrizzleCache(cache, { joinTimeout: 10 });
    for (let index = 0; index < 1_100; index++) await drizzleCache.get(`k${index}`, [], false, true);
    now += 61_000;
    await settled(cache);
    // Past the window, the next miss sweeps the old ones; k0 is adopted again and stored.
    assert.is(await drizzleCache.get("k0", [], false, true), undefined);
    await drizzleCache.put("k0", [0], [], false);
    assert.equal(await drizzleCache.get("k0", [], false, true), [0]);
  } finally {
    Date.now = realNow;
  }
});

test.run();
