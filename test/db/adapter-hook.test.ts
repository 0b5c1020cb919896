// The hook adapters (DrizzleDbCache) use: DbCache.resolveRowSource gives a row source a default
// key and extra tags. Tested here with a toy adapter whose "queries" carry their own SQL text.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { DbCache, type DbQuery, type RowSource, type RowSourceDefaults } from "../../src/db/index.ts";
import { HydraCache } from "../../src/index.ts";
import { rejectsWith } from "../core/helpers.ts";
import { LazyQuery } from "./memory-source.ts";

/** A query builder that knows its SQL and the tables it reads. */
class ToyQuery<R> extends LazyQuery<R> {
  readonly sql: string;
  readonly tables: readonly string[];
  constructor(sql: string, tables: readonly string[], run: () => R) {
    super(run);
    this.sql = sql;
    this.tables = tables;
  }
}

class ToyDbCache extends DbCache {
  readonly seen: { source: RowSource<unknown>; query: DbQuery<unknown> }[] = [];
  protected override resolveRowSource(
    source: RowSource<unknown>,
    query: DbQuery<unknown>,
  ): RowSourceDefaults | undefined {
    this.seen.push({ source, query });
    if (!(source instanceof ToyQuery)) return undefined;
    return { key: `sql:${source.sql}`, tags: source.tables.map((table) => `table:${table}`) };
  }
}

function setup() {
  const cache = HydraCache.local().build();
  const queries = new ToyDbCache(cache, "db");
  let runs = 0;
  const users = (sql = "select * from users") =>
    new ToyQuery(sql, ["users"], () => {
      runs++;
      return [{ id: 1, name: "Ada" }];
    });
  return { cache, queries, users, runs: () => runs };
}

test("resolveRowSource: supplies the key when the query has none", async () => {
  const { cache, queries, users, runs } = setup();
  assert.equal(await queries.cached().fetchAll(users()), [{ id: 1, name: "Ada" }]);
  assert.equal(await queries.cached().fetchAll(users()), [{ id: 1, name: "Ada" }]);
  assert.is(runs(), 1);
  assert.ok(await cache.containsKey("db:sql:select * from users"));
  await queries.cached().fetchAll(users("select * from users where id = 2"));
  assert.is(runs(), 2);
});

test("resolveRowSource: an explicit key wins over the derived one; the derived tags are still added", async () => {
  const { cache, queries, users } = setup();
  await queries.entity("user", 1).fetchOne(users());
  assert.ok(await cache.containsKey("db:user:1"));
  assert.is(await cache.containsKey("db:sql:select * from users"), false);
  assert.is(await cache.invalidateTag("table:users"), 1);
});

test("resolveRowSource: its tags go beside the query's own, for every row helper", async () => {
  const { cache, queries, users } = setup();
  await queries.cached().tag("mine").fetchAll(users("a"));
  await queries.cached().tag("mine").fetchOne(users("b"));
  await queries.cached().tag("mine").fetchOptional(users("c"));
  assert.is(await cache.invalidateTag("table:users"), 3);
  await queries.cached().tag("mine").fetchAll(users("a"));
  assert.is(await cache.invalidateTag("mine"), 1);
});

test("resolveRowSource: receives the source and the query, and leaves the query unchanged", async () => {
  const { queries, users } = setup();
  const source = users();
  const query = queries.cached().tag("mine");
  await query.fetchAll(source);
  assert.is(queries.seen.length, 1);
  assert.is(queries.seen[0]?.source, source);
  assert.is(queries.seen[0]?.query, query);
  assert.is(query.physicalKey, undefined);
  assert.equal(query.tagList, ["mine"]);
});

test("resolveRowSource: consulted on hits too (the key depends on it), but never by fetchWith", async () => {
  const { queries, users } = setup();
  await queries.cached().fetchAll(users());
  await queries.cached().fetchAll(users());
  assert.is(queries.seen.length, 2);
  await queries
    .cached()
    .key("k")
    .fetchWith(() => 1);
  assert.is(queries.seen.length, 2);
});

test("resolveRowSource: a source it does not know still needs an explicit key", async () => {
  const { queries } = setup();
  await rejectsWith(
    queries.cached().fetchAll(() => [1]),
    "MISSING_KEY",
  );
  assert.equal(
    await queries
      .cached()
      .key("k")
      .fetchAll(() => [1]),
    [1],
  );
});

test("resolveRowSource: the base DbCache contributes nothing", async () => {
  const cache = HydraCache.local().build();
  const plain = new DbCache(cache, "db");
  const { users } = setup();
  await rejectsWith(plain.cached().fetchAll(users()), "MISSING_KEY");
  await plain.cached().key("k").fetchAll(users());
  assert.is(await cache.invalidateTag("table:users"), 0);
});

test("resolveRowSource: a bad key or a throw rejects before the source runs", async () => {
  class Broken extends DbCache {
    readonly defaults: () => RowSourceDefaults | undefined;
    constructor(cache: HydraCache, defaults: () => RowSourceDefaults | undefined) {
      super(cache, "db");
      this.defaults = defaults;
    }
    protected override resolveRowSource(): RowSourceDefaults | undefined {
      return this.defaults();
    }
  }
  const cache = HydraCache.local().build();
  const { users, runs } = setup();
  await rejectsWith(
    new Broken(cache, () => ({ key: "" })).cached().fetchAll(users()),
    "INVALID_KEY",
    /derived/,
  );
  await rejectsWith(
    new Broken(cache, () => ({ key: 42 as unknown as string })).cached().fetchAll(users()),
    "INVALID_KEY",
  );
  await rejectsWith(
    new Broken(cache, () => ({ key: "k", tags: [7 as unknown as string] })).cached().fetchAll(users()),
    "INVALID_OPTIONS",
  );
  const failure = new Error("cannot derive a key");
  try {
    await new Broken(cache, () => {
      throw failure;
    })
      .cached()
      .fetchAll(users());
    assert.unreachable("should reject");
  } catch (error) {
    assert.is(error, failure);
  }
  assert.is(runs(), 0);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("runLoad: runs every load, fetchWith's and the row helpers', never a hit", async () => {
  const ran: string[] = [];
  class Tracing extends DbCache {
    protected override async runLoad<T>(load: () => Promise<T>): Promise<T> {
      ran.push("start");
      const value = await load();
      ran.push("end");
      return value;
    }
  }
  const queries = new Tracing(HydraCache.local().build(), "db");
  assert.equal(await queries.entity("user", 1).fetchWith(() => ({ id: 1 })), { id: 1 });
  assert.equal(await queries.entity("user", 1).fetchWith(() => ({ id: 2 })), { id: 1 });
  assert.equal(await queries.collection("users").fetchAll(() => [{ id: 1 }]), [{ id: 1 }]);
  assert.equal(await queries.collection("users").fetchAll(() => [{ id: 2 }]), [{ id: 1 }]);
  assert.equal(ran, ["start", "end", "start", "end"]);
  await rejectsWith(
    queries.entity("user", 2).fetchWith(undefined as never),
    "INVALID_OPTIONS",
    /fetchWith needs a loader function/,
  );
});

test.run();
