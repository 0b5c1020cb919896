import type { SQL } from "drizzle-orm";
import { CacheError } from "../core/errors.ts";
import {
  bypassCache,
  type DatabaseInternals,
  deriveExecutionKey,
  isWrappableDatabase,
  type PreparedQueryInternals,
  recordRenderedSql,
  renderedSqlOf,
  routeToDerivedKey,
  tablesReadBy,
} from "./drizzle-internals.ts";
import { HydraDrizzleCache } from "./hydra-drizzle-cache.ts";
import { queryKey } from "./query-key.ts";
import { markTransactionSession, type StatementContext, statementContext } from "./statement-context.ts";

const wrapped = new WeakSet<object>();

/**
 * Returns the same `db`, wrapped where Drizzle's cache hooks cannot see the end of a write or a
 * transaction: every statement runs in a context the {@link HydraDrizzleCache} reads, so
 * - a write's tables are invalidated again once it completes (Drizzle invalidates concurrently
 *   with the write, so a read during it could re-cache the old row);
 * - reads inside `db.transaction(…)` never enter the cache, and the tables a transaction wrote
 *   are invalidated after it commits (after a rollback there is nothing to leak);
 * - identical concurrent selects share a failure as well as a result;
 * - cached selects use hydracache's collision-free, BigInt-safe key instead of Drizzle's hash,
 *   and their tags include tables Drizzle's list misses (WHERE subqueries, `sql` fragments),
 *   found by walking the statement's SQL, with or without a `$withCache({ tag })`.
 * On a Drizzle database with another Drizzle `Cache`, or none, only `db.transaction` is wrapped:
 * `DrizzleDbCache` row helpers inside its callback bypass the cache (as they do on a database with
 * a `HydraDrizzleCache`); its cache hooks are left alone. Safe to call more than once; anything
 * that is not a Drizzle database is returned unchanged. A database whose `$cache` is a
 * `HydraDrizzleCache` but whose internals are not the ones this wraps (a Drizzle version it does
 * not support) throws `CacheError` `INVALID_OPTIONS` rather than run unsafely.
 *
 * @example
 * const db = withHydraCache(drizzle(client, { cache: new HydraDrizzleCache(cache) }));
 */
export function withHydraCache<Database>(db: Database): Database {
  if (typeof db !== "object" || db === null || wrapped.has(db)) return db;
  // Only a HydraDrizzleCache understands the derived-key routing; any other cache (or none) keeps its hooks.
  const ours = (db as { $cache?: unknown }).$cache instanceof HydraDrizzleCache;
  if (!isWrappableDatabase(db)) {
    if (!ours) return db;
    throw new CacheError(
      "INVALID_OPTIONS",
      "withHydraCache: this database's $cache is a HydraDrizzleCache, but the database lacks the Drizzle internals the wrapper needs (session.prepareQuery, dialect.sqlToQuery, transaction); it supports drizzle-orm >=0.44 <0.46 and would leave writes and transactions unsafe",
    );
  }
  wrapped.add(db);
  if (ours) {
    recordRenderedSql(db.dialect);
    wrapPrepareQuery(db.session);
  }
  wrapTransaction(db, ours);
  return db;
}

/** The SQL object each prepared query was prepared from, and the tables walked from it. */
const preparedSql = new WeakMap<object, SQL>();
const preparedTablesRead = new WeakMap<object, readonly string[]>();

function wrapPrepareQuery(session: DatabaseInternals["session"]): void {
  const prepareQuery = session.prepareQuery.bind(session);
  session.prepareQuery = (...args: unknown[]) => {
    const prepared = prepareQuery(...args);
    const sql = renderedSqlOf(args[0]);
    if (sql !== undefined) preparedSql.set(prepared, sql);
    const execute = prepared.execute.bind(prepared);
    prepared.execute = (...executeArgs: unknown[]) => runStatement(prepared, executeArgs, execute);
    return prepared;
  };
}

/** The tables a prepared query's SQL reads, walked once per prepared query. */
function tablesOf(prepared: PreparedQueryInternals): readonly string[] {
  let tables = preparedTablesRead.get(prepared);
  if (tables === undefined) {
    tables = tablesReadBy(preparedSql.get(prepared));
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
  const derived = deriveExecutionKey(prepared, args[0], queryKey, () => tablesOf(prepared));
  const context: StatementContext = {
    inTransaction: false,
    written: [],
    derivedKey: derived?.key,
    tablesRead: derived?.tables,
  };
  try {
    return await statementContext.run(context, () => execute(...args));
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
