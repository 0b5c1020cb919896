/**
 * Conformance suite for the row helpers (`fetchOne`, `fetchOptional`, `fetchAll`) over any row
 * source: run here on an in-memory fake (row-conformance.test.ts) and, by the Drizzle tests, on
 * real PostgreSQL through Drizzle query builders.
 *
 * A source is described by a {@link RowSourceFixture}, driver-neutral and small:
 * - a table of `{ id: number, name: string }` rows the fixture can `insert` into;
 * - lazy queries over it, awaitables that run only when awaited, like query builders: `byId(id)`
 *   (0 or 1 row) and `byName(name)` (0..n rows, ordered by id); the suite also wraps them in
 *   functions (`() => fixture.byId(id)`) to cover function sources;
 * - `preparedByName(name)`, the same query as an executable: an object whose `execute()` runs it
 *   (a Drizzle prepared query);
 * - `failing()`, a lazy query that rejects when it runs (a driver error);
 * - `queryCount()`, how many queries the source has actually run so far (the suite reads deltas,
 *   so one fixture can serve every test; for Drizzle, count through its logger);
 * - optionally `dbCache(cache, namespace)`, to run the suite on a `DbCache` subclass, and `close()`.
 *
 * The fixture is made once per suite, on first use (`makeSource`), and closed after the suite.
 * Every test inserts its own rows with fresh ids and names, so tests never see each other's rows.
 *
 * @example
 * rowHelperConformance("memory", async () => memoryFixture()).run();
 */
import { suite, type Test } from "uvu";
import * as assert from "uvu/assert";
import { DbCache } from "../../src/db/index.ts";
import { CacheError, HydraCache } from "../../src/index.ts";
import { rejectsWith } from "../core/helpers.ts";

/** One row of the conformance table. */
export interface ConformanceRow {
  readonly id: number;
  readonly name: string;
}

/** A row source under test; see the top of this file. */
export interface RowSourceFixture {
  /** Inserts rows into the table (ids are unique across the whole run). */
  insert(rows: readonly ConformanceRow[]): Promise<void>;
  /** A lazy query for the rows whose id is `id` (0 or 1 row). */
  byId(id: number): PromiseLike<readonly ConformanceRow[]>;
  /** A lazy query for the rows named `name`, ordered by id. */
  byName(name: string): PromiseLike<readonly ConformanceRow[]>;
  /** `byName` as an executable (a prepared query): `execute()` runs it, nothing runs before. */
  preparedByName(name: string): { execute(): PromiseLike<readonly ConformanceRow[]> };
  /** A lazy query that fails with a driver error when it runs. */
  failing(): PromiseLike<readonly ConformanceRow[]>;
  /** How many queries the source has run so far. */
  queryCount(): number;
  /** The DbCache to test (default: `new DbCache(cache, namespace)`). */
  dbCache?(cache: HydraCache, namespace: string): DbCache;
  /** Releases the source (closes a connection pool, say). */
  close?(): Promise<void>;
}

let nextId = 1;

/** Registers the row-helper conformance tests for one source, as a uvu suite; call `.run()` on it. */
export function rowHelperConformance(name: string, makeSource: () => Promise<RowSourceFixture>): Test {
  const conformance = suite(`row helpers on ${name}`);
  let made: Promise<RowSourceFixture> | undefined;
  const source = () => {
    made ??= makeSource();
    return made;
  };

  /** A fresh engine, DbCache and source, plus fresh rows: `count` rows sharing one fresh name. */
  async function setup(count = 0) {
    const fixture = await source();
    const cache = HydraCache.local().build();
    const queries = fixture.dbCache?.(cache, "db") ?? new DbCache(cache, "db");
    const group = `group-${nextId}`;
    const rows = Array.from({ length: count }, (_, index) => ({ id: nextId + index, name: group }));
    nextId += Math.max(count, 1);
    if (rows.length > 0) await fixture.insert(rows);
    const before = fixture.queryCount();
    return { fixture, cache, queries, group, rows, ran: () => fixture.queryCount() - before };
  }

  conformance.after(async () => {
    await (await made)?.close?.();
  });

  conformance("fetchAll: returns every row, and a hit does not run the query", async () => {
    const { fixture, queries, group, rows, ran } = await setup(3);
    const query = queries.collection<ConformanceRow>(group);
    assert.equal(await query.fetchAll(fixture.byName(group)), rows);
    assert.equal(await query.fetchAll(fixture.byName(group)), rows);
    assert.is(ran(), 1);
  });

  conformance("fetchAll: caches an empty result as []", async () => {
    const { fixture, queries, group, ran } = await setup(0);
    const query = queries.collection(group);
    assert.equal(await query.fetchAll(fixture.byName(group)), []);
    assert.equal(await query.fetchAll(fixture.byName(group)), []);
    assert.is(ran(), 1);
  });

  conformance("building a query runs nothing; only a miss runs it", async () => {
    const { fixture, queries, rows, ran } = await setup(1);
    const [row] = rows as [ConformanceRow];
    const lazy = fixture.byId(row.id);
    assert.is(ran(), 0);
    const query = queries.entity("row", row.id);
    assert.equal(await query.fetchOne(lazy), row);
    assert.equal(await query.fetchOne(lazy), row);
    assert.equal(await query.fetchOne(() => fixture.byId(row.id)), row);
    assert.is(ran(), 1);
  });

  conformance("fetchOne: resolves to the row, then hits", async () => {
    const { fixture, queries, rows, ran } = await setup(1);
    const [row] = rows as [ConformanceRow];
    assert.equal(await queries.entity("row", row.id).fetchOne(fixture.byId(row.id)), row);
    assert.equal(await queries.entity("row", row.id).fetchOne(fixture.byId(row.id)), row);
    assert.is(ran(), 1);
  });

  conformance("fetchOne: more than one row resolves to the first", async () => {
    const { fixture, queries, group, rows } = await setup(3);
    assert.equal(await queries.collection(group).fetchOne(fixture.byName(group)), rows[0]);
  });

  conformance("fetchOne: zero rows rejects ROW_NOT_FOUND and caches nothing", async () => {
    const { fixture, cache, queries, ran } = await setup(0);
    const id = nextId++;
    const query = queries.entity("row", id);
    await rejectsWith(query.fetchOne(fixture.byId(id)), "ROW_NOT_FOUND", /no row/);
    assert.is(await cache.containsKey(query.physicalKey as string), false);
    await rejectsWith(query.fetchOne(fixture.byId(id)), "ROW_NOT_FOUND");
    assert.is(ran(), 2);
    await fixture.insert([{ id, name: "late" }]);
    assert.equal(await query.fetchOne(fixture.byId(id)), { id, name: "late" });
    assert.is(ran(), 3);
  });

  conformance(
    "fetchOne: every concurrent waiter of an empty result gets ROW_NOT_FOUND, from one query",
    async () => {
      const { fixture, queries, ran } = await setup(0);
      const id = nextId++;
      const waiters = Array.from({ length: 5 }, () => queries.entity("row", id).fetchOne(fixture.byId(id)));
      for (const waiter of waiters) await rejectsWith(waiter, "ROW_NOT_FOUND");
      assert.is(ran(), 1);
    },
  );

  conformance(
    "fetchOptional: resolves to the row, or caches null so repeated misses stay off the source",
    async () => {
      const { fixture, queries, rows, ran } = await setup(1);
      const [row] = rows as [ConformanceRow];
      assert.equal(await queries.entity("row", row.id).fetchOptional(fixture.byId(row.id)), row);
      const missing = nextId++;
      const query = queries.entity("row", missing);
      assert.is(await query.fetchOptional(fixture.byId(missing)), null);
      await fixture.insert([{ id: missing, name: "late" }]);
      assert.is(await query.fetchOptional(fixture.byId(missing)), null);
      assert.is(ran(), 2);
      await queries.invalidateEntity("row", missing);
      assert.equal(await query.fetchOptional(fixture.byId(missing)), { id: missing, name: "late" });
      assert.is(ran(), 3);
    },
  );

  conformance("concurrent misses share one query", async () => {
    const { fixture, queries, group, rows, ran } = await setup(2);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => queries.collection(group).fetchAll(fixture.byName(group))),
    );
    for (const result of results) assert.equal(result, rows);
    assert.is(ran(), 1);
  });

  conformance(
    "a failing query reaches every waiter as LOADER_FAILED with the driver error as cause, never cached",
    async () => {
      const { fixture, queries, ran } = await setup(0);
      const query = queries.cached().key("failing");
      const waiters = Array.from({ length: 3 }, () => query.fetchAll(fixture.failing()));
      const causes: unknown[] = [];
      for (const waiter of waiters) {
        const error = await rejectsWith(waiter, "LOADER_FAILED");
        assert.ok(error.cause !== undefined && !CacheError.is(error.cause), "cause is the driver's error");
        causes.push(error.cause);
      }
      assert.ok(
        causes.every((cause) => cause === causes[0]),
        "every waiter sees the same driver error",
      );
      assert.is(ran(), 1);
      await rejectsWith(query.fetchOne(fixture.failing()), "LOADER_FAILED");
      assert.is(ran(), 2);
    },
  );

  conformance("an executable (a prepared query) runs only on a miss, for every row helper", async () => {
    const { fixture, queries, group, rows, ran } = await setup(2);
    const prepared = fixture.preparedByName(group);
    assert.is(ran(), 0, "preparing runs nothing");
    assert.equal(await queries.collection(group).fetchAll(prepared), rows);
    assert.equal(await queries.collection(group).fetchAll(prepared), rows);
    assert.equal(await queries.cached().key(`${group}:one`).fetchOne(prepared), rows[0]);
    assert.equal(await queries.cached().key(`${group}:optional`).fetchOptional(prepared), rows[0]);
    assert.equal(await queries.cached().key(`${group}:optional`).fetchOptional(prepared), rows[0]);
    assert.is(ran(), 3);
  });

  conformance("a function source is called only on a miss, for every row helper", async () => {
    const { fixture, queries, group, rows, ran } = await setup(2);
    let calls = 0;
    const rowsOf = () => {
      calls++;
      return fixture.byName(group);
    };
    for (let round = 0; round < 2; round++) {
      assert.equal(await queries.cached().key(`${group}:all`).fetchAll(rowsOf), rows);
      assert.equal(await queries.cached().key(`${group}:one`).fetchOne(rowsOf), rows[0]);
      assert.equal(await queries.cached().key(`${group}:optional`).fetchOptional(rowsOf), rows[0]);
    }
    assert.is(calls, 3);
    assert.is(ran(), 3);
  });

  conformance("fetchOne and fetchOptional over many rows cache the first row only", async () => {
    const { fixture, cache, queries, group, rows, ran } = await setup(3);
    const one = queries.cached().key(`${group}:one`);
    const optional = queries.cached().key(`${group}:optional`);
    assert.equal(await one.fetchOne(fixture.byName(group)), rows[0]);
    assert.equal(await optional.fetchOptional(fixture.byName(group)), rows[0]);
    assert.equal(await cache.get(one.physicalKey as string), rows[0]);
    assert.equal(await cache.get(optional.physicalKey as string), rows[0]);
    assert.equal(await one.fetchOne(fixture.byName(group)), rows[0]);
    assert.equal(await optional.fetchOptional(fixture.byName(group)), rows[0]);
    assert.is(ran(), 2);
  });

  conformance("invalidating the collection tag makes the next fetch see new rows", async () => {
    const { fixture, queries, group, rows, ran } = await setup(1);
    const query = queries.collection(group);
    assert.equal(await query.fetchAll(fixture.byName(group)), rows);
    const added = { id: nextId++, name: group };
    await fixture.insert([added]);
    assert.equal(await query.fetchAll(fixture.byName(group)), rows);
    assert.is(await queries.invalidateCollection(group), 1);
    assert.equal(await query.fetchAll(fixture.byName(group)), [...rows, added]);
    assert.is(ran(), 2);
  });

  return conformance;
}
