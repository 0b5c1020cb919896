// The Drizzle suite, run on real PostgreSQL (postgres.test.ts) and on embedded PGlite
// (pglite.test.ts). Tests that need statements to really overlap are registered by
// concurrencySuite, for the real server only: PGlite runs one statement at a time.
import { eq, inArray, sql } from "drizzle-orm";
import { bigint, integer, pgTable, text } from "drizzle-orm/pg-core";
import { suite, type Test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { DrizzleDbCache, HydraDrizzleCache, tableTag, withHydraCache } from "../../src/drizzle/index.ts";
import { CacheError, HydraCache } from "../../src/index.ts";
import { fakeClock } from "../core/helpers.ts";
import { type ConformanceRow, type RowSourceFixture, rowHelperConformance } from "../db/row-conformance.ts";
import { type Database, type TestDatabase, uniqueName } from "./test-db.ts";

/** Creates a fresh `users(id, name, big)` table with rows, and its Drizzle definition. */
export async function usersTable(
  database: TestDatabase,
  rows: Array<[number, string]> = [
    [1, "ada"],
    [2, "bob"],
  ],
) {
  const name = uniqueName("users");
  await database.exec(`create table "${name}" (id integer primary key, name text not null, big bigint)`);
  database.defer(() => database.exec(`drop table if exists "${name}"`));
  if (rows.length > 0) {
    await database.exec(
      `insert into "${name}" (id, name, big) values ${rows.map(([id, who]) => `(${id}, '${who}', ${id})`).join(", ")}`,
    );
  }
  const table = pgTable(name, {
    id: integer("id").primaryKey(),
    name: text("name").notNull(),
    big: bigint("big", { mode: "bigint" }),
  });
  return { name, table };
}

export async function postsTable(database: TestDatabase) {
  const name = uniqueName("posts");
  await database.exec(
    `create table "${name}" (id integer primary key, author integer not null, title text not null)`,
  );
  database.defer(() => database.exec(`drop table if exists "${name}"`));
  await database.exec(`insert into "${name}" values (10, 1, 'hello'), (11, 2, 'world')`);
  const table = pgTable(name, {
    id: integer("id").primaryKey(),
    author: integer("author").notNull(),
    title: text("title").notNull(),
  });
  return { name, table };
}

/** A database whose Drizzle cache is a HydraDrizzleCache over `cache`, wrapped by withHydraCache. */
export function cachedDb(
  database: TestDatabase,
  cache: HydraCache,
  options: ConstructorParameters<typeof HydraDrizzleCache>[1] = {},
) {
  return withHydraCache(
    database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all", ...options }) }),
  );
}

/** Counts the statements `run` sends to the database. */
export async function counting<T>(database: TestDatabase, run: () => Promise<T>): Promise<[T, number]> {
  const before = database.statements();
  const result = await run();
  return [result, database.statements() - before];
}

export function drizzleSuite(database: TestDatabase): Test {
  const test = suite(`hydracache/drizzle on ${database.kind}`);
  test.after.each(() => database.cleanup());
  const plain = database.drizzle();

  test("DrizzleDbCache: the key comes from the query's SQL and parameters; a hit sends no statement", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const queries = new DrizzleDbCache(cache, "db");
    const byId = (id: number) => plain.select().from(users.table).where(eq(users.table.id, id));
    const [first, cold] = await counting(database, () => queries.cached().fetchAll(byId(1)));
    const [again, warm] = await counting(database, () => queries.cached().fetchAll(byId(1)));
    assert.equal(first, [{ id: 1, name: "ada", big: 1n }]);
    assert.equal(again, first);
    assert.is(cold, 1);
    assert.is(warm, 0);
    const [other, otherCount] = await counting(database, () => queries.cached().fetchAll(byId(2)));
    assert.equal(other, [{ id: 2, name: "bob", big: 2n }]);
    assert.is(otherCount, 1);
    assert.is(inspectEngine(cache).entries, 2);
  });

  test("DrizzleDbCache: results are tagged with every table the query reads, and invalidateTable removes them", async () => {
    const users = await usersTable(database);
    const posts = await postsTable(database);
    const cache = HydraCache.local().build();
    const queries = new DrizzleDbCache(cache, "db");
    const joined = () =>
      plain
        .select({ title: posts.table.title, author: users.table.name })
        .from(posts.table)
        .innerJoin(users.table, eq(posts.table.author, users.table.id))
        .orderBy(posts.table.id);
    const inWhereSubquery = () =>
      plain
        .select()
        .from(users.table)
        .where(inArray(users.table.id, plain.select({ id: posts.table.author }).from(posts.table)));
    const inSqlFragment = () =>
      plain
        .select()
        .from(users.table)
        .where(sql`${users.table.id} in (select ${posts.table.author} from ${posts.table})`);
    assert.equal(await queries.cached().fetchAll(joined()), [
      { title: "hello", author: "ada" },
      { title: "world", author: "bob" },
    ]);
    assert.is((await queries.cached().fetchAll(inWhereSubquery())).length, 2);
    assert.is((await queries.cached().fetchAll(inSqlFragment())).length, 2);
    assert.is(await queries.invalidateTable(posts.table), 3);
    assert.is(inspectEngine(cache).entries, 0);
    await queries.cached().fetchAll(joined());
    assert.is(await cache.invalidateTag(tableTag(users.name)), 1);
  });

  test("DrizzleDbCache: entity tags beside table tags, an explicit key wins, fetchOne and fetchOptional", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const queries = new DrizzleDbCache(cache, "db");
    const one = (id: number) => plain.select().from(users.table).where(eq(users.table.id, id));
    assert.equal(await queries.entity("user", 1).fetchOne(one(1)), { id: 1, name: "ada", big: 1n });
    assert.ok(await cache.containsKey("db:user:1"));
    assert.is(await queries.invalidateEntity("user", 1), 1);
    await queries.entity("user", 1).fetchOne(one(1));
    assert.is(await queries.invalidateTable(users.table), 1);
    assert.is(await queries.cached().key("custom").fetchOptional(one(99)), null);
    assert.ok(await cache.containsKey("db:custom"));
    const [, count] = await counting(database, () => queries.cached().key("custom").fetchOptional(one(99)));
    assert.is(count, 0);
  });

  test("DrizzleDbCache: BigInt parameters give distinct, working keys", async () => {
    const users = await usersTable(database);
    const queries = new DrizzleDbCache(HydraCache.local().build(), "db");
    const byBig = (big: bigint) => plain.select().from(users.table).where(eq(users.table.big, big));
    assert.equal(await queries.cached().fetchAll(byBig(1n)), [{ id: 1, name: "ada", big: 1n }]);
    assert.equal(await queries.cached().fetchAll(byBig(2n)), [{ id: 2, name: "bob", big: 2n }]);
  });

  test("DrizzleDbCache: relational queries and prepared queries are cached too", async () => {
    const users = await usersTable(database);
    const db = database.drizzle({ schema: { users: users.table } });
    const cache = HydraCache.local().build();
    const queries = new DrizzleDbCache(cache, "db");
    const relational = () =>
      (
        db as unknown as { query: { users: { findFirst(config: object): PromiseLike<unknown> } } }
      ).query.users.findFirst({
        where: eq(users.table.id, 2),
      });
    assert.equal(await queries.cached().fetchOne(relational() as PromiseLike<ConformanceRow>), {
      id: 2,
      name: "bob",
      big: 2n,
    });
    const [, relationalCount] = await counting(database, () =>
      queries.cached().fetchOne(relational() as PromiseLike<ConformanceRow>),
    );
    assert.is(relationalCount, 0);
    const prepared = db
      .select()
      .from(users.table)
      .where(eq(users.table.id, sql.placeholder("id")))
      .prepare(uniqueName("by_id"));
    assert.equal(
      await queries
        .cached()
        .key("prepared:1")
        .fetchAll({ execute: () => prepared.execute({ id: 1 }) }),
      [{ id: 1, name: "ada", big: 1n }],
    );
  });

  test("HydraDrizzleCache: strategy all caches selects; a write through the same db invalidates its table", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = cachedDb(database, cache);
    const read = () => db.select().from(users.table).where(eq(users.table.id, 1));
    const [first, cold] = await counting(database, read);
    const [second, warm] = await counting(database, read);
    assert.equal(first, [{ id: 1, name: "ada", big: 1n }]);
    assert.equal(second, first);
    assert.is(cold, 1);
    assert.is(warm, 0);
    await db.update(users.table).set({ name: "ada lovelace" }).where(eq(users.table.id, 1));
    assert.equal(await read(), [{ id: 1, name: "ada lovelace", big: 1n }]);
    await db.insert(users.table).values({ id: 3, name: "cy", big: 3n });
    assert.is((await db.select().from(users.table)).length, 3);
    await db.delete(users.table).where(eq(users.table.id, 3));
    assert.is((await db.select().from(users.table)).length, 2);
  });

  test("HydraDrizzleCache: strategy explicit caches only $withCache() selects", async () => {
    const users = await usersTable(database);
    const db = cachedDb(database, HydraCache.local().build(), { strategy: "explicit" });
    const read = () => db.select().from(users.table).where(eq(users.table.id, 1));
    await read();
    const [, uncached] = await counting(database, read);
    assert.is(uncached, 1);
    await read().$withCache();
    const [, cached] = await counting(database, () => read().$withCache());
    assert.is(cached, 0);
  });

  test("HydraDrizzleCache: $withCache({ tag }) keys are invalidated by db.$cache.invalidate({ tags }), as keys and as engine tags", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = cachedDb(database, cache);
    const read = () =>
      db.select().from(users.table).where(eq(users.table.id, 1)).$withCache({ tag: "user-1" });
    await read();
    assert.ok(await cache.containsKey("drizzle:a:user-1"));
    await cache.put("elsewhere", 1, { tags: ["user-1"] });
    await db.$cache.invalidate({ tags: "user-1" });
    assert.not.ok(await cache.containsKey("drizzle:a:user-1"));
    assert.not.ok(await cache.containsKey("elsewhere"));
    await read();
    await db.$cache.invalidate({ tables: users.table });
    assert.not.ok(await cache.containsKey("drizzle:a:user-1"));
  });

  test("HydraDrizzleCache: $withCache({ config }) TTL wins over the default", async () => {
    const users = await usersTable(database);
    const clock = fakeClock(Date.now());
    const cache = HydraCache.local().clock(clock.now).build();
    const db = cachedDb(database, cache, { ttl: 60_000 });
    const read = (config: object) =>
      db.select().from(users.table).where(eq(users.table.id, 1)).$withCache({ config });
    await read({ px: 100 });
    clock.advance(99);
    const [, warm] = await counting(database, () => read({ px: 100 }));
    assert.is(warm, 0);
    clock.advance(1);
    const [, expired] = await counting(database, () => read({ px: 100 }));
    assert.is(expired, 1);
    await read({ ex: 1 }).then(() => db.$cache.invalidate({ tables: users.table }));
    await db
      .select()
      .from(users.table)
      .where(eq(users.table.id, 2))
      .$withCache({ config: { ex: 1 } });
    clock.advance(999);
    const [, withinSecond] = await counting(database, () =>
      db
        .select()
        .from(users.table)
        .where(eq(users.table.id, 2))
        .$withCache({ config: { ex: 1 } }),
    );
    assert.is(withinSecond, 0);
    clock.advance(1);
    const [, afterSecond] = await counting(database, () =>
      db
        .select()
        .from(users.table)
        .where(eq(users.table.id, 2))
        .$withCache({ config: { ex: 1 } }),
    );
    assert.is(afterSecond, 1);
  });

  test("HydraDrizzleCache: BigInt parameters work through the Drizzle cache (Drizzle's own key throws)", async () => {
    const users = await usersTable(database);
    const db = cachedDb(database, HydraCache.local().build());
    const byBig = (big: bigint) => db.select().from(users.table).where(eq(users.table.big, big));
    assert.equal(await byBig(2n), [{ id: 2, name: "bob", big: 2n }]);
    const [again, count] = await counting(database, () => byBig(2n));
    assert.equal(again, [{ id: 2, name: "bob", big: 2n }]);
    assert.is(count, 0);
    assert.equal(await byBig(1n), [{ id: 1, name: "ada", big: 1n }]);
  });

  for (const tag of [undefined, "authors"]) {
    const how = tag === undefined ? "" : ", also with $withCache({ tag })";
    test(`HydraDrizzleCache: a WHERE subquery's table invalidates the result (Drizzle's table list misses it)${how}`, async () => {
      const users = await usersTable(database);
      const posts = await postsTable(database);
      const cache = HydraCache.local().build();
      const db = cachedDb(database, cache);
      const authors = () => {
        const query = db
          .select()
          .from(users.table)
          .where(sql`${users.table.id} in (select ${posts.table.author} from ${posts.table})`);
        return tag === undefined ? query : query.$withCache({ tag });
      };
      assert.is((await authors()).length, 2);
      if (tag !== undefined) assert.ok(await cache.containsKey(`drizzle:a:${tag}`));
      await db.delete(posts.table).where(eq(posts.table.id, 11));
      assert.equal(await authors(), [{ id: 1, name: "ada", big: 1n }]);
    });
  }

  test("HydraDrizzleCache: every table of a comma-separated FROM tags the result, and `from` inside an expression names no table", async () => {
    const users = await usersTable(database);
    const posts = await postsTable(database);
    const cache = HydraCache.local().build();
    const db = cachedDb(database, cache);
    const commaJoin = () =>
      db
        .select({ id: users.table.id })
        .from(users.table)
        .where(
          sql`${users.table.id} in (select ${posts.table.author} from ${users.table}, ${posts.table} where ${posts.table.author} = ${users.table.id})`,
        )
        .orderBy(users.table.id);
    assert.equal(await commaJoin(), [{ id: 1 }, { id: 2 }]);
    await db.delete(posts.table).where(eq(posts.table.id, 11));
    assert.equal(await commaJoin(), [{ id: 1 }]);
    await cache.flush();
    const prefixes = () =>
      db
        .select({ prefix: sql<string>`substring(${users.table.name} from 1 for 2)` })
        .from(users.table)
        .where(eq(users.table.id, 1));
    assert.equal(await prefixes(), [{ prefix: "ad" }]);
    assert.is(inspectEngine(cache).tags, 1, "tagged table:users only, not table:<users>.name");
    assert.is(await cache.invalidateTag(tableTag(users.table)), 1);
  });

  test("HydraDrizzleCache: a pxat or exat already past stores nothing (the result is returned)", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = cachedDb(database, cache);
    const past = Date.now() - 1_000;
    for (const config of [{ pxat: past }, { exat: Math.floor(past / 1000) }, { px: 0 }]) {
      const read = () => db.select().from(users.table).where(eq(users.table.id, 1)).$withCache({ config });
      const [rows, count] = await counting(database, read);
      assert.equal(rows, [{ id: 1, name: "ada", big: 1n }]);
      assert.is(count, 1);
      assert.is(inspectEngine(cache).entries, 0, JSON.stringify(config));
      assert.is(inspectEngine(cache).inFlight, 0);
      const [, again] = await counting(database, read);
      assert.is(again, 1);
    }
    const joined = await Promise.all(
      Array.from({ length: 3 }, () =>
        db
          .select()
          .from(users.table)
          .where(eq(users.table.id, 2))
          .$withCache({ config: { pxat: past } }),
      ),
    );
    for (const rows of joined) assert.equal(rows, [{ id: 2, name: "bob", big: 2n }]);
    assert.is(inspectEngine(cache).entries, 0);
    const future = await counting(database, () =>
      db
        .select()
        .from(users.table)
        .where(eq(users.table.id, 1))
        .$withCache({ config: { pxat: Date.now() + 60_000 } }),
    );
    assert.is(future[1], 1);
    assert.is(inspectEngine(cache).entries, 1);
  });

  test("transactions: reads inside never enter the cache, and a rollback leaks nothing", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = cachedDb(database, cache);
    const read = (from: Database) => from.select().from(users.table).where(eq(users.table.id, 1));
    await db
      .transaction(async (tx) => {
        await tx.update(users.table).set({ name: "ghost" }).where(eq(users.table.id, 1));
        assert.equal(await read(tx as unknown as Database), [{ id: 1, name: "ghost", big: 1n }]);
        tx.rollback();
      })
      .catch((error: Error) => assert.match(error.message, /rollback/i));
    assert.is(inspectEngine(cache).entries, 0);
    assert.equal(await read(db), [{ id: 1, name: "ada", big: 1n }]);
  });

  test("transactions: the tables a transaction wrote are invalidated after it commits", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = cachedDb(database, cache);
    const read = () => db.select().from(users.table).where(eq(users.table.id, 1));
    await read();
    await db.transaction(async (tx) => {
      await tx.update(users.table).set({ name: "committed" }).where(eq(users.table.id, 1));
      // A read outside the transaction, before commit, sees the old row and may cache it
      // (PGlite has one connection: a read outside would wait for the commit forever).
      if (database.concurrent) assert.equal(await read(), [{ id: 1, name: "ada", big: 1n }]);
    });
    // …but the commit invalidates the table again.
    assert.equal(await read(), [{ id: 1, name: "committed", big: 1n }]);
  });

  test("withHydraCache: returns the same db, is idempotent, and passes anything else through", () => {
    const db = database.drizzle();
    assert.is(withHydraCache(db), db);
    assert.is(withHydraCache(withHydraCache(db)), db);
    const other = { not: "a database" };
    assert.is(withHydraCache(other), other);
    assert.is(withHydraCache(null), null);
    assert.is(withHydraCache("db"), "db");
  });

  test("withHydraCache: a HydraDrizzleCache database whose Drizzle internals changed throws INVALID_OPTIONS instead of running unwrapped", () => {
    const db = database.drizzle({ cache: new HydraDrizzleCache(HydraCache.local().build()) });
    for (const [changed, missing] of [
      [Object.create(db, { session: { value: {} } }), "session.prepareQuery()"],
      [Object.create(db, { dialect: { value: {} } }), "dialect.sqlToQuery()"],
      [Object.create(db, { transaction: { value: undefined } }), "transaction()"],
    ] as const) {
      assert.throws(
        () => withHydraCache(changed),
        (error: unknown) =>
          CacheError.is(error) &&
          error.code === "INVALID_OPTIONS" &&
          error.message.includes(`it lacks ${missing}`),
      );
    }
    const foreign = Object.create(database.drizzle(), { session: { value: {} } });
    assert.is(withHydraCache(foreign), foreign, "without a HydraDrizzleCache there is nothing to make safe");
  });

  test("two namespaces behind one engine never share entries", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const first = cachedDb(database, cache, { namespace: "first" });
    const second = cachedDb(database, cache, { namespace: "second" });
    const read = (db: Database) => db.select().from(users.table).where(eq(users.table.id, 1));
    await read(first);
    const [, count] = await counting(database, () => read(second));
    assert.is(count, 1);
    assert.is(inspectEngine(cache).entries, 2);
  });

  test("HydraDrizzleCache: bad options throw INVALID_OPTIONS", () => {
    const cache = HydraCache.local().build();
    for (const build of [
      () => new HydraDrizzleCache({} as HydraCache),
      () => new HydraDrizzleCache(cache, { strategy: "sometimes" as "all" }),
      () => new HydraDrizzleCache(cache, { ttl: 0 }),
      () => new HydraDrizzleCache(cache, { namespace: 5 as unknown as string }),
    ]) {
      assert.throws(build, (error: unknown) => CacheError.is(error) && error.code === "INVALID_OPTIONS");
    }
  });

  return test;
}

/** The row-helper conformance suite of hydracache/db, through DrizzleDbCache and Drizzle builders. */
export function drizzleConformance(database: TestDatabase): Test {
  const table = pgTable(uniqueName("conformance"), {
    id: integer("id").primaryKey(),
    name: text("name").notNull(),
  });
  const name = (table as unknown as Record<symbol, string>)[Symbol.for("drizzle:Name")] as string;
  const db = database.drizzle();
  return rowHelperConformance(`${database.kind} through Drizzle`, async () => {
    await database.exec(`create table "${name}" (id integer primary key, name text not null)`);
    let inserts = 0;
    const fixture: RowSourceFixture = {
      insert: async (rows) => {
        inserts++;
        await db.insert(table).values([...rows]);
      },
      byId: (id) => db.select().from(table).where(eq(table.id, id)).orderBy(table.id),
      byName: (who) => db.select().from(table).where(eq(table.name, who)).orderBy(table.id),
      preparedByName: (who) =>
        db.select().from(table).where(eq(table.name, who)).orderBy(table.id).prepare(uniqueName("by_name")),
      failing: () => db.select().from(table).where(sql`1 / 0 = 1`),
      queryCount: () => database.statements() - inserts,
      dbCache: (cache, namespace) => new DrizzleDbCache(cache, namespace),
      close: () => database.exec(`drop table if exists "${name}"`),
    };
    return fixture;
  });
}
