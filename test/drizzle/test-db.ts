// Finds the database the Drizzle tests run on, in this order: DATABASE_URL (which must answer
// when it is set); a testcontainers PostgreSQL when `@testcontainers/postgresql` is installed (it is
// opt-in, see docs/TESTING.md) and a container runtime answers; the local
// server on 127.0.0.1:5432; and, only when HYDRACACHE_REQUIRE_PG is not "1", embedded PGlite.
// Logs which one it used. `openPglite` opens PGlite directly, for the second run of the suite.
// On a server, every Drizzle database of a file shares one connection pool per search path
// (opening one per test ran parallel test runs out of connections).
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
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
  /**
   * Gives the database a connection of its own (a pool of one, closed after the test), for
   * session state such as an advisory lock that later statements must find on the same connection.
   */
  ownConnection?: boolean;
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
  /** Runs `cleanup` after the current test, passed or failed (see {@link TestDatabase.cleanup}). */
  defer(cleanup: () => Promise<unknown>): void;
  /** Runs the deferred cleanups, last deferred first: every suite registers it with `after.each`. */
  cleanup(): Promise<void>;
  close(): Promise<void>;
}

/** The cleanup half of a {@link TestDatabase}: what tests defer, run after each test. */
function cleanups(): Pick<TestDatabase, "defer" | "cleanup"> {
  const pending: Array<() => Promise<unknown>> = [];
  return {
    defer: (cleanup) => {
      pending.push(cleanup);
    },
    cleanup: async () => {
      const errors: unknown[] = [];
      for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
        await next().catch((error: unknown) => errors.push(error));
      }
      if (errors.length > 0) throw new AggregateError(errors, "test cleanup failed");
    },
  };
}

const log = (message: string) => console.log(`[test-db] ${message}`);
const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

async function openServer(
  url: string,
  kind: TestDatabase["kind"],
  stop?: () => Promise<unknown>,
): Promise<TestDatabase> {
  let statements = 0;
  const connect = (searchPath?: string, max = 8) =>
    postgres(url, {
      max,
      connect_timeout: 5,
      onnotice: () => {},
      // Type fetching would add one statement to each new connection's first query.
      fetch_types: false,
      debug: () => {
        statements++;
      },
      ...(searchPath === undefined ? {} : { connection: { search_path: searchPath } }),
    });
  const admin = connect();
  try {
    const [row] = await admin`select current_setting('server_version') as version`;
    log(`using ${kind}: PostgreSQL ${row?.version} at ${redact(url)}`);
  } catch (error) {
    await admin.end({ timeout: 0 });
    throw error;
  }
  const pools = new Map<string | undefined, postgres.Sql>([[undefined, admin]]);
  const { defer, cleanup } = cleanups();
  const clientFor = (searchPath: string | undefined, own: boolean | undefined) => {
    if (own) {
      const client = connect(searchPath, 1);
      defer(() => client.end({ timeout: 5 }));
      return client;
    }
    let pool = pools.get(searchPath);
    if (pool === undefined) {
      pool = connect(searchPath);
      pools.set(searchPath, pool);
    }
    return pool;
  };
  return {
    kind,
    concurrent: true,
    drizzle: ({ searchPath, ownConnection, ...config } = {}) =>
      drizzlePostgres({ client: clientFor(searchPath, ownConnection), ...config }) as unknown as Database,
    exec: async (sql) => {
      await admin.unsafe(sql);
    },
    statements: () => statements,
    defer,
    cleanup,
    close: async () => {
      await cleanup();
      await Promise.all([...pools.values()].map((pool) => pool.end({ timeout: 5 })));
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
  const { defer, cleanup } = cleanups();
  return {
    kind: "pglite",
    concurrent: false,
    drizzle: ({ searchPath: _, ownConnection: __, ...config } = {}) =>
      drizzlePglite({ client, ...config }) as unknown as Database,
    exec: async (sql) => {
      await client.exec(sql);
    },
    statements: () => statements,
    defer,
    cleanup,
    close: async () => {
      await cleanup();
      await client.close();
    },
  };
}

/** What the tests use of `@testcontainers/postgresql` (v11), which is not a devDependency. */
interface TestcontainersPostgres {
  PostgreSqlContainer: new (
    image: string,
  ) => { start(): Promise<{ getConnectionUri(): string; stop(): Promise<unknown> }> };
}

/** What the tests use of `testcontainers`, which `@testcontainers/postgresql` depends on. */
interface Testcontainers {
  getContainerRuntimeClient(): Promise<unknown>;
}

const isNotInstalled = (error: unknown) => (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND";

/**
 * A PostgreSQL container, or why there is none. Opt-in: `@testcontainers/postgresql` (and its
 * native dependencies ssh2 and cpu-features) is installed only by whoever wants containers,
 * `npm install --no-save @testcontainers/postgresql@11` (docs/TESTING.md); it is imported by a
 * specifier in a variable so that the type check and the run do not need it.
 */
async function startContainer(): Promise<TestDatabase | string> {
  const modules = { postgres: "@testcontainers/postgresql", core: "testcontainers" };
  let loaded: [TestcontainersPostgres, Testcontainers];
  try {
    loaded = [
      (await import(modules.postgres)) as TestcontainersPostgres,
      (await import(modules.core)) as Testcontainers,
    ];
  } catch (error) {
    if (isNotInstalled(error)) {
      return "not installed (npm install --no-save @testcontainers/postgresql@11 to use containers)";
    }
    return (error as Error).message;
  }
  const [{ PostgreSqlContainer }, { getContainerRuntimeClient }] = loaded;
  try {
    // Fails in milliseconds when no container runtime answers.
    await getContainerRuntimeClient();
    const container = await new PostgreSqlContainer("postgres:16-alpine").start();
    return await openServer(container.getConnectionUri(), "testcontainers", () => container.stop());
  } catch (error) {
    return (error as Error).message;
  }
}

/** Opens the real PostgreSQL the tests should use (see the top of this file). */
export async function openTestDatabase(): Promise<TestDatabase> {
  const tried: string[] = [];
  const url = process.env.DATABASE_URL;
  if (url) {
    // Asked for explicitly: a server that does not answer fails the run, it is never replaced.
    try {
      return await openServer(url, "postgres");
    } catch (error) {
      throw new Error(
        `DATABASE_URL is set (${redact(url)}) but does not answer: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  const containers = await startContainer();
  if (typeof containers === "string") tried.push(`testcontainers: ${containers}`);
  else return containers;
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

let nextLock = Math.floor(Math.random() * 1e6) * 1000;

/**
 * A gate inside the server, to order races without sleeps: while the test holds the gate's
 * advisory lock (on a connection of its own), a statement that takes the lock's shared form
 * (`pg_advisory_xact_lock_shared(lock)`, in a trigger or a WHERE clause) waits inside the server;
 * `waiting` resolves once enough statements do; `open` lets them all go. The connection, and so
 * the lock, is released after the test whatever happens.
 */
export interface AdvisoryGate {
  /** The advisory lock's key, for the SQL that waits at the gate. */
  readonly lock: number;
  close(): Promise<void>;
  open(): Promise<void>;
  /** Resolves once `count` statements wait at the gate. */
  waiting(count?: number): Promise<void>;
}

/** Makes an {@link AdvisoryGate} on a server (`database.concurrent`). */
export function advisoryGate(database: TestDatabase): AdvisoryGate {
  const lock = nextLock++;
  const holder = database.drizzle({ ownConnection: true });
  const run = (statement: string) => holder.execute(sql.raw(statement));
  return {
    lock,
    close: async () => {
      await run(`select pg_advisory_lock(${lock})`);
    },
    open: async () => {
      await run(`select pg_advisory_unlock(${lock})`);
    },
    waiting: async (count = 1) => {
      for (;;) {
        const rows = await run(
          `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${lock} and not granted`,
        );
        if (((rows as unknown as Array<{ n: number }>)[0]?.n ?? 0) >= count) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

/** Runs `run` and returns what it passed to `console.warn` (and hides it from the test output). */
export async function capturingWarnings(run: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map(String).join(" "));
  };
  try {
    await run();
  } finally {
    console.warn = warn;
  }
  return warnings;
}
