import { CacheError, describe } from "../core/errors.ts";

/**
 * Where the row helpers get rows from, in the order they are tried:
 * - a function returning rows or a promise of rows (called on a miss);
 * - a lazy awaitable: a Drizzle query builder or relational query, anything with a `then` that
 *   runs only when awaited (awaited on a miss); never a native `Promise`, which has already
 *   started (rejected with `INVALID_OPTIONS`: pass `() => repo.load(1)`);
 * - an executable: an object with an `execute()` method, such as a Drizzle prepared query or a
 *   Kysely query builder (`execute()` is called on a miss).
 *
 * `R` is what it resolves to: an array of rows, or one row or `undefined` (as a relational
 * `findFirst` does). A hit never calls the function, `then` or `execute`.
 *
 * @example
 * await query.fetchAll(db.select().from(users));                 // a lazy awaitable
 * await query.fetchAll(() => repo.listUsers());                   // a function returning rows
 * await query.fetchAll(db.select().from(users).prepare("users")); // an executable
 */
export type RowSource<R> = PromiseLike<R> | (() => R | PromiseLike<R>) | { execute(): R | PromiseLike<R> };

/** The row type of a source that resolves to `R`: the element type of an array, else `R` without `undefined`/`null`. */
export type RowOf<R> = R extends readonly (infer Row)[] ? Row : Exclude<R, undefined | null>;

/**
 * What a row source of a query with row type `T` may resolve to: rows assignable to `T` (an array
 * of them, one, or none), or anything when the query has no row type (`T` is `unknown`). An
 * array type as `T` admits no source: `T` is the row type (`collection<User>`, not `<User[]>`).
 *
 * @example
 * queries.entity<User>("user", 1).fetchOne(db.select().from(users)); // User[] is RowsFor<User>
 */
export type RowsFor<T> = unknown extends T
  ? unknown
  : readonly T[] | (T extends readonly unknown[] ? never : T) | null | undefined;

/**
 * The row a row helper resolves to: the query's row type `T` when it has one, else the row type
 * of its source (`RowOf<R>`).
 *
 * @example
 * type Row = RowResult<unknown, User[]>; // User
 */
export type RowResult<T, R> = unknown extends T ? RowOf<R> : T;

/**
 * What an adapter contributes for one row source (see `DbCache.resolveRowSource`): a logical key
 * used when the query has no explicit key, tags added beside the query's own, and whether the
 * helper must bypass the cache. The row helpers read each field only when they need it, so an
 * adapter can compute the costly ones in getters: `bypass` and `source` first, on every call;
 * `key` only when the query has no explicit key; `tags` only when a load starts (never on a hit
 * or a join).
 *
 * @example
 * return {
 *   bypass: false,
 *   get key() { return deriveKey(source); },          // read only without an explicit key
 *   get tags() { return tablesOf(source).map(tag); }, // read only when a load starts
 * };
 */
export interface RowSourceDefaults {
  /** A logical key (namespaced like an explicit one); ignored when the query has an explicit key. */
  readonly key?: string | undefined;
  /** Tags added to the query's own (for Drizzle: the `tableTag` of every table the query reads). */
  readonly tags?: Iterable<string> | undefined;
  /**
   * `true`: this call bypasses the cache entirely: no lookup, no load, nothing stored (the source
   * runs and its rows are shaped as usual; for Drizzle, a query inside a transaction).
   */
  readonly bypass?: boolean | undefined;
  /**
   * What runs instead of the given source when it must run (on a miss, or with `bypass`): an
   * adapter's way to turn a driver result into rows (for Drizzle: a PGlite `db.execute()`
   * resolves to `{ rows, fields }`).
   */
  readonly source?: RowSource<unknown> | undefined;
}

/** The row helpers, named in error messages. */
export type RowHelper = "fetchOne" | "fetchOptional" | "fetchAll";

/**
 * Throws `INVALID_OPTIONS` unless `source` is a function, a lazy thenable or an executable. A
 * native `Promise` is refused: it has already started, so its query would run on every call,
 * hits included. Reads `then`/`execute`, never calls them.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for a native `Promise` or anything that is not a row source.
 */
export function checkRowSource(source: unknown, helper: RowHelper): void {
  if (isNativePromise(source)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${helper}: query is a Promise, which has already started (its query runs on every call, even on a hit); pass a function that starts it instead: ${helper}(() => repo.load(1)), not ${helper}(repo.load(1))`,
    );
  }
  if (typeof source === "function" || hasMethod(source, "then") || hasMethod(source, "execute")) return;
  throw new CacheError(
    "INVALID_OPTIONS",
    `${helper}: query must be a lazy awaitable (a query builder), an object with execute() (a prepared query) or a function returning rows, got ${describe(source)}`,
  );
}

/**
 * Runs the source (calls it, awaits it, or calls its `execute()`) and returns its rows as a plain
 * array: an array result is copied (so a driver's array subclass is stored like any array),
 * `undefined`/`null` is no row, and any other value is one row. Never rejects with a `CacheError`
 * of its own: what the source throws or rejects passes through as is.
 */
export async function readRows(source: RowSource<unknown>): Promise<unknown[]> {
  const result = await (typeof source === "function"
    ? source()
    : hasMethod(source, "then")
      ? source
      : (source as { execute(): unknown }).execute());
  if (Array.isArray(result)) return Array.from(result);
  return result === undefined || result === null ? [] : [result];
}

/** A promise made by `Promise` (an `async` function's result, say), of this realm or another. */
function isNativePromise(value: unknown): boolean {
  return value instanceof Promise || Object.prototype.toString.call(value) === "[object Promise]";
}

function hasMethod(value: unknown, name: "then" | "execute"): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>)[name] === "function"
  );
}
