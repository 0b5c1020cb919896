// (G) Drizzle: a cached select by primary key (one ~100 B row) and a 50-row page, on PGlite (and on
// PostgreSQL when DATABASE_URL is set), through hydracache's two Drizzle integrations, through a
// plain Map-based Drizzle `Cache` written the way Drizzle's cache docs show (Drizzle's own SQL
// generation and SHA-256 key hashing included), and uncached.
import { PGlite } from "@electric-sql/pglite";
import { eq, getTableName, gt, is, Table } from "drizzle-orm";
import { Cache } from "drizzle-orm/cache/core";
import type { CacheConfig } from "drizzle-orm/cache/core/types";
import { boolean, integer, pgTable, text } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { HydraCache } from "../../src/index.ts";
import { makeRow } from "../lib/data.ts";
import { isolate, latency, roundOrder, Samples, type Settings } from "../lib/measure.ts";
import { duration, type Medians, ratio, table, type WorkloadResult } from "../lib/report.ts";

const TABLE = `bench_users_${process.pid}`;
const ROWS = 1_000;

const users = pgTable(TABLE, {
  id: integer("id").primaryKey(),
  email: text("email").notNull(),
  name: text("name").notNull(),
  role: text("role").notNull(),
  active: boolean("active").notNull(),
  createdAt: text("created_at").notNull(),
});

/**
 * The custom cache from Drizzle's cache docs (orm.drizzle.team/docs/cache), with a Map where the
 * docs use Keyv: responses under Drizzle's hashed key, keys remembered per table, a mutation of a
 * table deletes its keys. No TTL (the docs' TTL is Keyv's), no single-flight, no bound.
 */
class MapDrizzleCache extends Cache {
  readonly #kv = new Map<string, unknown>();
  readonly #usedTablesPerKey: Record<string, string[]> = {};

  override strategy(): "explicit" | "all" {
    return "all";
  }

  override async get(key: string): Promise<unknown[] | undefined> {
    return this.#kv.get(key) as unknown[] | undefined;
  }

  override async put(
    key: string,
    response: unknown,
    tables: string[],
    _isTag: boolean,
    _config?: CacheConfig,
  ) {
    this.#kv.set(key, response);
    for (const table of tables) {
      const keys = this.#usedTablesPerKey[table];
      if (keys === undefined) this.#usedTablesPerKey[table] = [key];
      else keys.push(key);
    }
  }

  override async onMutate(params: { tags?: string | string[]; tables?: unknown }): Promise<void> {
    const tags = params.tags === undefined ? [] : Array.isArray(params.tags) ? params.tags : [params.tags];
    const tables =
      params.tables === undefined ? [] : Array.isArray(params.tables) ? params.tables : [params.tables];
    const names = tables.map((t) => (is(t, Table) ? getTableName(t) : String(t)));
    for (const tag of tags) this.#kv.delete(tag);
    for (const name of names) {
      for (const key of this.#usedTablesPerKey[name] ?? []) this.#kv.delete(key);
      this.#usedTablesPerKey[name] = [];
    }
  }
}

/** What this workload uses from `hydracache/drizzle` (see docs/../API contract). */
interface DrizzleLayer {
  DrizzleDbCache: new (
    cache: HydraCache,
    namespace: string,
  ) => {
    entity<T>(kind: string, id: number): { fetchOne(query: unknown): Promise<T> };
    collection<T>(name: string): { fetchAll(query: unknown): Promise<T> };
    cached<T>(): { fetchAll(query: unknown): Promise<T> };
  };
  HydraDrizzleCache: new (cache: HydraCache, options: { strategy: "all"; ttl: number }) => Cache;
  withHydraCache<D>(db: D): D;
}

// Loaded by computed path, so the rest of `npm run bench` works while the subpath is being built.
async function loadDrizzleLayer(): Promise<DrizzleLayer | string> {
  const path = new URL("../../src/drizzle/index.ts", import.meta.url).href;
  try {
    const layer = (await import(path)) as Partial<DrizzleLayer>;
    if (layer.DrizzleDbCache && layer.HydraDrizzleCache && layer.withHydraCache) return layer as DrizzleLayer;
    return "src/drizzle/index.ts does not export DrizzleDbCache, HydraDrizzleCache and withHydraCache yet";
  } catch (error) {
    return `src/drizzle/index.ts could not be loaded (${(error as Error).message.split("\n")[0]})`;
  }
}

type Variant = { id: string; name: string; byId: () => Promise<unknown>; page: () => Promise<unknown> };
// biome-ignore lint/suspicious/noExplicitAny: both Drizzle drivers expose the same query builder.
type AnyDb = any;

/** Builds the five ways to run the two queries against one database. */
function variants(layer: DrizzleLayer, makeDb: (cache?: Cache) => AnyDb): Variant[] {
  const plain = makeDb();
  const byIdQuery = (db: AnyDb) => db.select().from(users).where(eq(users.id, 42));
  const pageQuery = (db: AnyDb) =>
    db.select().from(users).where(gt(users.id, 100)).orderBy(users.id).limit(50);
  const mapDb = makeDb(new MapDrizzleCache());
  const hydraHook = HydraCache.local().build();
  const hookDb = layer.withHydraCache(
    makeDb(new layer.HydraDrizzleCache(hydraHook, { strategy: "all", ttl: 300_000 })),
  );
  const queries = new layer.DrizzleDbCache(HydraCache.local().build(), "db");
  return [
    {
      id: "uncached",
      name: "uncached (Drizzle → database)",
      byId: () => byIdQuery(plain),
      page: () => pageQuery(plain),
    },
    {
      id: "map-cache",
      name: "Map-based Drizzle Cache (docs pattern)",
      byId: () => byIdQuery(mapDb),
      page: () => pageQuery(mapDb),
    },
    {
      id: "hydra-drizzle-cache",
      name: "HydraDrizzleCache + withHydraCache",
      byId: () => byIdQuery(hookDb),
      page: () => pageQuery(hookDb),
    },
    {
      id: "drizzle-db-cache",
      name: "DrizzleDbCache entity()/collection()",
      byId: () => queries.entity("user", 42).fetchOne(byIdQuery(plain)),
      page: () => queries.collection("users-page-1").fetchAll(pageQuery(plain)),
    },
    {
      id: "drizzle-db-cache-sql",
      name: "DrizzleDbCache cached() (key from SQL)",
      byId: () => queries.cached().fetchAll(byIdQuery(plain)),
      page: () => queries.cached().fetchAll(pageQuery(plain)),
    },
  ];
}

async function seed(exec: (sql: string) => Promise<unknown>): Promise<void> {
  await exec(
    `create table ${TABLE} (id integer primary key, email text not null, name text not null, role text not null, active boolean not null, created_at text not null)`,
  );
  const values = Array.from({ length: ROWS }, (_, i) => {
    const r = makeRow(i + 1);
    return `(${r.id}, '${r.email}', '${r.name}', '${r.role}', ${r.active}, '${r.createdAt}')`;
  });
  await exec(`insert into ${TABLE} (id, email, name, role, active, created_at) values ${values.join(", ")}`);
}

const awaitable = (run: () => unknown): Promise<unknown> => Promise.resolve(run());

async function measureDatabase(
  label: string,
  list: Variant[],
  settings: Settings,
  samples: Samples,
): Promise<void> {
  const opts = settings.quick ? { batch: 4, samples: 2, minMs: 1 } : { batch: 64, samples: 8, minMs: 40 };
  for (const v of list) {
    // Warm: the first call loads, the rest are hits (or plain queries).
    for (let i = 0; i < (settings.quick ? 5 : 300); i++) {
      const row = (await v.byId()) as { id?: number } | { id?: number }[];
      const id = Array.isArray(row) ? row[0]?.id : row.id;
      if (id !== 42) throw new Error(`${v.name} on ${label}: expected row 42, got ${JSON.stringify(row)}`);
      const page = (await v.page()) as unknown[];
      if (page.length !== 50) throw new Error(`${v.name} on ${label}: expected 50 rows, got ${page.length}`);
    }
  }
  for (let round = 0; round < settings.rounds; round++) {
    for (const v of roundOrder(list, round)) {
      // Promise.resolve: a Drizzle query builder is a thenable, not a Promise, and mitata only
      // awaits Promises.
      samples.add(label, v.id, await latency(isolate(awaitable, v.byId), opts));
      samples.add(`${label}/page`, v.id, await latency(isolate(awaitable, v.page), opts));
    }
  }
}

export async function drizzle(settings: Settings): Promise<WorkloadResult> {
  const layer = await loadDrizzleLayer();
  if (typeof layer === "string") {
    return { id: "G", title: "Drizzle", markdown: `### (G) Drizzle\n\nSkipped: ${layer}.`, medians: {} };
  }
  const samples = new Samples();
  const databases: string[] = [];
  const client = new PGlite();
  try {
    await seed((sql) => client.exec(sql));
    await measureDatabase(
      "pglite",
      variants(layer, (cache) => drizzlePglite({ client, ...(cache ? { cache } : {}) })),
      settings,
      samples,
    );
    databases.push("pglite");
  } finally {
    await client.close();
  }
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== "") {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await seed((text) => sql.unsafe(text));
      await measureDatabase(
        "postgres",
        variants(layer, (cache) => drizzlePostgres({ client: sql, ...(cache ? { cache } : {}) })),
        settings,
        samples,
      );
      databases.push("postgres");
    } finally {
      await sql.unsafe(`drop table if exists ${TABLE}`).catch(() => {});
      await sql.end();
    }
  }
  const ids = ["uncached", "map-cache", "hydra-drizzle-cache", "drizzle-db-cache", "drizzle-db-cache-sql"];
  const names: Record<string, string> = {
    uncached: "uncached (Drizzle → database)",
    "map-cache": "Map-based Drizzle Cache (docs pattern)",
    "hydra-drizzle-cache": "HydraDrizzleCache + withHydraCache",
    "drizzle-db-cache": "DrizzleDbCache entity() / collection()",
    "drizzle-db-cache-sql": "DrizzleDbCache cached() (key from SQL)",
  };
  const series = databases.flatMap((db) => [db, `${db}/page`]);
  const medians: Medians = samples.medians(series, ids);
  const header = databases.flatMap((db) => [
    `${db}: row by id`,
    "vs Map cache",
    `${db}: 50-row page`,
    "vs Map cache",
  ]);
  const rows = ids.map((id) => [
    names[id] as string,
    ...databases.flatMap((db) => [
      duration(medians[db]?.[id]),
      ratio((medians[db]?.["map-cache"] ?? Number.NaN) / (medians[db]?.[id] ?? Number.NaN)),
      duration(medians[`${db}/page`]?.[id]),
      ratio(
        (medians[`${db}/page`]?.["map-cache"] ?? Number.NaN) / (medians[`${db}/page`]?.[id] ?? Number.NaN),
      ),
    ]),
  ]);
  const markdown = [
    "### (G) Drizzle: cached select",
    "",
    `\`select * from users where id = 42\` (one ~100 B row) and a 50-row page, ${ROWS.toLocaleString("en-US")} rows in the table, warm cache, awaited one after another; each call builds its Drizzle query as an application would. "vs Map cache" = how many times faster than the Map-based Drizzle Cache hit. Median of ${settings.rounds} rounds.${databases.includes("postgres") ? "" : " PostgreSQL: not run (set DATABASE_URL to include it)."}`,
    "",
    table(["path", ...header], rows),
  ].join("\n");
  return { id: "G", title: "Drizzle", markdown, medians, data: samples.toJSON() };
}
