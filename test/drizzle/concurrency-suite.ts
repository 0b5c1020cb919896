// Races on a real PostgreSQL server, ordered by advisory-lock gates rather than sleeps: the test
// holds a lock, the statement under test blocks on it inside the server, the test sees it
// waiting in pg_locks, does what must happen "during" the statement, then releases the lock.
import { eq, sql } from "drizzle-orm";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import { suite, type Test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { HydraDrizzleCache, withHydraCache } from "../../src/drizzle/index.ts";
import { HydraCache } from "../../src/index.ts";
import { advisoryGate, capturingWarnings, type Database, type TestDatabase, uniqueName } from "./test-db.ts";

export function concurrencySuite(database: TestDatabase): Test {
  const test = suite(`hydracache/drizzle races on ${database.kind}`);
  test.after.each(() => database.cleanup());

  /** A `users(id, name)` table whose updates wait at a gate the test holds (dropped after the test). */
  async function gatedTable() {
    const name = uniqueName("race");
    database.defer(() =>
      database.exec(`drop table if exists "${name}"; drop function if exists "${name}_gate"()`),
    );
    // Made after the table's cleanup, so its connection (and lock) goes first and nothing waits on a drop.
    const gate = advisoryGate(database);
    await database.exec(`
      create table "${name}" (id integer primary key, name text not null);
      insert into "${name}" values (1, 'old'), (2, 'other');
      create function "${name}_gate"() returns trigger language plpgsql as $$
        begin perform pg_advisory_xact_lock_shared(${gate.lock}); return new; end $$;
      create trigger "${name}_gate" before update on "${name}" for each row execute function "${name}_gate"();`);
    const table = pgTable(name, { id: integer("id").primaryKey(), name: text("name").notNull() });
    return { table, ...gate };
  }

  async function readDuringSlowWrite(db: Database) {
    const gated = await gatedTable();
    const read = () => db.select().from(gated.table).where(eq(gated.table.id, 1));
    await read();
    await gated.close();
    const write = db.update(gated.table).set({ name: "new" }).where(eq(gated.table.id, 1)).execute();
    await gated.waiting();
    // Drizzle has already called onMutate; this read misses, sees the old row, and caches it.
    assert.equal(await read(), [{ id: 1, name: "old" }]);
    await gated.open();
    await write;
    const after = await read();
    return after;
  }

  test("a read during a slow write is not served after the write commits (withHydraCache)", async () => {
    const cache = HydraCache.local().build();
    const db = withHydraCache(database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
    assert.equal(await readDuringSlowWrite(db), [{ id: 1, name: "new" }]);
  });

  test("a HydraDrizzleCache used bare (no hydraDrizzle, no withHydraCache) caches nothing, so the same race reads the new row", async () => {
    const cache = HydraCache.local().build();
    const db = database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) });
    const warnings = await capturingWarnings(async () => {
      assert.equal(await readDuringSlowWrite(db), [{ id: 1, name: "new" }]);
    });
    assert.is(warnings.length, 1, "one warning per cache");
    assert.is(inspectEngine(cache).entries, 0);
  });

  test("a slow read overlapping a write is returned but not stored", async () => {
    const gated = await gatedTable();
    const cache = HydraCache.local().build();
    const db = withHydraCache(database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
    const slowRead = () =>
      db
        .select()
        .from(gated.table)
        .where(
          sql`${gated.table.id} = 1 and (select count(*) from (select pg_advisory_xact_lock_shared(${gated.lock})) gate) = 1`,
        );
    await gated.close();
    const reading = slowRead().execute();
    await gated.waiting();
    await db.delete(gated.table).where(eq(gated.table.id, 2));
    await gated.open();
    assert.equal(await reading, [{ id: 1, name: "old" }]);
    assert.is(cache.stats().staleLoadDiscards, 1);
    assert.is(inspectEngine(cache).entries, 0);
  });

  test("N concurrent identical selects send one statement to the server", async () => {
    const gated = await gatedTable();
    const cache = HydraCache.local().build();
    const db = withHydraCache(database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
    const before = database.statements();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => db.select().from(gated.table).where(eq(gated.table.id, 1))),
    );
    assert.is(database.statements() - before, 1);
    for (const rows of results) assert.equal(rows, [{ id: 1, name: "old" }]);
    assert.is(cache.stats().singleFlightJoins, 19);
  });

  test("N concurrent identical selects that fail share one statement and its error", async () => {
    const gated = await gatedTable();
    const cache = HydraCache.local().build();
    const db = withHydraCache(database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
    const before = database.statements();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => db.select().from(gated.table).where(sql`1 / 0 = 1`)),
    );
    assert.is(database.statements() - before, 1);
    for (const outcome of outcomes) {
      assert.is(outcome.status, "rejected");
      assert.match(String((outcome as PromiseRejectedResult).reason?.cause?.message), /division by zero/);
    }
    assert.is(inspectEngine(cache).inFlight, 0);
  });

  test("two databases (schemas) behind one engine never share entries", async () => {
    const schemas = [uniqueName("tenant_a"), uniqueName("tenant_b")];
    for (const schema of schemas)
      database.defer(() => database.exec(`drop schema if exists "${schema}" cascade`));
    for (const [index, schema] of schemas.entries()) {
      await database.exec(`create schema "${schema}"; create table "${schema}".items (id integer primary key, label text not null);
        insert into "${schema}".items values (1, 'from ${index === 0 ? "a" : "b"}')`);
    }
    const items = pgTable("items", { id: integer("id").primaryKey(), label: text("label").notNull() });
    const cache = HydraCache.local().build();
    const [a, b] = schemas.map((schema) =>
      withHydraCache(
        database.drizzle({
          cache: new HydraDrizzleCache(cache, { strategy: "all", namespace: schema }),
          searchPath: schema,
        }),
      ),
    ) as [Database, Database];
    const read = (db: Database) => db.select().from(items).where(eq(items.id, 1));
    assert.equal(await read(a), [{ id: 1, label: "from a" }]);
    assert.equal(await read(b), [{ id: 1, label: "from b" }]);
    assert.equal(await read(a), [{ id: 1, label: "from a" }]);
    // The same SQL text under one namespace would share an entry: that is why each db gets its own.
    const shared = withHydraCache(
      database.drizzle({
        cache: new HydraDrizzleCache(cache, { strategy: "all", namespace: schemas[0] }),
        searchPath: schemas[1],
      }),
    );
    assert.equal(await read(shared), [{ id: 1, label: "from a" }]);
  });

  return test;
}
