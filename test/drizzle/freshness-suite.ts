// What issue 10 found stale or wrong in hydracache/drizzle, each on real PostgreSQL
// (postgres.test.ts) and on PGlite (pglite.test.ts): double caching by descriptors and the hook,
// `autoInvalidate: false` keys, writing CTEs, foreign-key cascades, replicas, bare caches,
// joined selects whose rows cannot be stored, and row helpers given the wrong source or key.
import { eq, sql } from "drizzle-orm";
import { integer, jsonb, pgTable, serial, text, withReplicas } from "drizzle-orm/pg-core";
import { suite, type Test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { DrizzleDbCache, HydraDrizzleCache, hydraDrizzle, withHydraCache } from "../../src/drizzle/index.ts";
import { CacheError, HydraCache } from "../../src/index.ts";
import { fakeClock, rejectsWith } from "../core/helpers.ts";
import { counting, usersTable } from "./drizzle-suite.ts";
import { capturingWarnings, type Database, type TestDatabase, uniqueName } from "./test-db.ts";

export function freshnessSuite(database: TestDatabase): Test {
  const test = suite(`hydracache/drizzle freshness on ${database.kind}`);
  test.after.each(() => database.cleanup());

  test("a descriptor over a hydraDrizzle database loads once, under its own key and TTL: no second copy in the hook", async () => {
    const users = await usersTable(database);
    const clock = fakeClock();
    const cache = HydraCache.local().clock(clock.now).defaultTtl(300_000).build();
    const db = hydraDrizzle(database.drizzle(), cache, { strategy: "all" });
    const queries = new DrizzleDbCache(cache, "db");
    const user1 = () =>
      queries
        .entity("user", 1)
        .ttl(5_000)
        .fetchOne(db.select().from(users.table).where(eq(users.table.id, 1)));
    assert.is((await user1()).name, "ada");
    assert.is(cache.stats().loads, 1, "one load per statement");
    assert.is(inspectEngine(cache).entries, 1, "only the descriptor's entry");
    // A write the adapter cannot see, then the documented remedy: invalidate the entity.
    await database.exec(`update "${users.name}" set name = 'ada lovelace' where id = 1`);
    await queries.invalidateEntity("user", 1);
    const [fresh, statements] = await counting(database, user1);
    assert.is(fresh.name, "ada lovelace");
    assert.is(statements, 1);
    // The descriptor's 5 s TTL holds: after it, the next read queries again.
    await database.exec(`update "${users.name}" set name = 'countess' where id = 1`);
    clock.advance(5_001);
    const [expired, again] = await counting(database, user1);
    assert.is(expired.name, "countess");
    assert.is(again, 1);
    // fetchWith's loader too: one load, one entry, under the descriptor's key.
    const loadsBefore = cache.stats().loads;
    const [viaLoader] = await queries
      .entity<Array<{ name: string }>>("user", 2)
      .fetchWith(() => db.select().from(users.table).where(eq(users.table.id, 2)));
    assert.is(viaLoader?.name, "bob");
    assert.is(cache.stats().loads, loadsBefore + 1);
    assert.is(inspectEngine(cache).entries, 2);
  });

  test("$withCache({ autoInvalidate: false }) does not share its key with default selects of the same SQL", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = hydraDrizzle(database.drizzle(), cache, { strategy: "all" });
    const read = () => db.select({ name: users.table.name }).from(users.table).where(eq(users.table.id, 1));
    assert.equal(await read().$withCache({ autoInvalidate: false }), [{ name: "ada" }]);
    assert.equal(await read(), [{ name: "ada" }]);
    assert.is(inspectEngine(cache).entries, 2, "one entry per mode");
    await db.update(users.table).set({ name: "ada lovelace" }).where(eq(users.table.id, 1));
    assert.equal(await read(), [{ name: "ada lovelace" }], "the default select saw the write");
    // The manual entry is stale until its own invalidation, as asked.
    assert.equal(await read().$withCache({ autoInvalidate: false }), [{ name: "ada" }]);
  });

  test("a statement writing through a CTE is never cached, and invalidates the tables it writes", async () => {
    const name = uniqueName("notes");
    await database.exec(`create table "${name}" (id serial primary key, note text not null)`);
    database.defer(() => database.exec(`drop table if exists "${name}"`));
    const notes = pgTable(name, { id: serial("id").primaryKey(), note: text("note").notNull() });
    const cache = HydraCache.local().build();
    const db = hydraDrizzle(database.drizzle(), cache, { strategy: "all" });
    const queries = new DrizzleDbCache(cache, "db");
    const count = async () => (await db.select({ id: notes.id }).from(notes)).length;
    const insertNote = (note: string) => {
      const inserted = db.$with("ins").as(db.insert(notes).values({ note }).returning());
      return db.with(inserted).select().from(inserted);
    };
    assert.is(await count(), 0);
    assert.equal(
      (await insertNote("hook")).map((row) => row.note),
      ["hook"],
    );
    assert.equal(
      (await insertNote("hook")).map((row) => row.note),
      ["hook"],
      "the second insert ran too",
    );
    assert.is(await count(), 2, "the cached count was invalidated");
    assert.equal((await queries.cached().fetchAll(insertNote("descriptor"))).length, 1);
    assert.equal((await queries.cached().fetchAll(insertNote("descriptor"))).length, 1);
    assert.is(await count(), 4);
    const plain = database.drizzle();
    const described = () =>
      queries.cached().fetchAll(plain.select({ note: notes.note }).from(notes).orderBy(notes.id));
    assert.is((await described()).length, 4);
    const inserted = plain.$with("ins").as(plain.insert(notes).values({ note: "plain" }).returning());
    await queries.cached().fetchOne(plain.with(inserted).select().from(inserted));
    assert.is((await described()).length, 5, "a descriptor's writing CTE invalidated its tables");
    assert.is(await cache.invalidateTag(`table:${name}`), 1);
  });

  test("a write also invalidates the tables its foreign keys cascade to (ON DELETE CASCADE, SET NULL)", async () => {
    const parentName = uniqueName("parents");
    const childName = uniqueName("children");
    const petName = uniqueName("pets");
    await database.exec(`
      create table "${parentName}" (id integer primary key);
      create table "${childName}" (id integer primary key, parent integer references "${parentName}" on delete cascade);
      create table "${petName}" (id integer primary key, child integer references "${childName}" on delete set null);
      insert into "${parentName}" values (1);
      insert into "${childName}" values (10, 1);
      insert into "${petName}" values (100, 10);`);
    database.defer(() => database.exec(`drop table if exists "${petName}", "${childName}", "${parentName}"`));
    const parents = pgTable(parentName, { id: integer("id").primaryKey() });
    const children = pgTable(childName, {
      id: integer("id").primaryKey(),
      parent: integer("parent").references(() => parents.id, { onDelete: "cascade" }),
    });
    const pets = pgTable(petName, {
      id: integer("id").primaryKey(),
      child: integer("child").references(() => children.id, { onDelete: "set null" }),
    });
    const cache = HydraCache.local().build();
    const db = hydraDrizzle(database.drizzle({ schema: { parents, children, pets } }), cache, {
      strategy: "all",
    });
    assert.equal(await db.select().from(children), [{ id: 10, parent: 1 }]);
    assert.equal(await db.select().from(pets), [{ id: 100, child: 10 }]);
    await db.delete(parents).where(eq(parents.id, 1));
    assert.equal(await db.select().from(children), [], "the cascade removed the child");
    assert.equal(await db.select().from(pets), [{ id: 100, child: null }], "and set the pet's key null");
  });

  test("a foreign key declared only in the database (not on the Drizzle table) is read from the catalog once the write completes", async () => {
    const parentName = uniqueName("owners");
    const childName = uniqueName("things");
    await database.exec(`
      create table "${parentName}" (id integer primary key);
      create table "${childName}" (id integer primary key, owner integer references "${parentName}" on delete cascade);
      insert into "${parentName}" values (1);
      insert into "${childName}" values (10, 1);`);
    database.defer(() => database.exec(`drop table if exists "${childName}", "${parentName}"`));
    const owners = pgTable(parentName, { id: integer("id").primaryKey() });
    const things = pgTable(childName, { id: integer("id").primaryKey(), owner: integer("owner") });
    const cache = HydraCache.local().build();
    const db = hydraDrizzle(database.drizzle(), cache, { strategy: "all" });
    assert.equal(await db.select().from(things), [{ id: 10, owner: 1 }]);
    await db.delete(owners).where(eq(owners.id, 1));
    assert.equal(await db.select().from(things), []);
  });

  test("withHydraCache(withReplicas(primary, [replica])) wraps every replica, or throws INVALID_OPTIONS", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const cached = () => database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) });
    const db = withHydraCache(withReplicas(cached(), [cached()]));
    // Drizzle's own key throws on a BigInt parameter: only a wrapped replica reaches hydracache's.
    const read = () => db.select({ id: users.table.id }).from(users.table).where(eq(users.table.big, 2n));
    assert.equal(await read(), [{ id: 2 }]);
    const [, statements] = await counting(database, read);
    assert.is(statements, 0);
    const built = hydraDrizzle(withReplicas(database.drizzle(), [database.drizzle()]), cache, {
      namespace: "replicas",
      strategy: "all",
    });
    assert.equal(
      await built.select({ id: users.table.id }).from(users.table).where(eq(users.table.big, 1n)),
      [{ id: 1 }],
    );
    await built.update(users.table).set({ name: "bo" }).where(eq(users.table.id, 2));
    assert.equal(await read(), [{ id: 2 }]);
    const primary = database.drizzle();
    for (const replicas of ["replica", [{ not: "a database" }]]) {
      assert.throws(
        () => withHydraCache({ ...primary, $primary: primary, $replicas: replicas }),
        (error: unknown) => CacheError.is(error) && error.code === "INVALID_OPTIONS",
      );
    }
  });

  test("a bare HydraDrizzleCache refuses to cache (a rolled-back write is never served) and warns once; hydraDrizzle is the safe form", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const bare = database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) });
    const read = (db: Database) =>
      db.select({ name: users.table.name }).from(users.table).where(eq(users.table.id, 1));
    const warnings = await capturingWarnings(async () => {
      await bare
        .transaction(async (tx) => {
          await tx.update(users.table).set({ name: "ghost" }).where(eq(users.table.id, 1));
          assert.equal(await read(tx as unknown as Database), [{ name: "ghost" }]);
          tx.rollback();
        })
        .catch(() => {});
      assert.equal(await read(bare), [{ name: "ada" }]);
      assert.equal(await read(bare), [{ name: "ada" }]);
    });
    assert.is(warnings.length, 1);
    assert.is(inspectEngine(cache).entries, 0);
    const plain = database.drizzle();
    const safe = hydraDrizzle(plain, cache, { strategy: "all" });
    assert.is(safe, plain, "the database itself, with its own type");
    await read(safe);
    const [, statements] = await counting(database, () => read(safe));
    assert.is(statements, 0);
    assert.throws(
      () => hydraDrizzle(bare, cache),
      (error: unknown) =>
        CacheError.is(error) &&
        error.code === "INVALID_OPTIONS" &&
        /already has a Drizzle cache/.test(error.message),
    );
    assert.throws(
      () => hydraDrizzle({ session: {} } as unknown as Database, cache),
      (error: unknown) => CacheError.is(error) && /lacks session\.prepareQuery\(\)/.test(error.message),
    );
  });

  test("joined selects whose rows cannot be stored all get the same CacheError, the statement that ran the query too", async () => {
    const name = uniqueName("docs");
    await database.exec(`create table "${name}" (id integer primary key, doc jsonb not null)`);
    database.defer(() => database.exec(`drop table if exists "${name}"`));
    // Past the codec's nesting limit (512), which fails the same way however warm the JIT is.
    const deep = `${'{"a":'.repeat(2_000)}1${"}".repeat(2_000)}`;
    await database.exec(`insert into "${name}" values (1, '${deep}')`);
    const docs = pgTable(name, { id: integer("id").primaryKey(), doc: jsonb("doc") });
    const cache = HydraCache.local().build();
    const db = hydraDrizzle(database.drizzle(), cache, { strategy: "all" });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 3 }, () => db.select().from(docs).where(eq(docs.id, 1)).execute()),
    );
    const errors = outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason as CacheError);
    for (const error of errors) {
      assert.ok(CacheError.is(error), `a CacheError, got ${String(error)}`);
      assert.is(error.code, "ENCODE_FAILED");
      assert.match(error.message, /deeper than 512 levels/);
    }
    assert.is(errors[1], errors[0], "one outcome for every caller");
    assert.is(cache.stats().singleFlightJoins, 2);
    assert.is(inspectEngine(cache).inFlight, 0);
  });

  test("row helpers over Drizzle: a started promise is INVALID_OPTIONS; a key filled by fetchOne never makes fetchAll resolve to a row", async () => {
    const users = await usersTable(database);
    const queries = new DrizzleDbCache(HydraCache.local().build(), "db");
    const db = database.drizzle();
    const byId = () => db.select().from(users.table).where(eq(users.table.id, 1));
    await rejectsWith(
      queries.entity("user", 1).fetchOne(byId().execute()),
      "INVALID_OPTIONS",
      /\(\) => repo\.load\(1\)/,
    );
    assert.is((await queries.entity("user", 1).fetchOne(byId())).name, "ada");
    await rejectsWith(
      queries.entity("user", 1).fetchAll(byId()),
      "INVALID_VALUE",
      /fetchAll found a single row/,
    );
    assert.equal(await queries.cached().fetchAll(byId()), [{ id: 1, name: "ada", big: 1n }]);
  });

  test("raw SQL through db.execute is neither cached nor seen by the hook: invalidateTable is the remedy", async () => {
    const users = await usersTable(database);
    const cache = HydraCache.local().build();
    const db = hydraDrizzle(database.drizzle(), cache, { strategy: "all" });
    const queries = new DrizzleDbCache(cache, "db");
    const read = () => db.select({ name: users.table.name }).from(users.table).where(eq(users.table.id, 1));
    await read();
    await db.execute(sql.raw(`update "${users.name}" set name = 'raw' where id = 1`));
    assert.equal(await read(), [{ name: "ada" }], "documented: raw SQL is not seen");
    await queries.invalidateTable(users.table);
    assert.equal(await read(), [{ name: "raw" }]);
  });

  return test;
}
