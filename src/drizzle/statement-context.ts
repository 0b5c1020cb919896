import { AsyncLocalStorage } from "node:async_hooks";
import type { Milliseconds } from "../core/options.ts";

/** The load a statement's cache miss started: the statement hands it its rows, or fails it. */
export interface StatementLoad {
  /** Completes the load with the driver's result. */
  deliver(result: unknown): void;
  /** Fails the load with the statement's error. */
  fail(error: unknown): void;
  /** What every caller of the load gets: the decoded result, or the same `CacheError`. */
  readonly outcome: Promise<unknown>;
}

/**
 * What `withHydraCache` knows about the statement or transaction running now, shared with the
 * cache hooks through AsyncLocalStorage (Drizzle's hooks cannot see the end of a write, a failed
 * query or a transaction).
 */
export interface StatementContext {
  /** Inside `db.transaction(…)`: reads bypass the cache, writes are invalidated after commit. */
  readonly inTransaction: boolean;
  /**
   * The hook neither serves nor stores this statement's result: it is a `DrizzleDbCache` row
   * helper's load (cached by the helper, under its own key and TTL), writes through a CTE, or its
   * `$withCache` TTL has already run out.
   */
  readonly uncached?: boolean | undefined;
  /** Invalidations of what this statement or transaction wrote, run again when it ends. */
  readonly written: Array<() => Promise<void>>;
  /** hydracache's own key for this select (SQL + filled parameters, BigInt-safe). */
  readonly derivedKey?: string | undefined;
  /** Tables found in the statement's SQL, beside those Drizzle reports. */
  readonly tablesRead?: readonly string[] | undefined;
  /** The TTL the statement's `$withCache({ config })` asks for, if any. */
  readonly ttl?: Milliseconds | undefined;
  /** The load this statement's cache miss started. */
  load?: StatementLoad;
}

/** The context of the statement running now, if it runs through `withHydraCache`. */
export const statementContext: AsyncLocalStorage<StatementContext> =
  new AsyncLocalStorage<StatementContext>();

/**
 * Runs `run` so that every statement it sends through a wrapped database skips the Drizzle
 * cache hook: a `DrizzleDbCache` row helper's load, which the helper itself caches. Throws no `CacheError` of its own: what `run` throws passes through.
 */
export function runUncached<T>(run: () => T): T {
  // Inside a transaction's callback, its writes must still be replayed when the transaction ends.
  const outer = statementContext.getStore();
  const context = {
    inTransaction: outer?.inTransaction ?? false,
    uncached: true,
    written: outer?.written ?? [],
  };
  return statementContext.run(context, run);
}

/** The sessions of the transactions `withHydraCache` has seen (`tx.session`). */
const transactionSessions = new WeakSet<object>();

/** Records `tx.session` as a transaction's: queries built on it must never use the cache. Never throws. */
export function markTransactionSession(session: object): void {
  transactionSessions.add(session);
}

/**
 * Whether a query must bypass the cache because it runs in a transaction: inside the callback of a
 * `db.transaction` that `withHydraCache` wrapped, or built on a transaction's session. Never throws.
 */
export function inTransaction(source: unknown): boolean {
  if (statementContext.getStore()?.inTransaction) return true;
  const session = (source as { session?: unknown } | null)?.session;
  return typeof session === "object" && session !== null && transactionSessions.has(session);
}
