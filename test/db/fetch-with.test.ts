import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { DbCache } from "../../src/db/index.ts";
import { CacheError, HydraCache, TagSet } from "../../src/index.ts";
import { fakeClock, gate, rejectsWith } from "../core/helpers.ts";

interface User {
  id: number;
  name: string;
}

const user = (id: number): User => ({ id, name: `user-${id}` });

function setup() {
  const cache = HydraCache.local().build();
  return { cache, queries: new DbCache(cache, "db") };
}

test("fetchWith: caches the loaded value; a hit does not call the loader", async () => {
  const { queries } = setup();
  let calls = 0;
  const first = await queries
    .cached<User>()
    .key("user:1")
    .fetchWith(() => {
      calls++;
      return user(1);
    });
  const second = await queries
    .cached<User>()
    .key("user:1")
    .fetchWith(() => {
      calls++;
      return user(2);
    });
  assert.equal(first, user(1));
  assert.equal(second, user(1));
  assert.is(calls, 1);
});

test("fetchWith: without a key rejects MISSING_KEY naming namespace:unnamed, and never calls the loader", async () => {
  const { queries } = setup();
  let calls = 0;
  const error = await rejectsWith(
    queries
      .cached<User>()
      .tag("users")
      .fetchWith(() => {
        calls++;
        return user(1);
      }),
    "MISSING_KEY",
    /"db:unnamed"/,
  );
  assert.ok(error instanceof CacheError);
  assert.is(calls, 0);
});

test("fetchWith: MISSING_KEY names the query's label (named, withName), or unnamed for the empty namespace", async () => {
  const { cache, queries } = setup();
  await rejectsWith(
    queries.named<User>("load-profile").fetchWith(() => user(1)),
    "MISSING_KEY",
    /"load-profile"/,
  );
  await rejectsWith(
    queries
      .cached<User>()
      .withName("load-settings")
      .fetchWith(() => user(1)),
    "MISSING_KEY",
    /"load-settings"/,
  );
  const bare = await rejectsWith(
    new DbCache(cache, "").cached<User>().fetchWith(() => user(1)),
    "MISSING_KEY",
    /"unnamed"/,
  );
  assert.not.match(bare.message, /:unnamed/);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("fetchWith: runs through the one shared engine under the physical key", async () => {
  const { cache, queries } = setup();
  await queries.entity<User>("user", 42).fetchWith(() => user(42));
  assert.equal(await cache.get("db:user:42"), user(42));
  assert.equal(await cache.typed<User>("db").get("user:42"), user(42));
  await cache.put("db:user:7", user(700));
  assert.equal(await queries.entity<User>("user", 7).fetchWith(() => user(7)), user(700));
  const stats = cache.stats();
  assert.is(stats.loads, 1);
  assert.is(stats.hits, 3);
  assert.is(inspectEngine(cache).entries, 2);
});

test("DbCache: cache and namespace are read-only, so fetches and invalidations never disagree", async () => {
  const { cache, queries } = setup();
  assert.is(queries.cache, cache);
  assert.throws(() => {
    (queries as { namespace: string }).namespace = "other";
  }, TypeError);
  assert.throws(() => {
    (queries as { cache: unknown }).cache = null;
  }, TypeError);
  await queries.entity("user", 1).fetchWith(() => user(1));
  assert.is((await cache.get("db:user:1")) !== undefined, true);
  assert.is(await queries.invalidateEntity("user", 1), 1);
});

test("fetchWith: two DbCaches over one engine and namespace share their results", async () => {
  const cache = HydraCache.local().build();
  await new DbCache(cache, "db").collection<string[]>("users").fetchWith(() => ["ada"]);
  assert.equal(await new DbCache(cache, "db").collection<string[]>("users").fetchWith(() => ["other"]), [
    "ada",
  ]);
  assert.equal(await new DbCache(cache, "other").collection<string[]>("users").fetchWith(() => ["other"]), [
    "other",
  ]);
});

test("fetchWith: concurrent misses share one loader call (single-flight in the engine)", async () => {
  const { cache, queries } = setup();
  const release = gate<User>();
  let calls = 0;
  const loader = () => {
    calls++;
    return release.promise;
  };
  const waiters = Array.from({ length: 20 }, () => queries.entity<User>("user", 1).fetchWith(loader));
  assert.is(inspectEngine(cache).inFlight, 1);
  release.open(user(1));
  for (const result of await Promise.all(waiters)) assert.equal(result, user(1));
  assert.is(calls, 1);
  assert.is(cache.stats().singleFlightJoins, 19);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("fetchWith: a failing loader rejects every waiter with LOADER_FAILED (cause kept) and is never cached", async () => {
  const { cache, queries } = setup();
  const release = gate<User>();
  const boom = new Error("connection reset");
  const waiters = [1, 2, 3].map(() => queries.entity<User>("user", 1).fetchWith(() => release.promise));
  release.fail(boom);
  for (const waiter of waiters) {
    const error = await rejectsWith(waiter, "LOADER_FAILED", /connection reset/);
    assert.is(error.cause, boom);
  }
  assert.is(await cache.containsKey("db:user:1"), false);
  assert.equal(await queries.entity<User>("user", 1).fetchWith(() => user(1)), user(1));
  assert.is(cache.stats().loads, 2);
});

test("fetchWith: a loader returning undefined stores nothing", async () => {
  const { cache, queries } = setup();
  assert.is(
    await queries
      .cached<User | undefined>()
      .key("k")
      .fetchWith(() => undefined),
    undefined,
  );
  assert.is(await cache.containsKey("db:k"), false);
});

test("fetchWith: caches an empty array (empty vector)", async () => {
  const { queries } = setup();
  let calls = 0;
  const load = () => {
    calls++;
    return [] as User[];
  };
  assert.equal(await queries.collection<User[]>("users").fetchWith(load), []);
  assert.equal(await queries.collection<User[]>("users").fetchWith(load), []);
  assert.is(calls, 1);
});

test("fetchWith: caches null", async () => {
  const { cache, queries } = setup();
  let calls = 0;
  const load = () => {
    calls++;
    return null;
  };
  assert.is(await queries.entity<User | null>("user", 404).fetchWith(load), null);
  assert.is(await queries.entity<User | null>("user", 404).fetchWith(load), null);
  assert.is(calls, 1);
  assert.is(await cache.get("db:user:404"), null);
});

test("fetchWith: stores the result with the query's tags (tag, tags, tagSet)", async () => {
  const { cache, queries } = setup();
  await queries
    .cached<User>()
    .key("user:1")
    .tagSet(new TagSet().tag("users").entity("user", 1))
    .fetchWith(() => user(1));
  assert.is(await cache.invalidateTag("user:1"), 1);
  assert.equal(
    await queries
      .cached<User>()
      .key("user:1")
      .fetchWith(() => user(2)),
    user(2),
  );
});

test("fetchWith: per-query TTL overrides the engine's default TTL", async () => {
  const clock = fakeClock();
  const cache = HydraCache.local().defaultTtl(10_000).clock(clock.now).build();
  const queries = new DbCache(cache, "db");
  let calls = 0;
  const load = () => ++calls;
  await queries.cached<number>().key("short").ttl(100).fetchWith(load);
  await queries.cached<number>().key("default").fetchWith(load);
  clock.advance(99);
  assert.is(await queries.cached<number>().key("short").ttl(100).fetchWith(load), 1);
  clock.advance(1);
  assert.is(await queries.cached<number>().key("short").ttl(100).fetchWith(load), 3);
  assert.is(await queries.cached<number>().key("default").fetchWith(load), 2);
  clock.advance(9_900);
  assert.is(await queries.cached<number>().key("default").fetchWith(load), 4);
});

test("fetchWith: an invalidation while the load runs returns the result but does not store it", async () => {
  const { cache, queries } = setup();
  const release = gate<User>();
  const pending = queries.entity<User>("user", 1).fetchWith(() => release.promise);
  await queries.invalidateEntity("user", 1);
  release.open(user(1));
  assert.equal(await pending, user(1));
  assert.is(await cache.containsKey("db:user:1"), false);
  assert.is(cache.stats().staleLoadDiscards, 1);
});

test.run();
