// Every use of Drizzle internals lives in this file, so an upgrade that changes them breaks
// here, and test/drizzle/internals.test.ts says so loudly.
import { Column, fillPlaceholders, is, SQL, Subquery, Table } from "drizzle-orm";

/** Anything with Drizzle's `getSQL()`: query builders, subqueries, `sql` fragments. */
interface SQLSource {
  getSQL(): SQL;
}

/**
 * The tables a Drizzle query reads, found by walking its SQL chunks: the base table, joins,
 * subqueries, and tables inside `sql` fragments and WHERE subqueries (which Drizzle's own list
 * misses). Names are Drizzle's: `name`, or `schema.name` outside the default schema; an aliased
 * table counts as its base table.
 */
export function tablesReadBy(query: unknown): string[] {
  const found = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (chunk: unknown): void => {
    if (chunk === null || typeof chunk !== "object" || seen.has(chunk)) return;
    seen.add(chunk);
    if (Array.isArray(chunk)) for (const item of chunk) walk(item);
    else if (is(chunk, Table)) found.add(baseNameOf(chunk));
    else if (is(chunk, Column)) walk(chunk.table);
    else if (is(chunk, SQL)) walk(chunk.queryChunks);
    else if (is(chunk, SQL.Aliased)) walk(chunk.sql);
    else if (is(chunk, Subquery)) walk((chunk as unknown as { _: { sql: SQL } })._.sql);
    else if (typeof (chunk as Partial<SQLSource>).getSQL === "function") walk((chunk as SQLSource).getSQL());
  };
  walk(query);
  return [...found];
}

const SCHEMA = Symbol.for("drizzle:Schema");
const BASE_NAME = Symbol.for("drizzle:BaseName");

/** A table's own name (an alias counts as its base table), schema-qualified outside `public`. */
export function baseNameOf(table: Table): string {
  const { [SCHEMA]: schema, [BASE_NAME]: name } = table as unknown as Record<symbol, string>;
  return schema === undefined || schema === "public" ? String(name) : `${schema}.${name}`;
}

/**
 * The `$withCache({ tag })` that `withHydraCache` gives cached selects, so Drizzle skips its own
 * key (a SHA-256 that throws on BigInt) and the cache uses hydracache's key for the execution.
 */
export const DERIVED_KEY = "\u0000hydracache:derived-key";

/**
 * The tables a statement's SQL text reads (`from`/`join` targets, subqueries included), as
 * Drizzle names them. Drizzle quotes every identifier it renders, so this finds tables inside
 * `sql` fragments and WHERE subqueries that Drizzle's own table list misses.
 */
export function tablesInSql(sql: string): string[] {
  const found = new Set<string>();
  for (const match of sql.matchAll(/\b(?:from|join)\s+"((?:[^"]|"")+)"(?:\."((?:[^"]|"")+)")?/gi)) {
    const [first, second] = [match[1], match[2]].map((part) => part?.replaceAll('""', '"'));
    found.add(
      second === undefined || first === "public" ? (second ?? (first as string)) : `${first}.${second}`,
    );
  }
  return [...found];
}

/** What a Drizzle prepared query carries that the cache needs. */
export interface PreparedQueryInternals {
  /** `{ sql, params }` of the statement. */
  getQuery(): { sql: string; params: unknown[] };
  /** Drizzle's cache settings for this execution (`$withCache`), if caching is on. */
  cacheConfig?: { enable: boolean; tag?: string; autoInvalidate?: boolean; config?: object };
  execute(...args: unknown[]): Promise<unknown>;
}

/** The part of a Drizzle database object `withHydraCache` wraps. */
export interface DatabaseInternals {
  /** The session every top-level query is prepared on. */
  session: {
    prepareQuery(...args: unknown[]): PreparedQueryInternals;
  };
  transaction(run: (tx: unknown) => Promise<unknown>, config?: unknown): Promise<unknown>;
}

/**
 * Routes a prepared query's cached executions to hydracache's key: returns that key for the
 * given placeholder values, or `undefined` when the execution is not cached.
 */
export function deriveExecutionKey(
  prepared: PreparedQueryInternals,
  placeholderValues: unknown,
  keyOf: (sql: string, params: unknown[]) => string,
): { key: string; tables: string[] } | undefined {
  const config = prepared.cacheConfig;
  if (!config?.enable || (config.tag !== undefined && config.tag !== DERIVED_KEY)) return undefined;
  prepared.cacheConfig = { ...config, tag: DERIVED_KEY };
  const { sql, params } = prepared.getQuery();
  const values = (placeholderValues ?? {}) as Record<string, unknown>;
  return { key: keyOf(sql, fillPlaceholders(params, values)), tables: tablesInSql(sql) };
}

/** The tables Drizzle tracked for a prepared query (`.prepare()`), which has no SQL left to walk. */
export function preparedTables(prepared: unknown): string[] {
  const tables = (prepared as { queryMetadata?: { tables?: unknown } } | null)?.queryMetadata?.tables;
  return Array.isArray(tables) ? tables.filter((table): table is string => typeof table === "string") : [];
}

/**
 * Makes a prepared query skip Drizzle's cache for selects (`get`/`put`, and the key Drizzle hashes
 * for them); writes still call `onMutate`, which comes first in Drizzle's `queryWithCache`.
 */
export function bypassCache(prepared: PreparedQueryInternals): void {
  prepared.cacheConfig = undefined;
}

/**
 * Routes a cached select to the key `withHydraCache` derives, without deriving it: Drizzle then
 * never computes its own key (a SHA-256 over `JSON.stringify`, which throws on BigInt).
 */
export function routeToDerivedKey(prepared: PreparedQueryInternals): void {
  const config = prepared.cacheConfig;
  if (config?.enable && config.tag === undefined) prepared.cacheConfig = { ...config, tag: DERIVED_KEY };
}

/** Checks that `db` has the internals `withHydraCache` relies on. */
export function isWrappableDatabase(db: unknown): db is DatabaseInternals {
  const candidate = db as Partial<DatabaseInternals> | null;
  return (
    typeof candidate?.session?.prepareQuery === "function" &&
    typeof (candidate as DatabaseInternals).transaction === "function"
  );
}
