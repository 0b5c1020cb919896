// hydracache/drizzle on a real database: embedded PGlite by default, PostgreSQL when DATABASE_URL is
// set (postgres.js). It creates and seeds a table through Drizzle, then shows a cold and a warm query,
// single-flight (100 concurrent identical selects → 1 statement), invalidation on a Drizzle update and
// on invalidateEntity, a write that overtakes a running load, hit latencies against a Map-based
// Drizzle `Cache` written the way Drizzle's docs show, and the engine's stats.
//
//   npm run demo                                                   # PGlite, no setup
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run demo  # a real server
import { eq, getTableName, is, sql, Table } from "drizzle-orm";
import { Cache, type MutationOption } from "drizzle-orm/cache/core";
import type { CacheConfig } from "drizzle-orm/cache/core/types";
import { boolean, integer, type PgDatabase, type PgQueryResultHKT, pgTable, text } from "drizzle-orm/pg-core";
import { DrizzleDbCache, hydraDrizzle, tableTag } from "../src/drizzle/index.ts";
import { HydraCache } from "../src/index.ts";

type Database = PgDatabase<PgQueryResultHKT>;

/**
 * A plain Map-based Drizzle `Cache`, written the way Drizzle's docs show a custom cache: Drizzle
 * hashes every query (SHA-256 of SQL + JSON params) before calling `get`, hit or miss.
 */
class MapCache extends Cache {
  readonly #entries = new Map<string, unknown>();
  readonly #keysByTable = new Map<string, string[]>();

  override strategy(): "explicit" | "all" {
    return "all";
  }

  override async get(key: string): Promise<unknown[] | undefined> {
    return this.#entries.get(key) as unknown[] | undefined;
  }

  override async put(
    key: string,
    response: unknown,
    tables: string[],
    _isTag: boolean,
    _config?: CacheConfig,
  ) {
    this.#entries.set(key, response);
    for (const table of tables) this.#keysByTable.set(table, [...(this.#keysByTable.get(table) ?? []), key]);
  }

  override async onMutate({ tables = [], tags = [] }: MutationOption) {
    for (const tag of Array.isArray(tags) ? tags : [tags]) this.#entries.delete(tag);
    for (const table of Array.isArray(tables) ? tables : [tables]) {
      const name = is(table, Table) ? getTableName(table) : (table as string);
      for (const key of this.#keysByTable.get(name) ?? []) this.#entries.delete(key);
      this.#keysByTable.delete(name);
    }
  }
}

const cache = HydraCache.local().defaultTtl(60_000).maxCapacity(10_000).build();
const hydraOptions = { strategy: "all", namespace: "demo" } as const;

// Three Drizzle databases over one client: `db` caches through hydracache, `plain` has no cache (the
// descriptors of DrizzleDbCache decide what to cache), `mapDb` uses the Map-based cache above.
interface Connection {
  driver: string;
  db: Database;
  plain: Database;
  mapDb: Database;
  close(): Promise<void>;
}

// Statements sent to the database that touch the demo table, counted at the driver (postgres.js also
// sends its own queries when it opens connections; those are not ours).
const table = `demo_users_${process.pid}_${Date.now().toString(36)}`;
let statements = 0;
const count = (query: string) => {
  if (query.includes(table)) statements++;
};

async function connect(): Promise<Connection> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const client = postgres(url, { max: 4, onnotice: () => {}, debug: (_connection, query) => count(query) });
    return {
      driver: `PostgreSQL via postgres.js (${url.replace(/\/\/[^@]*@/, "//")})`,
      db: hydraDrizzle(drizzle(client), cache, hydraOptions),
      plain: drizzle(client),
      mapDb: drizzle(client, { cache: new MapCache() }),
      close: () => client.end(),
    };
  }
  // PGlite compiles PostgreSQL from WebAssembly on start, which blocks for seconds: say so at each phase.
  const since = performance.now();
  const elapsed = () => `${((performance.now() - since) / 1000).toFixed(1)} s`;
  console.log("loading embedded PGlite (set DATABASE_URL to use a PostgreSQL server instead)…");
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  console.log(`  loaded in ${elapsed()}; starting PostgreSQL in WebAssembly (a few seconds)…`);
  const ticker = setInterval(() => console.log(`  … still starting (${elapsed()})`), 1_000);
  const client = await PGlite.create().finally(() => clearInterval(ticker));
  console.log(`  PGlite ready after ${elapsed()}`);
  const query = client.query.bind(client);
  client.query = ((...args: Parameters<typeof query>) => {
    count(args[0]);
    return query(...args);
  }) as typeof client.query;
  return {
    driver: "embedded PGlite (set DATABASE_URL to use a PostgreSQL server)",
    db: hydraDrizzle(drizzle(client), cache, hydraOptions),
    plain: drizzle(client),
    mapDb: drizzle(client, { cache: new MapCache() }),
    close: () => client.close(),
  };
}

const started = performance.now();
const { driver, db, plain, mapDb, close } = await connect();
const connected = performance.now() - started;

const users = pgTable(table, {
  id: integer().primaryKey(),
  name: text().notNull(),
  email: text().notNull(),
  active: boolean().notNull().default(true),
});
type User = typeof users.$inferSelect;
const queries = new DrizzleDbCache(cache, "demo-db");

/** Prints `rows` as a plain table: a header, a rule, and columns padded to their widest cell (numbers right-aligned). */
function printTable(rows: Array<Record<string, string | number>>): void {
  const columns = Object.keys(rows[0] ?? {});
  const width = (column: string) => Math.max(column.length, ...rows.map((row) => String(row[column]).length));
  const numeric = (column: string) => rows.every((row) => /^[\d.]+×?$/.test(String(row[column])));
  const line = (cells: string[]) => console.log(cells.join("  ").trimEnd());
  const pad = (column: string, text: string) =>
    numeric(column) ? text.padStart(width(column)) : text.padEnd(width(column));
  line(columns.map((column) => pad(column, column)));
  line(columns.map((column) => "-".repeat(width(column))));
  for (const row of rows) line(columns.map((column) => pad(column, String(row[column]))));
}

const steps: Array<{ step: string; result: string; statements: number; ms: string }> = [];
async function step<T>(name: string, run: () => Promise<T>, show: (value: T) => string): Promise<T> {
  const before = statements;
  const begin = performance.now();
  const value = await run();
  const ms = (performance.now() - begin).toFixed(3);
  steps.push({ step: name, result: show(value), statements: statements - before, ms });
  return value;
}
const names = (rows: User[]) => rows.map((row) => row.name).join(", ") || "(none)";

console.log("creating and seeding the demo table, then running each step…");
try {
  await plain.execute(
    sql`create table ${users} (id integer primary key, name text not null, email text not null, active boolean not null default true)`,
  );
  await plain.insert(users).values(
    Array.from({ length: 100 }, (_, index) => ({
      id: index + 1,
      name: index === 0 ? "Ada" : `user ${index + 1}`,
      email: `user${index + 1}@example.com`,
      active: index % 3 !== 0,
    })),
  );

  // 1. Drizzle's own cache hook, backed by hydracache (strategy "all": every select is cached).
  const byId = (id: number) => db.select().from(users).where(eq(users.id, id));
  await step("db: select user 1 (cold)", () => byId(1), names);
  await step("db: select user 1 (warm)", () => byId(1), names);

  // 2. Single-flight: 100 concurrent identical selects, one statement; Drizzle's Map cache runs 100.
  const active = () => db.select().from(users).where(eq(users.active, true));
  await step(
    "db: 100 concurrent identical selects",
    () => Promise.all(Array.from({ length: 100 }, active)),
    (results) => `${results.length} × ${results[0]?.length} rows`,
  );
  await step(
    "Map-based Drizzle Cache: the same 100",
    () =>
      Promise.all(
        Array.from({ length: 100 }, () => mapDb.select().from(users).where(eq(users.active, true))),
      ),
    (results) => `${results.length} × ${results[0]?.length} rows`,
  );

  // 3. A Drizzle update invalidates table:users once it completes: the next read is fresh.
  await step(
    "db: update user 1 → Ada Lovelace",
    () => db.update(users).set({ name: "Ada Lovelace" }).where(eq(users.id, 1)),
    () => "ok",
  );
  await step("db: select user 1 (after the update)", () => byId(1), names);
  await step("db: select user 1 (warm again)", () => byId(1), names);

  // 4. Descriptors: an entity result with a derived table tag; a write the cache cannot see, then
  //    invalidateEntity.
  const user2 = queries.entity<User>("user", 2);
  const fetchUser2 = () => user2.fetchOne(plain.select().from(users).where(eq(users.id, 2)));
  await step(`DrizzleDbCache: ${user2.physicalKey} (cold)`, fetchUser2, (row) => row.name);
  await step(`DrizzleDbCache: ${user2.physicalKey} (warm)`, fetchUser2, (row) => row.name);
  await step(
    "plain: update user 2 (a write the cache cannot see)",
    () => plain.update(users).set({ name: "Grace Hopper" }).where(eq(users.id, 2)),
    () => "ok",
  );
  await step(
    `DrizzleDbCache: ${user2.physicalKey} (still cached)`,
    fetchUser2,
    (row) => `${row.name} (stale)`,
  );
  await step(
    'queries.invalidateEntity("user", 2)',
    () => queries.invalidateEntity("user", 2),
    (removed) => `${removed} removed`,
  );
  await step(`DrizzleDbCache: ${user2.physicalKey} (after invalidation)`, fetchUser2, (row) => row.name);
  await step(
    "db: update user 2 (tag table:users reaches DrizzleDbCache too)",
    async () => {
      await db.update(users).set({ name: "Grace B. Hopper" }).where(eq(users.id, 2));
      return cache.containsKey(user2.physicalKey as string);
    },
    (stored) => `${user2.physicalKey} still cached? ${stored ? "yes" : "no"}`,
  );

  // 5. The engine's guard: a write commits and invalidates while a load is running. The load's
  //    (old) result goes to its caller but is not stored; the next read is fresh.
  let release!: () => void;
  let readDone!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const read = new Promise<void>((resolve) => {
    readDone = resolve;
  });
  const user3 = queries.entity<User>("user", 3).tag(tableTag(users));
  const running = user3.fetchOne(async () => {
    const rows = await plain.select().from(users).where(eq(users.id, 3));
    readDone();
    await gate; // the row is read; the write below commits before the load settles
    return rows;
  });
  await step(
    `DrizzleDbCache: ${user3.physicalKey} load starts`,
    () => read,
    () => "row read, load not settled",
  );
  await step(
    "db: update user 3 during its load",
    () => db.update(users).set({ name: "Edsger" }).where(eq(users.id, 3)),
    () => "ok",
  );
  release();
  await step(
    "the running load returns",
    () => running,
    (row) => `${row.name} (read before the write)`,
  );
  await step(
    `${user3.physicalKey} stored?`,
    () => cache.containsKey(user3.physicalKey as string),
    (stored) => (stored ? "yes" : "no (stale load discarded)"),
  );
  await step(
    `DrizzleDbCache: ${user3.physicalKey} (next read)`,
    () => user3.fetchOne(plain.select().from(users).where(eq(users.id, 3))),
    (row) => row.name,
  );

  console.log("measuring hit latencies (200 runs per path)…");
  // 6. Hit latencies: medians over 200 iterations, after a warm-up.
  const iterations = 200;
  const median = async (run: () => Promise<unknown>): Promise<number> => {
    for (let index = 0; index < 20; index++) await run();
    const times: number[] = [];
    for (let index = 0; index < iterations; index++) {
      const begin = performance.now();
      await run();
      times.push(performance.now() - begin);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(iterations / 2)] as number;
  };
  const user5 = () => plain.select().from(users).where(eq(users.id, 5));
  await cache.put("demo:user:5", (await user5())[0]);
  const before = statements;
  const timings = {
    "cold query (no cache, 1 statement each)": await median(() => user5()),
    "hit: hydraDrizzle db (db.select…)": await median(() => db.select().from(users).where(eq(users.id, 5))),
    "hit: DrizzleDbCache (fetchOne, derived key)": await median(() =>
      queries.cached<User>().fetchOne(user5()),
    ),
    "hit: DrizzleDbCache (entity key, query builder)": await median(() =>
      queries.entity<User>("user", 5).fetchOne(user5()),
    ),
    "hit: DrizzleDbCache (entity key, function)": await median(() =>
      queries.entity<User>("user", 5).fetchOne(user5),
    ),
    "hit: Map-based Drizzle Cache (SHA-256 key)": await median(() =>
      mapDb.select().from(users).where(eq(users.id, 5)),
    ),
    "hit: engine only (cache.get)": await median(() => cache.get("demo:user:5")),
  };
  const cold = timings["cold query (no cache, 1 statement each)"];
  const latencies = Object.entries(timings).map(([path, ms]) => ({
    path,
    "median µs": Math.round(ms * 1000),
    "vs cold": `${(cold / ms).toFixed(1)}×`,
  }));
  const measured = statements - before;

  console.log(`\nhydracache/drizzle demo on ${driver} (connected in ${connected.toFixed(0)} ms)\n`);
  printTable(steps);
  console.log(
    `\nlatencies: median of ${iterations} runs each (${measured} statements sent while measuring)\n`,
  );
  printTable(latencies);
  console.log("\nengine stats (one engine behind both hydraDrizzle and DrizzleDbCache)\n");
  printTable(Object.entries(cache.stats()).map(([stat, value]) => ({ stat, value })));
} finally {
  await plain.execute(sql`drop table if exists ${users}`);
  await close();
}
console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
