// DrizzleDbCache descriptors where a careless adapter goes wrong: keys of queries whose SQL is the
// same but whose rows differ, aliased tables, transactions and raw `db.execute`, on real
// PostgreSQL (postgres.test.ts) and on PGlite (pglite.test.ts).
import { eq, sql, TransactionRollbackError } from "drizzle-orm";
import { alias, bigint, customType, integer, pgTable } from "drizzle-orm/pg-core";
import { suite, type Test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { DrizzleDbCache, withHydraCache } from "../../src/drizzle/index.ts";
import { HydraCache } from "../../src/index.ts";
import { gate as signal } from "../core/helpers.ts";
import { cachedDb, counting, usersTable } from "./drizzle-suite.ts";
import type { Database, TestDatabase } from "./test-db.ts";

/** Awaits a transaction that must end in `tx.rollback()`; any other failure is rethrown as it is. */
async function rolledBack(transaction: Promise<unknown>): Promise<void> {
  const error = await transaction.then(
    () => assert.unreachable("the transaction should roll back"),
    (failure: unknown) => failure,
  );
  if (!(error instanceof TransactionRollbackError)) throw error;
}

/** Runs `read` outside any async context of the caller's (as another request would), when `start` opens. */
function anotherRequest<T>(start: Promise<void>, read: () => Promise<T>): Promise<T> {
  return Promise.resolve().then(async () => {
    await start;
    return read();
  });
}

export function descriptorSuite(database: TestDatabase): Test {
  const test = suite(`DrizzleDbCache descriptors on ${database.kind}`);
  test.after.each(() => database.cleanup());
  const plain = database.drizzle();

  test("derived keys: the same SQL with different field names gives different keys and rows", async () => {
    const users = await usersTable(database);
    const queries = new DrizzleDbCache(HydraCache.local().build(), "db");
    const first = plain.select({ userId: users.table.id }).from(users.table).where(eq(users.table.id, 1));
    const second = plain.select({ renamed: users.table.id }).from(users.table).where(eq(users.table.id, 1));
    assert.is(first.toSQL().sql, second.toSQL().sql, "Drizzle renders both the same");
    assert.equal(await queries.cached().fetchAll(first), [{ userId: 1 }]);
    assert.equal(await queries.cached().fetchAll(second), [{ renamed: 1 }]);
  });

  test("derived keys: column modes and decoders are part of the key (bigint as number or bigint, mapWith, custom types)", async () => {
    const users = await usersTable(database);
    const asNumber = pgTable(users.name, { id: integer("id"), big: bigint("big", { mode: "number" }) });
    const asBigint = pgTable(users.name, { id: integer("id"), big: bigint("big", { mode: "bigint" }) });
    const tagged = customType<{ data: string; driverData: string }>({
      dataType: () => "bigint",
      fromDriver: (value) => `big ${value}`,
    });
    const asCustom = pgTable(users.name, { id: integer("id"), big: tagged("big") });
    const queries = new DrizzleDbCache(HydraCache.local().build(), "db");
    const byNumber = plain.select().from(asNumber).where(eq(asNumber.id, 1));
    const byBigint = plain.select().from(asBigint).where(eq(asBigint.id, 1));
    const byCustom = plain.select().from(asCustom).where(eq(asCustom.id, 1));
    assert.is(byNumber.toSQL().sql, byBigint.toSQL().sql);
    assert.is(byNumber.toSQL().sql, byCustom.toSQL().sql);
    assert.equal(await queries.cached().fetchOne(byNumber), { id: 1, big: 1 });
    assert.equal(await queries.cached().fetchOne(byBigint), { id: 1, big: 1n });
    assert.equal(await queries.cached().fetchOne(byCustom), { id: 1, big: "big 1" });
    const mapped = plain
      .select({ n: sql<number>`1`.mapWith(Number) })
      .from(users.table)
      .limit(1);
    const raw = plain.select({ n: sql<string>`1` }).from(users.table).limit(1);
    assert.is(mapped.toSQL().sql, raw.toSQL().sql);
    const rawOne = (await queries.cached().fetchOne(raw)).n;
    assert.equal(await queries.cached().fetchOne(mapped), { n: 1 });
    assert.is(
      await queries
        .cached()
        .fetchOne(raw)
        .then((row) => row.n),
      rawOne,
    );
    // The same query built twice still shares its key: a hit sends no statement.
    const [, again] = await counting(database, () =>
      queries.cached().fetchOne(plain.select().from(asNumber).where(eq(asNumber.id, 1))),
    );
    assert.is(again, 0);
  });

  test("a hit with an explicit key never renders the query (toSQL) nor walks it; a derived-key hit renders it once and walks nothing", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const queries = new DrizzleDbCache(cache, "db");
    const calls = { toSQL: 0, getSQL: 0 };
    const spied = () => {
      const query = plain.select().from(users.table).where(eq(users.table.id, 1));
      const { toSQL, getSQL } = query;
      Object.assign(query, {
        toSQL: () => {
          calls.toSQL++;
          return toSQL.call(query);
        },
        getSQL: () => {
          calls.getSQL++;
          return getSQL.call(query);
        },
      });
      return query;
    };
    await queries.entity("user", 1).fetchOne(spied());
    assert.ok(calls.getSQL > 0, "the miss walked and ran the query");
    calls.toSQL = calls.getSQL = 0;
    for (let hit = 0; hit < 3; hit++) await queries.entity("user", 1).fetchOne(spied());
    assert.equal(calls, { toSQL: 0, getSQL: 0 });
    await queries.cached().fetchOne(spied());
    calls.toSQL = calls.getSQL = 0;
    await queries.cached().fetchOne(spied());
    assert.equal(calls, { toSQL: 1, getSQL: 1 }, "getSQL only inside toSQL: no walk");
    assert.is(await queries.invalidateTable(users.table), 2, "the misses were tagged");
  });

  test("an aliased table is tagged with its base table: a write to the table reaches the result", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = cachedDb(database, cache, { strategy: "explicit" });
    const queries = new DrizzleDbCache(cache, "db");
    const u = alias(users.table, "u");
    // Only the FROM names the alias, and Drizzle renders it as bare identifiers.
    const read = async () =>
      (await queries.cached().fetchAll(db.select({ name: u.name }).from(u))).map((row) => row.name).sort();
    assert.equal(await read(), ["ada", "bob"]);
    await db.update(users.table).set({ name: "ada lovelace" }).where(eq(users.table.id, 1));
    assert.equal(await read(), ["ada lovelace", "bob"]);
    await read();
    assert.is(await queries.invalidateTable(users.table), 1);
  });

  test("transactions: descriptors inside a withHydraCache transaction bypass the cache, and a rollback leaves nothing", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = cachedDb(database, cache);
    const queries = new DrizzleDbCache(cache, "db");
    const byId = (from: Database) => from.select().from(users.table).where(eq(users.table.id, 1));
    assert.equal(await queries.entity("user", 1).fetchOne(byId(db)), { id: 1, name: "ada", big: 1n });
    const before = cache.stats();
    await rolledBack(
      db.transaction(async (tx) => {
        await tx.update(users.table).set({ name: "ghost" }).where(eq(users.table.id, 1));
        const txDb = tx as unknown as Database;
        // A builder, a function and a derived key: each reads the uncommitted row, none caches it.
        assert.equal((await queries.entity("user", 1).fetchOne(byId(txDb))).name, "ghost");
        assert.equal((await queries.entity("user", 1).fetchAll(() => byId(txDb)))[0]?.name, "ghost");
        assert.equal((await queries.cached().fetchOptional(byId(txDb)))?.name, "ghost");
        await tx.delete(users.table).where(eq(users.table.id, 2));
        assert.equal(
          await queries.cached().fetchOptional(txDb.select().from(users.table).where(eq(users.table.id, 2))),
          null,
        );
        tx.rollback();
      }),
    );
    assert.equal(cache.stats().loads, before.loads, "nothing was loaded inside the transaction");
    assert.equal(cache.stats().hits, before.hits, "nor served from the cache");
    assert.equal(await queries.entity("user", 1).fetchOne(byId(db)), { id: 1, name: "ada", big: 1n });
    assert.equal((await queries.cached().fetchOptional(byId(db)))?.name, "ada");
    assert.equal(
      await queries.cached().fetchOptional(db.select().from(users.table).where(eq(users.table.id, 2))),
      { id: 2, name: "bob", big: 2n },
    );
  });

  test("transactions: withHydraCache on a database without a HydraDrizzleCache also keeps descriptors out of its transactions", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = withHydraCache(database.drizzle());
    const queries = new DrizzleDbCache(cache, "db");
    await rolledBack(
      db.transaction(async (tx) => {
        await tx.update(users.table).set({ name: "ghost" }).where(eq(users.table.id, 1));
        const row = await queries
          .entity("user", 1)
          .fetchOne(tx.select().from(users.table).where(eq(users.table.id, 1)));
        assert.is(row.name, "ghost");
        tx.rollback();
      }),
    );
    assert.is(inspectEngine(cache).entries, 0);
    assert.is(cache.stats().loads, 0);
  });

  if (database.concurrent) {
    test("transactions: an uncommitted row read through a descriptor inside is never seen by a caller outside", async () => {
      const users = await usersTable(database);
      const cache = HydraCache.local().build();
      const db = withHydraCache(database.drizzle()); // no Drizzle cache: every load below is a descriptor's
      const queries = new DrizzleDbCache(cache, "db");
      const byId = (from: Database) => from.select().from(users.table).where(eq(users.table.id, 1));
      const readInside = signal();
      const builtInside = signal<{ query: ReturnType<typeof byId> }>();
      const outsideDuring = anotherRequest(readInside.promise, () =>
        queries.entity("user", 1).fetchOne(byId(db)),
      );
      // A tx query built inside but fetched from outside the callback's context: its session says "transaction".
      const leaked = builtInside.promise.then(({ query }) => queries.entity("user", 1).fetchOne(query));
      await rolledBack(
        db.transaction(async (tx) => {
          await tx.update(users.table).set({ name: "ghost" }).where(eq(users.table.id, 1));
          assert.is(
            (await queries.entity("user", 1).fetchOne(byId(tx as unknown as Database))).name,
            "ghost",
          );
          readInside.open();
          assert.is((await outsideDuring).name, "ada", "the outside caller reads the committed row");
          builtInside.open({ query: byId(tx as unknown as Database) }); // wrapped: a thenable would be awaited
          assert.is((await leaked).name, "ghost");
          tx.rollback();
        }),
      );
      assert.is((await queries.entity("user", 1).fetchOne(byId(db))).name, "ada");
      assert.is(cache.stats().loads, 1, "only the outside caller's read was loaded");
    });
  }

  test("db.execute(sql…): fetchAll caches the rows (not the driver's result object), with a derived key and the tables it reads", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const queries = new DrizzleDbCache(cache, "db");
    const names = () => plain.execute(sql`select ${users.table.name} as name from ${users.table} order by 1`);
    assert.equal(await queries.cached().fetchAll(names()), [{ name: "ada" }, { name: "bob" }]);
    const [again, count] = await counting(database, () => queries.cached().fetchAll(names()));
    assert.equal(again, [{ name: "ada" }, { name: "bob" }]);
    assert.is(count, 0);
    assert.equal(await queries.cached().fetchOne(names()), { name: "ada" });
    assert.is(await queries.cached().fetchOptional(plain.execute(sql`select 1 as one where false`)), null);
    assert.is(await queries.invalidateTable(users.table), 2);
  });

  return test;
}
