import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { HydraCache } from "../core/cache.ts";
import { CacheError, describe } from "../core/errors.ts";
import { attachCatalog, CATALOG_FOREIGN_KEYS, learnForeignKeys } from "./cascades.ts";
import {
  bypassCache,
  cacheSettings,
  checkDrizzleDatabase,
  type DatabaseInternals,
  deriveExecutionKey,
  installDrizzleCache,
  isWrappableDatabase,
  type PreparedQueryInternals,
  preparedTables,
  queryRows,
  recordRenderedSql,
  renderedSqlOf,
  replicasOf,
  routeToDerivedKey,
  schemaTables,
  tablesReadBy,
  writesThroughCte,
} from "./drizzle-internals.ts";
import { HydraDrizzleCache, type HydraDrizzleCacheOptions, ttlOf } from "./hydra-drizzle-cache.ts";
import { queryKey } from "./query-key.ts";
import { markTransactionSession, type StatementContext, statementContext } from "./statement-context.ts";

/**
 * A Drizzle PostgreSQL database (any driver, any schema), or `withReplicas(…)` of them: what
 * {@link hydraDrizzle} accepts.
 *
 * @example
 * function cached<Database extends DrizzlePgDatabase>(db: Database): Database {
 *   return hydraDrizzle(db, cache, { strategy: "all" });
 * }
 */
// biome-ignore lint/suspicious/noExplicitAny: any schema: Drizzle's own `PgDatabase` default is a generic record
export type DrizzlePgDatabase = PgDatabase<PgQueryResultHKT, any>;

/**
 * THE way to cache a Drizzle database: makes a {@link HydraDrizzleCache} over `cache`, installs it
 * as the Drizzle cache of `db` (built without one: `drizzle(client)`) and wraps `db` so that every
 * statement is safe to cache (see {@link withHydraCache}). Returns `db` itself, with its own type.
 * With `withReplicas(primary, replicas)`, the primary and every replica are cached and wrapped.
 * Throws `CacheError` `INVALID_OPTIONS` when `db` already has a Drizzle cache, or when the installed
 * drizzle-orm does not have the internals this version relies on (naming what is missing).
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for bad `cache` or `options`, a database that already has a Drizzle cache, or a drizzle-orm without the needed internals.
 *
 * @example
 * import { drizzle } from "drizzle-orm/postgres-js";
 * const db = hydraDrizzle(drizzle(client, { schema }), cache, { strategy: "all", ttl: 60_000 });
 * await db.select().from(users); // cached, tagged table:users; a write through db invalidates it
 */
export function hydraDrizzle<Database extends DrizzlePgDatabase>(
  db: Database,
  cache: HydraCache,
  options?: HydraDrizzleCacheOptions,
): Database {
  const drizzleCache = new HydraDrizzleCache(cache, options);
  const { primary, replicas } = replicasOf(db) ?? { primary: db, replicas: [] };
  const members = [primary, ...(Array.isArray(replicas) ? replicas : [replicas])];
  for (const member of members) checkDrizzleDatabase(member, true);
  for (const member of members as DatabaseInternals[]) installDrizzleCache(member, drizzleCache);
  if (primary !== db) (db as { $cache?: unknown }).$cache = drizzleCache;
  return withHydraCache(db);
}

const wrapped = new WeakSet<object>();

/**
 * Returns the same `db`, wrapped where Drizzle's cache hooks cannot see the end of a write or a
 * transaction: every statement runs in a context the {@link HydraDrizzleCache} reads, so
 * - a write's tables (and the tables their foreign keys cascade to) are invalidated again once it
 *   completes (Drizzle invalidates concurrently with the write, so a read during it could re-cache
 *   the old row); a statement writing through a CTE is never cached, and invalidates its tables;
 * - reads inside `db.transaction(…)` never enter the cache, and the tables a transaction wrote
 *   are invalidated after it commits (after a rollback there is nothing to leak);
 * - identical concurrent selects share a failure as well as a result;
 * - cached selects use hydracache's collision-free, BigInt-safe key instead of Drizzle's hash,
 *   and their tags include tables Drizzle's list misses (WHERE subqueries, `sql` fragments);
 * - a `DrizzleDbCache` row helper's load is not cached a second time by the hook.
 * `hydraDrizzle(db, cache)` does this for you; use `withHydraCache` on a database built with
 * `drizzle(client, { cache: new HydraDrizzleCache(cache) })`. `withReplicas(…)`: the primary and
 * every replica are wrapped. On a database with another Drizzle `Cache`, or none, only
 * `db.transaction` is wrapped (row helpers inside its callback bypass the cache). Safe to call
 * more than once; anything that is not a Drizzle database is returned unchanged. A database whose
 * `$cache` is a `HydraDrizzleCache` but whose internals are not the ones this wraps throws
 * `CacheError` `INVALID_OPTIONS` rather than run unsafely.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for a `HydraDrizzleCache` database whose internals are not the expected ones, or a `withReplicas` database whose members are not Drizzle databases.
 *
 * @example
 * const db = withHydraCache(drizzle(client, { cache: new HydraDrizzleCache(cache) }));
 */
export function withHydraCache<Database>(db: Database): Database {
  if (typeof db !== "object" || db === null || wrapped.has(db)) return db;
  const members = replicasOf(db);
  if (members !== undefined) {
    wrapReplicas(db, members);
    return db;
  }
  // Only a HydraDrizzleCache understands the derived-key routing; any other cache (or none) keeps its hooks.
  const drizzleCache = (db as { $cache?: unknown }).$cache;
  const ours = drizzleCache instanceof HydraDrizzleCache;
  // A HydraDrizzleCache on a database this version cannot wrap throws, naming what is missing.
  if (ours) checkDrizzleDatabase(db, false);
  else if (!isWrappableDatabase(db)) return db;
  const database = db as unknown as DatabaseInternals;
  wrapped.add(database);
  if (ours) {
    for (const table of schemaTables(database)) learnForeignKeys(table);
    attachCatalog(drizzleCache, () => queryRows(database, CATALOG_FOREIGN_KEYS));
    recordRenderedSql(database.dialect);
    wrapPrepareQuery(database.session, drizzleCache);
  }
  wrapTransaction(database, ours);
  return db;
}

/** Wraps the primary and every replica of a `withReplicas` database; anything else there is `INVALID_OPTIONS`. */
function wrapReplicas(db: object, { primary, replicas }: { primary: unknown; replicas: unknown }): void {
  const list: unknown[] = Array.isArray(replicas) ? replicas : [];
  const bad = [primary, ...list].find((member) => !isWrappableDatabase(member));
  if (!Array.isArray(replicas) || bad !== undefined) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `withHydraCache: a withReplicas database needs Drizzle databases as $primary and $replicas, got ${describe(Array.isArray(replicas) ? bad : replicas)}`,
    );
  }
  wrapped.add(db);
  // The replicas object copied the primary's session, so wrapping the primary covers its own statements.
  for (const member of [primary, ...list]) withHydraCache(member);
}

/** The SQL object each prepared query was prepared from, and the tables walked from it. */
const preparedSql = new WeakMap<object, SQL>();
const preparedTablesRead = new WeakMap<object, readonly string[]>();

function wrapPrepareQuery(session: DatabaseInternals["session"], cache: HydraDrizzleCache): void {
  const prepareQuery = session.prepareQuery.bind(session);
  session.prepareQuery = (...args: unknown[]) => {
    const prepared = prepareQuery(...args);
    const sql = renderedSqlOf(args[0]);
    if (sql !== undefined) preparedSql.set(prepared, sql);
    const execute = prepared.execute.bind(prepared);
    prepared.execute = (...executeArgs: unknown[]) => runStatement(prepared, executeArgs, execute, cache);
    return prepared;
  };
}

/**
 * The tables a prepared query's SQL reads (walked once per prepared query, learning the foreign
 * keys of every table object met) and those Drizzle tracked for it.
 */
function tablesOf(prepared: PreparedQueryInternals): readonly string[] {
  let tables = preparedTablesRead.get(prepared);
  if (tables === undefined) {
    const walked = tablesReadBy(preparedSql.get(prepared), learnForeignKeys);
    tables = [...new Set([...walked, ...preparedTables(prepared)])];
    preparedTablesRead.set(prepared, tables);
  }
  return tables;
}

function wrapTransaction(db: DatabaseInternals, ours: boolean): void {
  const transaction = db.transaction.bind(db);
  db.transaction = async (run, config) => {
    const context: StatementContext = { inTransaction: true, written: [] };
    try {
      return await statementContext.run(context, () =>
        transaction((tx) => run(keepOutOfCache(tx, ours)), config),
      );
    } finally {
      await replay(context);
    }
  };
}

const bypassing = new WeakSet<object>();

/**
 * Records the transaction's session (queries built on it bypass `DrizzleDbCache`) and, with a
 * `HydraDrizzleCache`, makes every select of the transaction (and of its nested transactions)
 * skip Drizzle's cache hooks: its reads must not be served from the cache nor stored in it, and
 * Drizzle's own key would throw on a BigInt parameter before `get` could say so. Writes still
 * reach `onMutate`.
 */
function keepOutOfCache(tx: unknown, ours: boolean): unknown {
  if (!isWrappableDatabase(tx)) return tx;
  if (!bypassing.has(tx.session)) {
    bypassing.add(tx.session);
    markTransactionSession(tx.session);
    if (ours) {
      const prepareQuery = tx.session.prepareQuery.bind(tx.session);
      tx.session.prepareQuery = (...args: unknown[]) => {
        const prepared = prepareQuery(...args);
        bypassCache(prepared);
        return prepared;
      };
    }
  }
  if (!bypassing.has(tx)) {
    bypassing.add(tx);
    const transaction = tx.transaction.bind(tx);
    tx.transaction = (run, config) => transaction((inner) => run(keepOutOfCache(inner, ours)), config);
  }
  return tx;
}

async function runStatement(
  prepared: PreparedQueryInternals,
  args: unknown[],
  execute: (...args: unknown[]) => Promise<unknown>,
  cache: HydraDrizzleCache,
): Promise<unknown> {
  const outer = statementContext.getStore();
  if (outer?.inTransaction) {
    // `db` (not `tx`) used inside a transaction's callback: its reads stay out of the cache (Drizzle's
    // get sees the transaction and misses); its writes run outside the transaction and commit on
    // their own, so they are invalidated again when they complete, and once more when it ends.
    routeToDerivedKey(prepared);
    const context: StatementContext = { inTransaction: true, written: [] };
    try {
      return await statementContext.run(context, () => execute(...args));
    } finally {
      outer.written.push(...context.written);
      await replay(context);
    }
  }
  const writes = writesThroughCte(prepared);
  const ttl = ttlOf(cacheSettings(prepared));
  const uncached = outer?.uncached === true || writes || (ttl !== undefined && !(ttl > 0));
  const derived = uncached
    ? undefined
    : deriveExecutionKey(prepared, args[0], queryKey, () => tablesOf(prepared));
  if (uncached) routeToDerivedKey(prepared); // Drizzle's own key would throw on a BigInt parameter
  const context: StatementContext = {
    inTransaction: false,
    uncached,
    written: [],
    derivedKey: derived?.key,
    tablesRead: derived?.tables,
    ttl,
  };
  try {
    return await statementContext.run(context, async () => {
      // A CTE's write is invisible to Drizzle: invalidated here, and again once it completes.
      if (writes) await cache.onMutate({ tables: [...tablesOf(prepared)] });
      return await execute(...args);
    });
  } catch (error) {
    context.load?.fail(error);
    throw error;
  } finally {
    await replay(context);
  }
}

/** Runs the statement's or transaction's invalidations again, now that it has completed. */
async function replay(context: StatementContext): Promise<void> {
  for (const invalidate of context.written) await invalidate();
}
