// Finds the database the Drizzle tests run on, in this order: DATABASE_URL; a testcontainers
// PostgreSQL when a container runtime answers; the local server on 127.0.0.1:5432; and, only
// when HYDRACACHE_REQUIRE_PG is not "1", embedded PGlite. Logs which one it used. `openPglite`
// opens PGlite directly, for the second run of the suite.
import { PGlite } from "@electric-sql/pglite";
import type { Cache } from "drizzle-orm/cache/core";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";

/** A Drizzle database of either driver. */
export type Database = PgDatabase<PgQueryResultHKT>;

/** How to open a Drizzle database in a test. */
export interface DrizzleOptions {
  cache?: Cache;
  schema?: Record<string, unknown>;
  searchPath?: string;
}

/** A database server the tests can open Drizzle databases on. */
export interface TestDatabase {
  readonly kind: "postgres" | "testcontainers" | "pglite";
  /** Whether statements really run concurrently (PGlite runs one at a time). */
  readonly concurrent: boolean;
  /** A Drizzle database with `cache` as its Drizzle cache; `searchPath` picks the schema (server only). */
  drizzle(options?: DrizzleOptions): Database;
  /** Runs raw SQL (DDL, seeding) outside Drizzle and outside any cache. */
  exec(sql: string): Promise<void>;
  /** How many statements have reached the database so far. */
  statements(): number;
  close(): Promise<void>;
}

const log = (message: string) => console.log(`[test-db] ${message}`);
const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

async function openServer(
  url: string,
  kind: TestDatabase["kind"],
  stop?: () => Promise<unknown>,
): Promise<TestDatabase> {
  let statements = 0;
  const clients: postgres.Sql[] = [];
  const connect = (searchPath?: string) => {
    const client = postgres(url, {
      max: 8,
      connect_timeout: 5,
      onnotice: () => {},
      // Type fetching would add one statement to each new connection's first query.
      fetch_types: false,
      debug: () => {
        statements++;
      },
      ...(searchPath === undefined ? {} : { connection: { search_path: searchPath } }),
    });
    clients.push(client);
    return client;
  };
  const admin = connect();
  try {
    const [row] = await admin`select current_setting('server_version') as version`;
    log(`using ${kind}: PostgreSQL ${row?.version} at ${redact(url)}`);
  } catch (error) {
    await admin.end({ timeout: 0 });
    throw error;
  }
  return {
    kind,
    concurrent: true,
    drizzle: ({ searchPath, ...config } = {}) =>
      drizzlePostgres(connect(searchPath), config) as unknown as Database,
    exec: async (sql) => {
      await admin.unsafe(sql);
    },
    statements: () => statements,
    close: async () => {
      await Promise.all(clients.map((client) => client.end({ timeout: 5 })));
      await stop?.();
    },
  };
}

/** Opens embedded PGlite (in memory). */
export async function openPglite(): Promise<TestDatabase> {
  const started = performance.now();
  const client = await PGlite.create();
  log(`using PGlite (embedded, in memory), started in ${(performance.now() - started).toFixed(0)} ms`);
  let statements = 0;
  const query = client.query.bind(client);
  client.query = ((...args: Parameters<typeof query>) => {
    statements++;
    return query(...args);
  }) as typeof client.query;
  return {
    kind: "pglite",
    concurrent: false,
    drizzle: ({ searchPath: _, ...config } = {}) => drizzlePglite(client, config) as unknown as Database,
    exec: async (sql) => {
      await client.exec(sql);
    },
    statements: () => statements,
    close: () => client.close(),
  };
}

/** Opens the real PostgreSQL the tests should use (see the top of this file). */
export async function openTestDatabase(): Promise<TestDatabase> {
  const tried: string[] = [];
  const url = process.env.DATABASE_URL;
  if (url) {
    try {
      return await openServer(url, "postgres");
    } catch (error) {
      tried.push(`DATABASE_URL (${redact(url)}): ${(error as Error).message}`);
    }
  }
  try {
    // Loaded only on this path: testcontainers pulls in much, and needs a container runtime.
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const container = await new PostgreSqlContainer("postgres:16-alpine").start();
    return await openServer(container.getConnectionUri(), "testcontainers", () => container.stop());
  } catch (error) {
    tried.push(`testcontainers: ${(error as Error).message}`);
  }
  const local = "postgres://postgres@127.0.0.1:5432/test";
  try {
    return await openServer(local, "postgres");
  } catch (error) {
    tried.push(`local server (${local}): ${(error as Error).message}`);
  }
  if (process.env.HYDRACACHE_REQUIRE_PG === "1") {
    throw new Error(
      `HYDRACACHE_REQUIRE_PG=1 but no real PostgreSQL is reachable:\n  - ${tried.join("\n  - ")}`,
    );
  }
  log(`no real PostgreSQL (${tried.join("; ")}); falling back to PGlite`);
  return openPglite();
}

let nextName = 0;

/** A table name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${nextName++}`;
}
