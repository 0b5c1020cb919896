// Bad input: builders throw a CacheError at once (like the engine's builder); everything that
// returns a promise rejects instead, and leaves the engine clean.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { DbCache, defineEntity } from "../../src/db/index.ts";
import { CacheError, type CacheErrorCode, CacheKeyBuilder, HydraCache } from "../../src/index.ts";
import { rejectsWith } from "../core/helpers.ts";

/** Asserts that `run` throws (synchronously) a CacheError of `code` whose message matches `message`. */
function throwsWith(run: () => unknown, code: CacheErrorCode, message?: RegExp): void {
  try {
    run();
  } catch (error) {
    assert.ok(CacheError.is(error), `expected a CacheError, got ${String(error)}`);
    assert.is((error as CacheError).code, code, (error as CacheError).message);
    if (message) assert.match((error as CacheError).message, message);
    return;
  }
  assert.unreachable(`expected a throw with ${code}`);
}

/** Passes a value the types rule out, as a JavaScript caller still can. */
const bad = (value: unknown): never => value as never;

const queries = () => new DbCache(HydraCache.local().build(), "db");

test("DbCache: a missing engine or a non-string namespace throws INVALID_OPTIONS", () => {
  const cache = HydraCache.local().build();
  throwsWith(() => new DbCache(bad(undefined), "db"), "INVALID_OPTIONS", /HydraCache/);
  throwsWith(() => new DbCache(bad({}), "db"), "INVALID_OPTIONS", /HydraCache/);
  throwsWith(() => new DbCache(cache, bad(undefined)), "INVALID_OPTIONS", /namespace/);
  throwsWith(() => new DbCache(cache, bad(7)), "INVALID_OPTIONS", /namespace.*7/);
});

test("entity(kind, id): a non-string or empty kind throws INVALID_KEY naming it", () => {
  const db = queries();
  throwsWith(() => db.entity("", 1), "INVALID_KEY", /kind.*""/);
  throwsWith(() => db.entity(bad(7), 1), "INVALID_KEY", /kind.*7/);
  throwsWith(() => db.forEntity(bad(null), 1), "INVALID_KEY", /kind.*null/);
});

test("entity(kind, id): an id that is not a non-empty string, finite number or bigint throws INVALID_KEY naming it", () => {
  const db = queries();
  const ids: [unknown, RegExp][] = [
    [undefined, /undefined/],
    [null, /null/],
    ["", /""/],
    [Number.NaN, /NaN/],
    [Number.POSITIVE_INFINITY, /Infinity/],
    [true, /true/],
    [{ id: 1 }, /an object/],
    [[1], /an array/],
    [Symbol("id"), /Symbol\(id\)/],
  ];
  for (const [id, shown] of ids) {
    throwsWith(() => db.entity("user", bad(id)), "INVALID_KEY", new RegExp(`"user".*${shown.source}`));
    throwsWith(() => db.cached().forEntity("user", bad(id)), "INVALID_KEY");
  }
});

test("collection(name) and collectionTag(name): a non-string or empty name throws INVALID_KEY", () => {
  const db = queries();
  throwsWith(() => db.collection(""), "INVALID_KEY", /collection/);
  throwsWith(() => db.collection(bad(3)), "INVALID_KEY", /collection.*3/);
  throwsWith(() => db.cached().collectionTag(bad(undefined)), "INVALID_KEY", /collection/);
});

test("key() and keyBuilder(): an empty or non-string key, or an empty builder, throws INVALID_KEY naming the query", () => {
  const db = queries();
  throwsWith(() => db.cached().key(""), "INVALID_KEY", /db:unnamed.*key/);
  throwsWith(() => db.named("load").key(bad(42)), "INVALID_KEY", /load.*42/);
  throwsWith(() => db.cached().keyBuilder(new CacheKeyBuilder()), "INVALID_KEY", /empty/);
  throwsWith(() => db.cached().keyBuilder(bad("user:1")), "INVALID_KEY", /CacheKeyBuilder/);
  throwsWith(() => db.cached().keyBuilder(bad(null)), "INVALID_KEY", /CacheKeyBuilder/);
});

test("tag(), tags(), tagSet(): a non-string tag or a non-iterable list throws INVALID_OPTIONS", () => {
  const db = queries();
  throwsWith(() => db.cached().tag(bad(1)), "INVALID_OPTIONS", /tag/);
  throwsWith(() => db.cached().tags(bad("users")), "INVALID_OPTIONS", /tags/);
  throwsWith(() => db.cached().tags(bad(undefined)), "INVALID_OPTIONS", /tags/);
  throwsWith(() => db.cached().tags(bad([1])), "INVALID_OPTIONS", /tag/);
  throwsWith(() => db.cached().tagSet(bad(null)), "INVALID_OPTIONS", /tags/);
});

test("ttl(): zero, negative, NaN or a non-number throws INVALID_OPTIONS", () => {
  const db = queries();
  for (const ms of [0, -1, Number.NaN, "1000", undefined]) {
    throwsWith(() => db.cached().ttl(bad(ms)), "INVALID_OPTIONS", /ttl/);
  }
});

test("named() and withName(): an empty or non-string name throws INVALID_OPTIONS", () => {
  const db = queries();
  throwsWith(() => db.named(""), "INVALID_OPTIONS", /name/);
  throwsWith(() => db.named(bad(1)), "INVALID_OPTIONS", /name/);
  throwsWith(() => db.cached().withName(bad(undefined)), "INVALID_OPTIONS", /name/);
});

test("defineEntity: a bad definition throws INVALID_OPTIONS; a bad id to key()/tag() throws INVALID_KEY", () => {
  throwsWith(() => defineEntity(bad(undefined)), "INVALID_OPTIONS", /defineEntity/);
  throwsWith(() => defineEntity(bad("user")), "INVALID_OPTIONS", /defineEntity/);
  throwsWith(() => defineEntity({ entity: "" }), "INVALID_OPTIONS", /entity/);
  throwsWith(() => defineEntity(bad({ entity: 1 })), "INVALID_OPTIONS", /entity/);
  throwsWith(() => defineEntity({ entity: "user", collection: "" }), "INVALID_OPTIONS", /collection.*"user"/);
  throwsWith(() => defineEntity(bad({ entity: "user", collection: 5 })), "INVALID_OPTIONS", /collection/);
  const User = defineEntity({ entity: "user" });
  throwsWith(() => User.key(bad(null)), "INVALID_KEY", /id/);
  throwsWith(() => User.tag(""), "INVALID_KEY", /id/);
  throwsWith(() => queries().forEntity(User, bad(undefined)), "INVALID_KEY", /id/);
});

test("forEntity: a descriptor-like object without a valid entity throws INVALID_KEY", () => {
  throwsWith(() => queries().forEntity(bad({}), 1), "INVALID_KEY", /kind/);
  throwsWith(
    () => queries().forEntity(bad({ entity: "user", collection: "" }), 1),
    "INVALID_KEY",
    /collection/,
  );
});

test("invalidateEntity and invalidateCollection: bad input rejects (never throws) with INVALID_KEY", async () => {
  const db = queries();
  const attempts: [() => Promise<number>, RegExp][] = [
    [() => db.invalidateEntity("", 1), /kind/],
    [() => db.invalidateEntity("user", bad(null)), /id/],
    [() => db.invalidateCollection(""), /collection/],
    [() => db.invalidateCollection(bad(undefined)), /collection/],
    [() => db.invalidateCollection(defineEntity({ entity: "session" })), /"session" has no collection/],
  ];
  for (const [attempt, message] of attempts) {
    let result: Promise<number> | undefined;
    try {
      result = attempt();
    } catch (error) {
      assert.unreachable(`threw synchronously: ${String(error)}`);
    }
    await rejectsWith(result as Promise<number>, "INVALID_KEY", message);
  }
});

test("row helpers: a query that is neither a function nor a thenable rejects INVALID_OPTIONS naming the helper", async () => {
  const db = queries();
  const query = db.cached().key("k");
  await rejectsWith(query.fetchAll(bad([{ id: 1 }])), "INVALID_OPTIONS", /fetchAll.*an array/);
  await rejectsWith(query.fetchOne(bad(null)), "INVALID_OPTIONS", /fetchOne.*null/);
  // biome-ignore lint/suspicious/noThenProperty: a `then` that is not a function makes no thenable.
  await rejectsWith(query.fetchOptional(bad({ then: 1 })), "INVALID_OPTIONS", /fetchOptional.*an object/);
  await rejectsWith(db.cached().fetchAll(bad("select 1")), "INVALID_OPTIONS", /"select 1"/);
  await rejectsWith(query.fetchAll(bad({ execute: "now" })), "INVALID_OPTIONS", /execute\(\)/);
});

test("bad input rejects without touching the engine: no entry, no in-flight load, no stats", async () => {
  const cache = HydraCache.local().build();
  const db = new DbCache(cache, "db");
  await rejectsWith(db.cached().key("k").fetchWith(bad(undefined)), "INVALID_OPTIONS", /loader/);
  await rejectsWith(db.cached().key("k").fetchAll(bad(42)), "INVALID_OPTIONS");
  await rejectsWith(
    db.cached().fetchWith(() => 1),
    "MISSING_KEY",
  );
  await rejectsWith(db.invalidateEntity("", 1), "INVALID_KEY");
  assert.equal(inspectEngine(cache), {
    entries: 0,
    inFlight: 0,
    inFlightTags: 0,
    danglingTagKeys: 0,
    tags: 0,
  });
  assert.equal(cache.stats(), {
    hits: 0,
    misses: 0,
    loads: 0,
    singleFlightJoins: 0,
    staleLoadDiscards: 0,
    invalidations: 0,
    evictions: 0,
    inFlight: 0,
    staleHits: 0,
    bypassedReads: 0,
    bytes: 0,
    oversizeSkips: 0,
  });
});

test.run();
