import {
  type DatabaseInternals,
  deriveExecutionKey,
  isWrappableDatabase,
  type PreparedQueryInternals,
} from "./drizzle-internals.ts";
import { queryKey } from "./query-key.ts";
import { type StatementContext, statementContext } from "./statement-context.ts";

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
 *   and their tags include tables Drizzle's list misses (WHERE subqueries, `sql` fragments).
 * Safe to call more than once, and on anything: what it cannot wrap is returned unchanged.
 *
 * @example
 * const db = withHydraCache(drizzle(client, { cache: new HydraDrizzleCache(cache) }));
 */
export function withHydraCache<Database>(db: Database): Database {
  if (!isWrappableDatabase(db) || wrapped.has(db)) return db;
  wrapped.add(db);
  wrapPrepareQuery(db.session);
  wrapTransaction(db);
  return db;
}

function wrapPrepareQuery(session: DatabaseInternals["session"]): void {
  const prepareQuery = session.prepareQuery.bind(session);
  session.prepareQuery = (...args: unknown[]) => {
    const prepared = prepareQuery(...args);
    const execute = prepared.execute.bind(prepared);
    prepared.execute = (...executeArgs: unknown[]) => runStatement(prepared, executeArgs, execute);
    return prepared;
  };
}

function wrapTransaction(db: DatabaseInternals): void {
  const transaction = db.transaction.bind(db);
  db.transaction = async (run, config) => {
    const context: StatementContext = { inTransaction: true, written: [] };
    try {
      return await statementContext.run(context, () => transaction(run, config));
    } finally {
      await replay(context);
    }
  };
}

async function runStatement(
  prepared: PreparedQueryInternals,
  args: unknown[],
  execute: (...args: unknown[]) => Promise<unknown>,
): Promise<unknown> {
  if (statementContext.getStore()?.inTransaction) return execute(...args);
  const derived = deriveExecutionKey(prepared, args[0], queryKey);
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
