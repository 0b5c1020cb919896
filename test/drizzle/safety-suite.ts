// Safety properties of hydracache/drizzle that a careless adapter gets wrong, on real PostgreSQL
// (postgres.test.ts) and on PGlite (pglite.test.ts). The one race here that needs statements to
// overlap is registered only when the database runs them concurrently (the real server).
import { eq } from "drizzle-orm";
import { Cache } from "drizzle-orm/cache/core";
import { bigint, integer, pgTable, text } from "drizzle-orm/pg-core";
import { suite, type Test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { DrizzleDbCache, HydraDrizzleCache, withHydraCache } from "../../src/drizzle/index.ts";
import { HydraCache } from "../../src/index.ts";
import { gate as signal } from "../core/helpers.ts";
import { advisoryGate, type TestDatabase, uniqueName } from "./test-db.ts";

/** A fresh `(id, big, name)` table holding (1, 1, 'old') and (2, 2, 'two'). */
async function table(database: TestDatabase) {
  const name = uniqueName("safety");
  database.defer(() => database.exec(`drop table if exists "${name}" cascade`));
  await database.exec(
    `create table "${name}" (id integer primary key, big bigint not null, name text not null);
     insert into "${name}" values (1, 1, 'old'), (2, 2, 'two')`,
  );
  const t = pgTable(name, {
    id: integer("id").primaryKey(),
    big: bigint("big", { mode: "bigint" }).notNull(),
    name: text("name").notNull(),
  });
  return { t, name };
}

/** A Map-based Drizzle `Cache`, written the way Drizzle's docs show. */
class MapCache extends Cache {
  readonly store = new Map<string, unknown>();
  override strategy(): "all" {
    return "all";
  }
  override async get(key: string): Promise<unknown[] | undefined> {
    return this.store.get(key) as unknown[] | undefined;
  }
  override async put(key: string, response: unknown): Promise<void> {
    this.store.set(key, response);
  }
  override async onMutate(): Promise<void> {
    this.store.clear();
  }
}

export function safetySuite(database: TestDatabase): Test {
  const test = suite(`hydracache/drizzle safety on ${database.kind}`);
  test.after.each(() => database.cleanup());

  test("withHydraCache leaves a database with another Drizzle Cache alone: different queries keep different keys", async () => {
    const { t } = await table(database);
    const foreign = new MapCache();
    const db = database.drizzle({ cache: foreign });
    assert.is(withHydraCache(db), db);
    assert.equal(await db.select({ id: t.id }).from(t).where(eq(t.id, 1)), [{ id: 1 }]);
    assert.equal(await db.select({ id: t.id }).from(t).where(eq(t.id, 2)), [{ id: 2 }]);
    assert.is(foreign.store.size, 2);
  });

  test("transactions: a select with a BigInt parameter works inside db.transaction and stays out of the cache", async () => {
    const { t } = await table(database);
    const cache = HydraCache.local().build();
    const db = withHydraCache(database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
    const rows = await db.transaction(async (tx) => {
      const outer = await tx.select({ id: t.id }).from(t).where(eq(t.big, 1n));
      const nested = await tx.transaction((inner) => inner.select({ id: t.id }).from(t).where(eq(t.big, 2n)));
      return [...outer, ...nested];
    });
    assert.equal(rows, [{ id: 1 }, { id: 2 }]);
    assert.is(inspectEngine(cache).entries, 0);
    assert.is(cache.stats().loads, 0);
  });

  test("transactions: `db` used inside a transaction's callback with a BigInt parameter works and is not cached", async () => {
    const { t } = await table(database);
    const cache = HydraCache.local().build();
    const db = withHydraCache(database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
    // PGlite has one connection, so only the real server can run `db` beside an open transaction.
    const query = () => db.select({ id: t.id }).from(t).where(eq(t.big, 2n));
    if (database.concurrent) {
      const inside = await db.transaction(async (tx) => {
        await tx.select({ id: t.id }).from(t).where(eq(t.id, 1));
        return query();
      });
      assert.equal(inside, [{ id: 2 }]);
      assert.is(inspectEngine(cache).entries, 0);
    }
    assert.equal(await query(), [{ id: 2 }]);
    assert.is(inspectEngine(cache).entries, 1);
  });

  test("DrizzleDbCache: fetchOne, fetchOptional and fetchAll of one query each cache their own shape", async () => {
    const { t } = await table(database);
    const cache = HydraCache.local().build();
    const queries = new DrizzleDbCache(cache, "db");
    const db = database.drizzle();
    const query = () => db.select({ id: t.id }).from(t).where(eq(t.id, 2));
    assert.equal(await queries.cached().fetchOne(query()), { id: 2 });
    assert.equal(await queries.cached().fetchAll(query()), [{ id: 2 }]);
    assert.equal(await queries.cached().fetchOptional(query()), { id: 2 });
    assert.equal(await queries.cached().fetchAll(query()), [{ id: 2 }]);
    assert.is(inspectEngine(cache).entries, 3);
  });

  test("DrizzleDbCache and HydraDrizzleCache sharing a namespace neither wait on each other nor mix shapes", async () => {
    const { t } = await table(database);
    const cache = HydraCache.local().build();
    const db = withHydraCache(database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
    const queries = new DrizzleDbCache(cache, "drizzle");
    const query = () => db.select({ id: t.id }).from(t).where(eq(t.id, 2));
    // Before the fix the descriptor's load waited on itself through the Drizzle hook, for ever.
    let settled = false;
    const described = queries
      .cached()
      .fetchAll(query())
      .finally(() => {
        settled = true;
      });
    assert.equal(await described, [{ id: 2 }]);
    assert.ok(settled);
    assert.equal(await query(), [{ id: 2 }]);
    assert.equal(await queries.cached().fetchAll(query()), [{ id: 2 }]);
    assert.equal(await query(), [{ id: 2 }]);
    assert.is(inspectEngine(cache).inFlight, 0);
    assert.is(inspectEngine(cache).entries, 2);
  });

  test("DrizzleDbCache: a prepared query's result is tagged with its table", async () => {
    const { t } = await table(database);
    const cache = HydraCache.local().build();
    const queries = new DrizzleDbCache(cache, "db");
    const prepared = database
      .drizzle()
      .select({ id: t.id })
      .from(t)
      .where(eq(t.id, 2))
      .prepare(uniqueName("prepared"));
    assert.equal(await queries.cached().fetchAll(prepared), [{ id: 2 }]);
    assert.is(await queries.invalidateTable(t), 1);
  });

  if (database.concurrent) {
    test("a write through `db` inside a transaction's callback is invalidated again when it completes, not only when the transaction ends", async () => {
      const { t, name } = await table(database);
      database.defer(() => database.exec(`drop function if exists "${name}_gate"() cascade`));
      const gate = advisoryGate(database);
      // The write waits at the gate inside the server: the window in which another caller reads the old row.
      await database.exec(`
        create function "${name}_gate"() returns trigger language plpgsql as $$
          begin perform pg_advisory_xact_lock_shared(${gate.lock}); return new; end $$;
        create trigger "${name}_gate" before update on "${name}" for each row execute function "${name}_gate"();`);
      const cache = HydraCache.local().build();
      const db = withHydraCache(
        database.drizzle({ cache: new HydraDrizzleCache(cache, { strategy: "all" }) }),
      );
      const read = () => db.select({ name: t.name }).from(t).where(eq(t.id, 1));
      assert.equal(await read(), [{ name: "old" }]);
      // Another request, outside the transaction (its own async context): reads while the write
      // waits at the gate, then after the write completed.
      const writeWaits = signal();
      const readDuring = signal();
      const writeDone = signal();
      const other = (async () => {
        await writeWaits.promise;
        const during = await read(); // invalidated by onMutate: reads the old row again, and stores it
        readDuring.open();
        await writeDone.promise;
        return [during, await read()];
      })();
      await gate.close();
      await db.transaction(async (tx) => {
        await tx.select({ id: t.id }).from(t).where(eq(t.id, 2));
        const write = db.update(t).set({ name: "new" }).where(eq(t.id, 1)).execute(); // `db`, not `tx`: commits on its own
        await gate.waiting();
        writeWaits.open();
        await readDuring.promise;
        await gate.open();
        await write;
        writeDone.open();
        // Still inside the transaction: the other request must already see the committed write.
        assert.equal(await other, [[{ name: "old" }], [{ name: "new" }]]);
      });
      assert.equal(await read(), [{ name: "new" }]);
    });
  }

  return test;
}
