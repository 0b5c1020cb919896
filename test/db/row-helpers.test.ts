import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import {
  DbCache,
  type DbQuery,
  defineEntity,
  type RowHelper,
  type RowSource,
  type RowSourceDefaults,
} from "../../src/db/index.ts";
import { HydraCache, referenceCodec } from "../../src/index.ts";
import { fakeClock, gate, rejectsWith, settle } from "../core/helpers.ts";
import { LazyQuery, MemoryTable } from "./memory-source.ts";

interface UserRow {
  id: number;
  name: string;
}

function setup(rows: UserRow[] = [{ id: 1, name: "Ada" }]) {
  const cache = HydraCache.local().build();
  const table = new MemoryTable<UserRow>();
  table.rows.push(...rows);
  return { cache, table, queries: new DbCache(cache, "db") };
}

test("row helpers: a hit never calls the query's then", async () => {
  const { table, queries } = setup();
  await queries.entity("user", 1).fetchOne(table.select((row) => row.id === 1));
  await queries.collection("users").fetchAll(table.select((row) => row.id === 1));
  const one = table.select((row) => row.id === 1);
  const optional = table.select((row) => row.id === 1);
  const all = table.select((row) => row.id === 1);
  await queries.entity("user", 1).fetchOne(one);
  await queries.entity("user", 1).fetchOptional(optional);
  await queries.collection("users").fetchAll(all);
  assert.is(one.thenCalls, 0);
  assert.is(optional.thenCalls, 0);
  assert.is(all.thenCalls, 0);
  assert.is(table.queries, 2);
});

test("row helpers: a function source is called only on a miss", async () => {
  const { queries } = setup();
  let calls = 0;
  const rows = () => {
    calls++;
    return [{ id: 1, name: "Ada" }];
  };
  assert.equal(await queries.entity("user", 1).fetchAll(rows), [{ id: 1, name: "Ada" }]);
  assert.equal(await queries.entity("user", 1).fetchAll(rows), [{ id: 1, name: "Ada" }]);
  assert.is(calls, 1);
});

test("row helpers: accept a function returning a promise or a lazy query; a native promise is INVALID_OPTIONS naming the fix", async () => {
  const { cache, table, queries } = setup();
  assert.equal(
    await queries
      .cached()
      .key("a")
      .fetchOne(async () => [{ id: 2 }]),
    { id: 2 },
  );
  assert.equal(
    await queries
      .cached()
      .key("b")
      .fetchOne(() => table.select()),
    { id: 1, name: "Ada" },
  );
  // A started promise would run its query on every call, hits included.
  let runs = 0;
  const load = async () => {
    runs++;
    return [{ id: 3 }];
  };
  for (const helper of ["fetchOne", "fetchOptional", "fetchAll"] as const) {
    await rejectsWith(
      queries.cached().key("c")[helper](load()),
      "INVALID_OPTIONS",
      new RegExp(`${helper}: query is a Promise.*${helper}\\(\\(\\) => repo\\.load\\(1\\)\\)`),
    );
  }
  assert.is(await cache.containsKey("db:c"), false);
  assert.equal(await queries.cached().key("c").fetchAll(load), [{ id: 3 }]);
  assert.equal(await queries.cached().key("c").fetchAll(load), [{ id: 3 }]);
  assert.is(runs, 4, "three eager calls, then one load");
});

test("row helpers: accept an executable (a prepared query), whose execute() runs only on a miss", async () => {
  const { queries } = setup();
  let executions = 0;
  const prepared = {
    execute: async (placeholders?: Record<string, unknown>) => {
      executions++;
      return [{ id: 1, name: "Ada", placeholders }];
    },
  };
  const row: { id: number; name: string } = await queries.entity("user", 1).fetchOne(prepared);
  assert.equal(row, { id: 1, name: "Ada", placeholders: undefined });
  await queries.entity("user", 1).fetchOne(prepared);
  assert.equal(await queries.collection("users").fetchAll({ execute: () => [1, 2] }), [1, 2]);
  assert.is(executions, 1);
});

test("row helpers: a thenable that also has execute() is awaited (execute() is not called)", async () => {
  const { table, queries } = setup();
  const builder = Object.assign(table.select(), {
    execute: () => {
      throw new Error("execute() must not be called on a thenable");
    },
  });
  assert.equal(await queries.collection("users").fetchAll(builder), [{ id: 1, name: "Ada" }]);
  assert.is(builder.thenCalls, 1);
});

test("fetchOne: resolves to the single row and caches it", async () => {
  const { cache, table, queries } = setup();
  assert.equal(await queries.entity("user", 1).fetchOne(table.select()), { id: 1, name: "Ada" });
  assert.equal(await cache.get("db:user:1"), { id: 1, name: "Ada" });
});

test("fetchOne: more than one row resolves to the first", async () => {
  const { table, queries } = setup([
    { id: 2, name: "Grace" },
    { id: 1, name: "Ada" },
  ]);
  assert.equal(await queries.collection("users").fetchOne(table.select()), { id: 1, name: "Ada" });
});

test("fetchOne: zero rows rejects ROW_NOT_FOUND naming the query and key, and caches nothing", async () => {
  const { cache, table, queries } = setup([]);
  const error = await rejectsWith(
    queries.entity("user", 9).withName("load-user").fetchOne(table.select()),
    "ROW_NOT_FOUND",
    /"load-user".*"db:user:9"/,
  );
  assert.is(error.cause, undefined);
  assert.is(await cache.containsKey("db:user:9"), false);
  await rejectsWith(queries.entity("user", 9).fetchOne(table.select()), "ROW_NOT_FOUND", /"db:unnamed"/);
  assert.is(table.queries, 2);
  assert.is(inspectEngine(cache).entries, 0);
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("fetchOne: every concurrent waiter of a load that finds no row gets ROW_NOT_FOUND", async () => {
  const { cache, queries } = setup();
  const release = gate<UserRow[]>();
  let calls = 0;
  const source = () => {
    calls++;
    return release.promise;
  };
  const waiters = Array.from({ length: 5 }, () => queries.entity("user", 9).fetchOne(source));
  await settle();
  release.open([]);
  for (const waiter of waiters) await rejectsWith(waiter, "ROW_NOT_FOUND");
  assert.is(calls, 1);
  assert.is(cache.stats().singleFlightJoins, 4);
  assert.is(inspectEngine(cache).inFlight, 0);
  assert.is(inspectEngine(cache).entries, 0);
});

test("fetchOptional: resolves to the first row", async () => {
  const { table, queries } = setup([
    { id: 1, name: "Ada" },
    { id: 2, name: "Grace" },
  ]);
  assert.equal(await queries.collection("users").fetchOptional(table.select()), { id: 1, name: "Ada" });
});

test("fetchOptional: caches and returns null for zero rows, so repeated misses stay off the database", async () => {
  const { cache, table, queries } = setup([]);
  assert.is(await queries.entity("user", 9).fetchOptional(table.select()), null);
  assert.is(await queries.entity("user", 9).fetchOptional(table.select()), null);
  assert.is(table.queries, 1);
  assert.is(await cache.get("db:user:9"), null);
});

test("fetchAll: every row, as a plain array, cached", async () => {
  const { cache, table, queries } = setup([
    { id: 1, name: "Ada" },
    { id: 2, name: "Grace" },
  ]);
  const all = [
    { id: 1, name: "Ada" },
    { id: 2, name: "Grace" },
  ];
  assert.equal(await queries.collection("users").fetchAll(table.select()), all);
  assert.equal(await cache.get("db:users"), all);
});

test("fetchAll: caches [] for zero rows (empty-vector caching)", async () => {
  const { cache, table, queries } = setup([]);
  assert.equal(await queries.collection("users").fetchAll(table.select()), []);
  assert.equal(await queries.collection("users").fetchAll(table.select()), []);
  assert.is(table.queries, 1);
  assert.equal(await cache.get("db:users"), []);
});

test("fetchAll: a driver's array subclass is stored as a plain array", async () => {
  class RowList<T> extends Array<T> {
    count = 0;
  }
  const cache = HydraCache.local().codec(referenceCodec).build();
  const queries = new DbCache(cache, "db");
  const list = RowList.from([{ id: 1 }]) as RowList<{ id: number }>;
  list.count = 1;
  const rows = await queries.collection("users").fetchAll(() => list);
  assert.ok(Array.isArray(rows));
  assert.is(Object.getPrototypeOf(rows), Array.prototype);
  assert.equal(rows, [{ id: 1 }]);
});

test("row helpers: a source resolving to one row or undefined (like a relational findFirst) works", async () => {
  const { queries } = setup();
  const findFirst = (row: UserRow | undefined) => new LazyQuery(() => row);
  const ada = { id: 1, name: "Ada" };
  assert.equal(await queries.cached().key("one").fetchOne(findFirst(ada)), ada);
  assert.equal(await queries.cached().key("optional").fetchOptional(findFirst(ada)), ada);
  assert.equal(await queries.cached().key("all").fetchAll(findFirst(ada)), [ada]);
  await rejectsWith(queries.cached().key("none").fetchOne(findFirst(undefined)), "ROW_NOT_FOUND");
  assert.is(await queries.cached().key("none-optional").fetchOptional(findFirst(undefined)), null);
  assert.equal(await queries.cached().key("none-all").fetchAll(findFirst(undefined)), []);
  assert.equal(
    await queries
      .cached()
      .key("null-all")
      .fetchAll(() => null),
    [],
  );
});

test("row helpers: errors from the source reach every waiter as LOADER_FAILED with the original cause, never cached", async () => {
  const { cache, table, queries } = setup();
  const boom = new Error('relation "users" does not exist');
  const waiters = [
    queries.cached().key("k").fetchAll(table.failing(boom)),
    queries.cached().key("k").fetchOne(table.failing(boom)),
    queries.cached().key("k").fetchOptional(table.failing(boom)),
  ];
  for (const waiter of waiters) {
    const error = await rejectsWith(waiter, "LOADER_FAILED", /"db:k".*does not exist/);
    assert.is(error.cause, boom);
  }
  assert.is(table.queries, 1);
  const thrown = new TypeError("bad row");
  const error = await rejectsWith(
    queries
      .cached()
      .key("k")
      .fetchAll(() => {
        throw thrown;
      }),
    "LOADER_FAILED",
  );
  assert.is(error.cause, thrown);
  assert.is(await cache.containsKey("db:k"), false);
  assert.equal(await queries.cached().key("k").fetchAll(table.select()), [{ id: 1, name: "Ada" }]);
});

test("row helpers: without a key reject MISSING_KEY and never run the query", async () => {
  const { table, queries } = setup();
  const query = table.select();
  await rejectsWith(queries.cached().fetchOne(query), "MISSING_KEY", /"db:unnamed"/);
  await rejectsWith(queries.named("list").fetchAll(query), "MISSING_KEY", /"list"/);
  await rejectsWith(queries.cached().tag("users").fetchOptional(query), "MISSING_KEY");
  assert.is(query.thenCalls, 0);
  assert.is(table.queries, 0);
});

test("row helpers: results carry the query's tags and TTL", async () => {
  const clock = fakeClock();
  const cache = HydraCache.local().defaultTtl(60_000).clock(clock.now).build();
  const queries = new DbCache(cache, "db");
  const table = new MemoryTable<UserRow>();
  table.rows.push({ id: 1, name: "Ada" });
  const User = defineEntity<UserRow, number>({ entity: "user", collection: "users" });
  await queries.forEntity(User, 1).ttl(1_000).fetchOne(table.select());
  await queries.collection("users").fetchAll(table.select());
  clock.advance(1_000);
  assert.is(await cache.containsKey("db:user:1"), false);
  assert.is(await cache.containsKey("db:users"), true);
  await queries.forEntity(User, 1).fetchOne(table.select());
  assert.is(await queries.invalidateCollection(User), 2);
});

test("row helpers: a load that fetchOne finds empty is null to a fetchOptional that joined it, and a cached null is ROW_NOT_FOUND to fetchOne", async () => {
  const { queries } = setup();
  const release = gate<UserRow[]>();
  const one = queries.entity("user", 9).fetchOne(() => release.promise);
  const optional = queries.entity("user", 9).fetchOptional(() => release.promise);
  release.open([]);
  await rejectsWith(one, "ROW_NOT_FOUND");
  assert.is(await optional, null);
  assert.is(await queries.entity("user", 9).fetchOptional(() => []), null);
  await rejectsWith(
    queries.entity("user", 9).fetchOne(() => [{ id: 9, name: "late" }]),
    "ROW_NOT_FOUND",
  );
});

test("row helpers: the output type is chosen by the row source (adapter-chosen output types)", async () => {
  const { queries } = setup();
  const typed = new LazyQuery<UserRow[]>(() => [{ id: 1, name: "Ada" }]);
  const one: UserRow = await queries.cached().key("one").fetchOne(typed);
  const optional: UserRow | null = await queries.cached().key("optional").fetchOptional(typed);
  const all: UserRow[] = await queries.cached().key("all").fetchAll(typed);
  const counts: number[] = await queries
    .cached()
    .key("counts")
    .fetchAll(async () => [3, 4]);
  const first: string = await queries
    .cached()
    .key("first")
    .fetchOne(() => new LazyQuery(() => "scalar" as string | undefined));
  // @ts-expect-error fetchOne resolves to a row, not to the rows
  const notRows: UserRow[] = await queries.cached().key("one").fetchOne(typed);
  // @ts-expect-error fetchOptional may resolve to null
  const notNull: UserRow = await queries.cached().key("optional").fetchOptional(typed);
  // @ts-expect-error the row type follows the source, not a guess
  const wrongRow: { id: string }[] = await queries.cached().key("all").fetchAll(typed);
  assert.equal(
    [one, optional, all, counts, first],
    [{ id: 1, name: "Ada" }, { id: 1, name: "Ada" }, [{ id: 1, name: "Ada" }], [3, 4], "scalar"],
  );
  assert.ok(notRows && notNull && wrongRow);
});

/**
 * A DbCache whose adapter hook counts what the row helpers read from its result: `key` and
 * `tags` are getters (the costly parts, for Drizzle `toSQL()` and the table walk).
 */
class CountingDbCache extends DbCache {
  readonly reads = { hook: 0, key: 0, tags: 0 };
  bypass = false;
  tags: () => Iterable<string> = () => ["table:users"];
  protected override resolveRowSource(
    _source: RowSource<unknown>,
    _query: DbQuery<unknown>,
    helper: RowHelper,
  ): RowSourceDefaults {
    const { reads } = this;
    reads.hook++;
    const tags = this.tags;
    return {
      bypass: this.bypass,
      get key() {
        reads.key++;
        return `derived:${helper}`;
      },
      get tags() {
        reads.tags++;
        return tags();
      },
    };
  }
}

test("adapter defaults: with an explicit key a hit never reads the derived key or tags; tags are read once, when the load starts", async () => {
  const cache = HydraCache.local().build();
  const queries = new CountingDbCache(cache, "db");
  const release = gate<UserRow[]>();
  const first = queries.entity("user", 1).fetchOne(() => release.promise);
  const joined = queries.entity("user", 1).fetchOne(() => release.promise);
  await settle();
  assert.equal(queries.reads, { hook: 2, key: 0, tags: 1 }, "the joiner reads no tags");
  release.open([{ id: 1, name: "Ada" }]);
  assert.equal(
    [await first, await joined],
    [
      { id: 1, name: "Ada" },
      { id: 1, name: "Ada" },
    ],
  );
  for (let hit = 0; hit < 3; hit++) await queries.entity("user", 1).fetchOne(() => []);
  assert.equal(queries.reads, { hook: 5, key: 0, tags: 1 });
  assert.is(await cache.invalidateTag("table:users"), 1, "the load-time tags were stored");
});

test("adapter defaults: without an explicit key the key is read on every call, the tags only on a miss", async () => {
  const cache = HydraCache.local().build();
  const queries = new CountingDbCache(cache, "db");
  await queries
    .cached()
    .tag("mine")
    .fetchAll(() => [{ id: 1, name: "Ada" }]);
  await queries
    .cached()
    .tag("mine")
    .fetchAll(() => []);
  assert.equal(queries.reads, { hook: 2, key: 2, tags: 1 });
  assert.ok(await cache.containsKey("db:derived:fetchAll"));
  assert.is(await cache.invalidateTag("mine"), 1, "the query's own tags are kept beside the adapter's");
});

test("adapter defaults: tags that throw at load start reject the helper, run nothing and leave no load in flight", async () => {
  const cache = HydraCache.local().build();
  const queries = new CountingDbCache(cache, "db");
  const failure = new Error("cannot walk the query");
  queries.tags = () => {
    throw failure;
  };
  let ran = 0;
  const source = () => {
    ran++;
    return [{ id: 1, name: "Ada" }];
  };
  const outcome = await queries
    .entity("user", 1)
    .fetchOne(source)
    .catch((error: unknown) => error);
  assert.is(outcome, failure);
  queries.tags = () => [7 as unknown as string];
  await rejectsWith(queries.entity("user", 1).fetchAll(source), "INVALID_OPTIONS");
  assert.is(ran, 0);
  assert.is(inspectEngine(cache).inFlight, 0);
  assert.is(cache.stats().loads, 0);
  queries.tags = () => [];
  assert.equal(await queries.entity("user", 1).fetchOne(source), { id: 1, name: "Ada" });
});

test("adapter defaults: bypass runs the source on every call and touches nothing in the engine", async () => {
  const cache = HydraCache.local().build();
  const queries = new CountingDbCache(cache, "db");
  await queries.entity("user", 1).fetchOne(() => [{ id: 1, name: "cached" }]);
  queries.bypass = true;
  const before = cache.stats();
  let ran = 0;
  const source = () => {
    ran++;
    return [
      { id: 1, name: "uncommitted" },
      { id: 2, name: "second" },
    ];
  };
  assert.equal(await queries.entity("user", 1).fetchOne(source), { id: 1, name: "uncommitted" });
  assert.equal(await queries.entity("user", 1).fetchOptional(source), { id: 1, name: "uncommitted" });
  assert.is((await queries.entity("user", 1).fetchAll(source)).length, 2);
  assert.is(await queries.entity("user", 1).fetchOptional(() => []), null);
  await rejectsWith(
    queries.entity("user", 1).fetchOne(() => []),
    "ROW_NOT_FOUND",
    /"db:user:1"/,
  );
  const failure = new Error("driver says no");
  const error = await rejectsWith(
    queries.entity("user", 1).fetchAll(() => Promise.reject(failure)),
    "LOADER_FAILED",
    /driver says no/,
  );
  assert.is(error.cause, failure);
  await rejectsWith(
    queries
      .cached()
      .key("k")
      .fetchAll("rows" as never),
    "INVALID_OPTIONS",
  );
  assert.is(ran, 3);
  assert.equal(cache.stats(), before, "no lookup, no load, nothing stored");
  assert.is(queries.reads.tags, 1, "only the first, cached load read tags");
  assert.is(await queries.entity("user", 99).fetchOptional(() => []), null);
  assert.is(await cache.containsKey("db:user:99"), false);
  queries.bypass = false;
  assert.equal(await queries.entity("user", 1).fetchOne(source), { id: 1, name: "cached" });
});

test.run();

test("row helpers on one explicit key: each resolves only to its own shape, whichever helper filled the key", async () => {
  const { cache, table, queries } = setup();
  const byId = () => table.select((row) => row.id === 1);
  assert.equal(await queries.entity("user", 1).fetchOne(byId()), { id: 1, name: "Ada" });
  await rejectsWith(
    queries.entity("user", 1).fetchAll(byId()),
    "INVALID_VALUE",
    /fetchAll found a single row under key "db:user:1"/,
  );
  assert.equal(await queries.entity("user", 1).fetchOptional(byId()), { id: 1, name: "Ada" });
  await cache.invalidateKey("db:user:1");
  assert.equal(await queries.entity("user", 1).fetchAll(byId()), [{ id: 1, name: "Ada" }]);
  await rejectsWith(
    queries.entity("user", 1).fetchOne(byId()),
    "INVALID_VALUE",
    /fetchOne found an array of rows/,
  );
  await rejectsWith(
    queries.entity("user", 1).fetchOptional(byId()),
    "INVALID_VALUE",
    /fetchOptional found an array/,
  );
  // A joiner of another helper's load gets the same refusal, never the other shape.
  await cache.invalidateKey("db:user:1");
  const release = gate();
  const all = queries.entity("user", 1).fetchAll(async () => {
    await release.promise;
    return byId();
  });
  const one = queries.entity("user", 1).fetchOne(byId());
  release.open();
  assert.equal(await all, [{ id: 1, name: "Ada" }]);
  await rejectsWith(one, "INVALID_VALUE", /fetchOne found an array of rows/);
});
