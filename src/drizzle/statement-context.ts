import { AsyncLocalStorage } from "node:async_hooks";
import type { ExternalLoad } from "../core/internal.ts";

/**
 * What `withHydraCache` knows about the statement or transaction running now, shared with the
 * cache hooks through AsyncLocalStorage (Drizzle's hooks cannot see the end of a write, a failed
 * query or a transaction).
 */
export interface StatementContext {
  /** Inside `db.transaction(…)`: reads bypass the cache, writes are invalidated after commit. */
  readonly inTransaction: boolean;
  /** Invalidations of what this statement or transaction wrote, run again when it ends. */
  readonly written: Array<() => Promise<void>>;
  /** hydracache's own key for this select (SQL + filled parameters, BigInt-safe). */
  readonly derivedKey?: string | undefined;
  /** Tables found in the statement's SQL, beside those Drizzle reports. */
  readonly tablesRead?: readonly string[] | undefined;
  /** The load this statement's cache miss started, failed if the query fails. */
  load?: ExternalLoad;
}

/** The context of the statement running now, if it runs through `withHydraCache`. */
export const statementContext: AsyncLocalStorage<StatementContext> =
  new AsyncLocalStorage<StatementContext>();

/** The sessions of the transactions `withHydraCache` has seen (`tx.session`). */
const transactionSessions = new WeakSet<object>();

/** Records `tx.session` as a transaction's: queries built on it must never use the cache. */
export function markTransactionSession(session: object): void {
  transactionSessions.add(session);
}

/**
 * Whether a query must bypass the cache because it runs in a transaction: inside the callback of a
 * `db.transaction` that `withHydraCache` wrapped, or built on a transaction's session.
 */
export function inTransaction(source: unknown): boolean {
  if (statementContext.getStore()?.inTransaction) return true;
  const session = (source as { session?: unknown } | null)?.session;
  return typeof session === "object" && session !== null && transactionSessions.has(session);
}
