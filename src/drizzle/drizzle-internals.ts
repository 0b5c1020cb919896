// Every read of and patch to Drizzle internals lives in this file, so an upgrade that changes
// them breaks here: `checkDrizzleDatabase` probes a database before anything is wrapped and
// fails loudly, and test/drizzle/internals.test.ts pins each shape read here.
import {
  Column,
  entityKind,
  fillPlaceholders,
  getTableColumns,
  getTableName,
  is,
  SQL,
  Subquery,
  sql,
  Table,
} from "drizzle-orm";
import { Cache, NoopCache } from "drizzle-orm/cache/core";
// A namespace import: a name one Drizzle version lacks must fail the probe, not the module's loading.
import * as pgCore from "drizzle-orm/pg-core";
import { npmVersion } from "drizzle-orm/version";
import { CacheError, describe } from "../core/errors.ts";

/** Anything with Drizzle's `getSQL()`: query builders, subqueries, `sql` fragments. */
interface SQLSource {
  getSQL(): SQL;
}

/** The typed-public part of a select builder's state: `_.config.table` and its joins. */
interface SelectState {
  _: { config: { table?: unknown; joins?: Array<{ table?: unknown }>; fields?: unknown } };
}

/**
 * The tables a Drizzle query reads, found by walking its SQL chunks: the base table, joins,
 * subqueries, and tables inside `sql` fragments and WHERE subqueries (which Drizzle's own list
 * misses). Names are Drizzle's: `name`, or `schema.name` outside the default schema; an aliased
 * table counts as its base table. A select builder's FROM and JOIN targets are read from its
 * config (a subquery's and an `sql` target's from the tables Drizzle recorded for them): Drizzle
 * renders an aliased FROM table as bare identifiers, so its SQL no longer holds the table. Throws no `CacheError`.
 */
export function tablesReadBy(query: unknown, onTable?: (table: Table) => void): string[] {
  const found = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (chunk: unknown): void => {
    if (chunk === null || typeof chunk !== "object" || seen.has(chunk)) return;
    seen.add(chunk);
    if (Array.isArray(chunk)) {
      for (const item of chunk) walk(item);
      return;
    }
    // Most chunks are SQL and plain text: told apart by one lookup, as `is()` walks prototype chains.
    const kind = kindOf(chunk);
    if (kind === "SQL") walk((chunk as SQL).queryChunks);
    else if (kind !== null && LEAF_KINDS.has(kind)) return;
    else if (is(chunk, Column))
      walk(chunk.table); // before Table: columns are the more common
    else if (is(chunk, Table)) {
      found.add(baseNameOf(chunk));
      onTable?.(chunk);
    } else if (is(chunk, SQL)) walk(chunk.queryChunks);
    else if (is(chunk, SQL.Aliased)) walk(chunk.sql);
    else if (is(chunk, Subquery)) walk((chunk as unknown as { _: { sql: SQL } })._.sql);
    else if (typeof (chunk as Partial<SQLSource>).getSQL === "function") {
      const config = (chunk as Partial<SelectState>)._?.config;
      for (const target of [config?.table, ...(config?.joins ?? []).map((join) => join.table)]) {
        if (is(target, pgCore.PgTable)) {
          found.add(baseNameOf(target));
          onTable?.(target);
        } else if (is(target, Subquery) || is(target, SQL)) {
          for (const name of recordedTables(target)) found.add(name);
        }
      }
      walk((chunk as SQLSource).getSQL());
    }
  };
  walk(query);
  return [...found];
}

/** The tables Drizzle recorded for a subquery (`_.usedTables`) or an `sql` FROM target (`usedTables`). */
function recordedTables(target: Subquery | SQL): string[] {
  const { _: subquery, usedTables } = target as { _?: { usedTables?: string[] }; usedTables?: string[] };
  return subquery?.usedTables ?? usedTables ?? [];
}

const SCHEMA = Symbol.for("drizzle:Schema");
const BASE_NAME = Symbol.for("drizzle:BaseName");

/** Chunks of Drizzle's SQL that name no table: text, identifiers, parameters, placeholders. */
const LEAF_KINDS = new Set(["StringChunk", "Name", "Param", "Placeholder"]);

/** A table's own name (an alias counts as its base table), schema-qualified outside `public`. Throws no `CacheError`. */
export function baseNameOf(table: Table): string {
  const { [SCHEMA]: schema, [BASE_NAME]: name } = table as unknown as Record<symbol, string>;
  return schema === undefined || schema === "public" ? String(name) : `${schema}.${name}`;
}

/** Per-process ids of decoder functions (custom types, `mapWith`), so they can appear in a key. */
const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

function idOf(fn: unknown): number | null {
  if (typeof fn !== "function") return null;
  let id = functionIds.get(fn);
  if (id === undefined) {
    id = nextFunctionId++;
    functionIds.set(fn, id);
  }
  return id;
}

const columnMappings = new WeakMap<Column, unknown[]>();

/** How a column turns a driver value into a row value: its type and mode, SQL type, table and decoders. */
function columnMapping(column: Column): unknown[] {
  let mapping = columnMappings.get(column);
  if (mapping === undefined) {
    const internals = column as Column & { mapFrom?: unknown; baseColumn?: unknown };
    mapping = [
      "c",
      column.columnType,
      column.getSQLType(),
      getTableName(column.table),
      column.name,
      idOf(internals.mapFromDriverValue),
      idOf(internals.mapFrom),
      is(internals.baseColumn, Column) ? columnMapping(internals.baseColumn) : null,
    ];
    columnMappings.set(column, mapping);
  }
  return mapping;
}

/** A decoder: a column (`mapWith(column)`, or the column itself), else its `mapFromDriverValue` function. */
function decoderMapping(decoder: unknown): unknown[] {
  if (is(decoder, Column)) return columnMapping(decoder);
  return ["f", idOf((decoder as { mapFromDriverValue?: unknown } | null)?.mapFromDriverValue)];
}

/** The decoder Drizzle maps an `sql` field's value with (`mapWith`; internal, so read here). */
function decoderOf(sql: SQL): unknown {
  return (sql as unknown as { decoder?: unknown }).decoder;
}

/** A selection (Drizzle's `fields`): a field, a table, a nested object, or a `{ path, field }` list. */
function selectionMapping(selection: unknown): unknown {
  if (is(selection, Column)) return columnMapping(selection);
  if (is(selection, SQL)) return ["s", decoderMapping(decoderOf(selection))];
  if (is(selection, SQL.Aliased))
    return ["a", selection.fieldAlias, decoderMapping(decoderOf(selection.sql))];
  if (is(selection, Subquery)) {
    return ["q", decoderMapping(decoderOf((selection as unknown as { _: { sql: SQL } })._.sql))];
  }
  if (is(selection, Table)) return ["t", selectionMapping(getTableColumns(selection))];
  if (Array.isArray(selection)) return selection.map(selectionMapping);
  if (typeof selection === "function") return ["f", idOf(selection)];
  if (selection === null || typeof selection !== "object") return selection ?? null; // a path segment, say
  return ["o", ...Object.entries(selection).map(([key, value]) => [key, selectionMapping(value)])];
}

/**
 * One item of a relational query's selection (`db.query.*`), which Drizzle maps row by row:
 * `tsKey`/`isJson` up to 0.45, `key`/`fieldType`/`codec` in 1.0's relational queries (v2).
 */
interface RelationalSelectionItem {
  tsKey?: string;
  isJson?: boolean;
  relationTableTsKey?: string;
  key?: string;
  fieldType?: string;
  codec?: unknown;
  isArray?: boolean;
  isOptional?: boolean;
  field?: unknown;
  selection?: RelationalSelectionItem[];
}

function relationalMapping(selection: RelationalSelectionItem[] = []): unknown[] {
  return selection.map((item) => {
    if (item.tsKey === undefined) {
      const nested = item.selection && relationalMapping(item.selection);
      const shape = [item.fieldType, idOf(item.codec), item.isArray, item.isOptional];
      return ["r", item.key, ...shape, nested ?? selectionMapping(item.field)];
    }
    return item.isJson
      ? ["j", item.tsKey, item.relationTableTsKey ?? null, relationalMapping(item.selection)]
      : ["v", item.tsKey, selectionMapping(item.field)];
  });
}

/** A relational query (`db.query.*`): v1 up to 0.45, v2 in 1.0. */
const RELATIONAL_KINDS = new Set(["PgRelationalQuery", "PgAsyncRelationalQueryV2"]);

/** What a Drizzle statement's rows depend on beside its SQL: its SQL text and parameters, and how its driver rows are mapped. */
export interface StatementShape {
  readonly sql: string;
  readonly params: unknown[];
  /**
   * How Drizzle turns the driver's rows into the rows the statement resolves to: the kind of
   * statement, then its selection (field paths, and per column its type, mode, SQL type, table,
   * name and decoders; a per-process id for each custom decoder function). Queries whose SQL is
   * the same but whose rows differ (field aliases, `bigint` modes, `mapWith`) differ here.
   */
  readonly mapping: unknown[];
}

/**
 * Gives a subclass of a Drizzle class its own `entityKind`. drizzle-orm 1.0's `instanceof` on its
 * classes compares kinds, so without its own kind every `Cache` would pass for a `HydraDrizzleCache`. Throws no `CacheError`.
 */
export function brandClass(type: abstract new (...args: never[]) => object, kind: string): void {
  Object.defineProperty(type, entityKind, { value: kind });
}

/** The kind Drizzle gives a class (`PgSelect`, `PgRelationalQuery`, `PgRaw`, …), or `null`. */
function kindOf(value: object): string | null {
  const kind = (value.constructor as { [entityKind]?: unknown } | undefined)?.[entityKind];
  return typeof kind === "string" ? kind : null;
}

/**
 * The SQL, parameters and result mapping of a Drizzle query builder, relational query, raw
 * `db.execute` or prepared query; `undefined` for anything else (a function, say). Throws no `CacheError`.
 */
export function statementShape(source: unknown): StatementShape | undefined {
  if (source === null || typeof source !== "object") return undefined;
  const statement = source as {
    toSQL?: () => { sql: string; params: unknown[] };
    getQuery?: () => { sql: string; params: unknown[] };
    _toSQL?: () => {
      query: { selection: RelationalSelectionItem[] };
      builtQuery: { sql: string; params: unknown[] };
    };
    mode?: unknown;
    fields?: unknown;
    customResultMapper?: unknown;
    joinsNotNullableMap?: unknown;
    config?: { returning?: unknown };
  };
  const kind = kindOf(source);
  if (RELATIONAL_KINDS.has(kind ?? "") && typeof statement._toSQL === "function") {
    const { query, builtQuery } = statement._toSQL();
    return { ...builtQuery, mapping: [kind, statement.mode, relationalMapping(query.selection)] };
  }
  const built = statement.toSQL?.() ?? statement.getQuery?.();
  if (built === undefined) return undefined;
  const selection =
    (source as Partial<SelectState>)._?.config?.fields ?? statement.fields ?? statement.config?.returning;
  return {
    sql: built.sql,
    params: built.params,
    mapping: [
      kind,
      selectionMapping(selection),
      idOf(statement.customResultMapper),
      statement.joinsNotNullableMap ?? null,
    ],
  };
}

/** A raw `db.execute(sql…)`: `PgRaw` up to 0.45, `PgAsyncRaw` in 1.0. */
const RAW_KINDS = new Set(["PgRaw", "PgAsyncRaw"]);

/**
 * The rows of a raw `db.execute(sql…)`: postgres.js resolves to the rows themselves, PGlite and
 * node-postgres to a driver result `{ rows, fields, … }`. `undefined` for any other source,
 * whose result the row helpers take as it is.
 *
 * @throws {CacheError} The returned function rejects `INVALID_OPTIONS` when the result has no rows; a driver error passes through, not wrapped.
 */
export function rawRows(source: unknown): (() => Promise<unknown[]>) | undefined {
  if (source === null || typeof source !== "object" || !RAW_KINDS.has(kindOf(source) ?? "")) return undefined;
  return async () => {
    const result: unknown = await (source as PromiseLike<unknown>);
    if (Array.isArray(result)) return result;
    const rows = (result as { rows?: unknown } | null)?.rows;
    if (Array.isArray(rows)) return rows;
    throw new CacheError(
      "INVALID_OPTIONS",
      `db.execute() resolved to ${describe(result)}, neither rows nor a driver result with rows`,
    );
  };
}

/**
 * The `$withCache({ tag })` that `withHydraCache` gives cached selects, so Drizzle skips its own
 * key (a SHA-256 that throws on BigInt) and the cache uses hydracache's key for the execution.
 */
export const DERIVED_KEY = "\u0000hydracache:derived-key";

/** What a Drizzle prepared query carries that the cache needs. */
export interface PreparedQueryInternals {
  /** `{ sql, params }` of the statement. */
  getQuery(): { sql: string; params: unknown[] };
  /** Drizzle's cache settings for this execution (`$withCache`): `enable` up to 0.45, `enabled` in 1.0. */
  cacheConfig?: {
    enable?: boolean;
    enabled?: boolean;
    tag?: string;
    autoInvalidate?: boolean;
    config?: object;
  };
  execute(...args: unknown[]): Promise<unknown>;
}

/** The SQL builder a Drizzle database renders every statement with. */
export interface DialectInternals {
  sqlToQuery(sql: SQL, ...rest: unknown[]): object;
  /** drizzle-orm 1.0's renderer of tagged selects. */
  _sqlToQuery?(sql: SQL, ...rest: unknown[]): object;
}

/** The part of a Drizzle database object `withHydraCache` wraps. */
export interface DatabaseInternals {
  /** The session every top-level query is prepared on. */
  session: {
    prepareQuery(...args: unknown[]): PreparedQueryInternals;
  };
  /** Renders SQL objects into the `{ sql, params }` that `session.prepareQuery` receives. */
  dialect: DialectInternals;
  transaction(run: (tx: unknown) => Promise<unknown>, config?: unknown): Promise<unknown>;
}

/** The SQL object each rendered statement came from, by the `{ sql, params }` Drizzle rendered. */
const renderedFrom = new WeakMap<object, SQL>();
const recording = new WeakSet<object>();

/**
 * Makes `dialect` remember the SQL object behind each `{ sql, params }` it renders: Drizzle's
 * builders render their SQL with `dialect.sqlToQuery(this.getSQL())` and hand the result to
 * `session.prepareQuery`, which has no other way back to the tables the statement reads. Throws no `CacheError`.
 */
export function recordRenderedSql(dialect: DialectInternals): void {
  if (recording.has(dialect)) return;
  recording.add(dialect);
  // 1.0 renders some selects with a second renderer, `_sqlToQuery`.
  for (const name of ["sqlToQuery", "_sqlToQuery"] as const) {
    const render = dialect[name]?.bind(dialect);
    if (render === undefined) continue;
    dialect[name] = (sql, ...rest) => {
      const query = render(sql, ...rest);
      renderedFrom.set(query, sql);
      return query;
    };
  }
}

/** The SQL object `query` (what `session.prepareQuery` received) was rendered from, if recorded. Never throws. */
export function renderedSqlOf(query: unknown): SQL | undefined {
  return typeof query === "object" && query !== null ? renderedFrom.get(query) : undefined;
}

/**
 * What a cached execution of a prepared query needs from hydracache: the key it routes to (when
 * the select uses no `$withCache({ tag })` of its own) and the tables it reads (`tablesOf`, asked
 * only for a cached execution); `undefined` when the execution is not cached. Throws no `CacheError` of its own: what `keyOf` throws passes through.
 */
export function deriveExecutionKey(
  prepared: PreparedQueryInternals,
  placeholderValues: unknown,
  keyOf: (sql: string, params: unknown[]) => string,
  tablesOf: () => readonly string[],
): { key: string | undefined; tables: readonly string[] } | undefined {
  const config = prepared.cacheConfig;
  if (config === undefined || !cachingOn(prepared)) return undefined;
  if (config.tag !== undefined && config.tag !== DERIVED_KEY) return { key: undefined, tables: tablesOf() };
  prepared.cacheConfig = { ...config, tag: DERIVED_KEY };
  const { sql, params } = prepared.getQuery();
  const values = (placeholderValues ?? {}) as Record<string, unknown>;
  return { key: keyOf(sql, fillPlaceholders(params, values)), tables: tablesOf() };
}

/**
 * The tables Drizzle records for a relational query of 1.0 (v2), whose SQL names its tables by
 * alias only; `[]` for anything else (a v1 relational query's SQL holds its tables). Throws no `CacheError`.
 */
export function relationalTables(source: unknown): string[] {
  if (source === null || typeof source !== "object" || kindOf(source) !== "PgAsyncRelationalQueryV2")
    return [];
  const used = new Set<string>();
  (source as { _getQuery(usedTables: Set<string>): unknown })._getQuery(used);
  return [...used];
}

/** The tables Drizzle tracked for a prepared query (`.prepare()`), which has no SQL left to walk. Throws no `CacheError`. */
export function preparedTables(prepared: unknown): string[] {
  const listed = (prepared as { queryMetadata?: { tables?: unknown } } | null)?.queryMetadata?.tables;
  const tables = typeof listed === "function" ? listed() : listed; // 1.0 lists them lazily
  return Array.isArray(tables) ? tables.filter((table): table is string => typeof table === "string") : [];
}

/**
 * Makes a prepared query skip Drizzle's cache for selects (`get`/`put`, and the key Drizzle hashes
 * for them); writes still call `onMutate`, which comes first in Drizzle's `queryWithCache`. Never throws.
 */
export function bypassCache(prepared: PreparedQueryInternals): void {
  prepared.cacheConfig = undefined;
}

/**
 * Routes a cached select to the key `withHydraCache` derives, without deriving it: Drizzle then
 * never computes its own key (a SHA-256 over `JSON.stringify`, which throws on BigInt). Never throws.
 */
export function routeToDerivedKey(prepared: PreparedQueryInternals): void {
  const config = prepared.cacheConfig;
  if (cachingOn(prepared) && config?.tag === undefined)
    prepared.cacheConfig = { ...config, tag: DERIVED_KEY };
}

/** Whether Drizzle caches this execution: `cacheConfig.enable` up to 0.45, `enabled` in 1.0. Never throws. */
export function cachingOn(prepared: PreparedQueryInternals): boolean {
  const config = prepared.cacheConfig;
  return (config?.enable ?? config?.enabled) === true;
}

/** The `$withCache({ config })` of a cached execution (Drizzle's `CacheConfig`: `px`, `ex`, `pxat`, `exat`). Never throws. */
export function cacheSettings(prepared: PreparedQueryInternals): object | undefined {
  return prepared.cacheConfig?.config;
}

/**
 * Probes a Drizzle database for every internal the wrapper reads or patches, and throws
 * `CacheError` `INVALID_OPTIONS` naming what is missing: an installed Drizzle that does not look
 * as expected fails here, at setup, never later by caching unsafely. `installing` also asks for
 * what {@link installDrizzleCache} patches.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) naming the missing internals.
 */
export function checkDrizzleDatabase(db: unknown, installing: boolean): asserts db is DatabaseInternals {
  const candidate = db as { session?: { prepareQuery?: unknown; cache?: unknown; options?: unknown } } & {
    dialect?: { sqlToQuery?: unknown };
    transaction?: unknown;
  };
  const missing: string[] = [];
  if (typeof candidate?.session?.prepareQuery !== "function") missing.push("session.prepareQuery()");
  if (typeof candidate?.dialect?.sqlToQuery !== "function") missing.push("dialect.sqlToQuery()");
  if (typeof candidate?.transaction !== "function") missing.push("transaction()");
  type PreparedClass = { prototype: { queryWithCache?: unknown } } | undefined;
  const { PgPreparedQuery, PgAsyncPreparedQuery } = pgCore as unknown as Record<string, PreparedClass>;
  const prepared = PgPreparedQuery ?? PgAsyncPreparedQuery; // 0.44/0.45, 1.0
  if (typeof prepared?.prototype.queryWithCache !== "function") {
    missing.push("PgPreparedQuery.prototype.queryWithCache()");
  }
  if (installing && !is(candidate?.session?.cache, Cache)) missing.push("session.cache");
  if (installing && typeof candidate?.session?.options !== "object") missing.push("session.options");
  if (missing.length === 0) return;
  throw new CacheError(
    "INVALID_OPTIONS",
    `hydracache/drizzle: ${describe(db)} is not a Drizzle PostgreSQL database this version supports (drizzle-orm >=0.44 <0.46, or a 1.0 release candidate; installed: ${npmVersion}): it lacks ${missing.join(", ")}`,
  );
}

/** Checks that `db` has the internals `withHydraCache` relies on, without throwing. */
export function isWrappableDatabase(db: unknown): db is DatabaseInternals {
  const candidate = db as Partial<DatabaseInternals> | null;
  return (
    typeof candidate?.session?.prepareQuery === "function" &&
    typeof candidate.dialect?.sqlToQuery === "function" &&
    typeof (candidate as DatabaseInternals).transaction === "function"
  );
}

/**
 * Makes `cache` the Drizzle cache of a database built without one, as `drizzle(client, { cache })`
 * would have: the session's (and so its transactions' sessions') cache, and `db.$cache`. Throws
 * `INVALID_OPTIONS` when the database already has a cache of its own.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) when the database already has a Drizzle cache.
 */
export function installDrizzleCache(db: DatabaseInternals, cache: Cache): void {
  const session = db.session as unknown as { cache: Cache; options: object };
  if (!is(session.cache, NoopCache)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `hydraDrizzle: the database already has a Drizzle cache (${describe(session.cache)}); build it without one: hydraDrizzle(drizzle(client), cache)`,
    );
  }
  session.options = { ...session.options, cache };
  session.cache = cache;
  const withCache = db as unknown as { $cache: Cache & { invalidate?: unknown } };
  withCache.$cache = cache;
  withCache.$cache.invalidate = cache.onMutate;
}

/** The primary and replicas of a `withReplicas(primary, replicas)` database, or `undefined` for any other. Never throws. */
export function replicasOf(db: object): { primary: unknown; replicas: unknown } | undefined {
  if (!("$primary" in db) && !("$replicas" in db)) return undefined;
  const { $primary: primary, $replicas: replicas } = db as { $primary?: unknown; $replicas?: unknown };
  return { primary, replicas };
}

/**
 * Runs raw SQL text on a Drizzle database (`db.execute`) and resolves to its rows, whichever the driver.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `db.execute()` returns no raw query; (rejects) `INVALID_OPTIONS` when its result has no rows; a driver error passes through, not wrapped.
 */
export function queryRows(db: object, text: string): Promise<unknown[]> {
  const run = rawRows((db as { execute(query: SQL): unknown }).execute(sql.raw(text)));
  if (run === undefined) throw new CacheError("INVALID_OPTIONS", "db.execute() did not return a raw query");
  return run();
}

/** The tables of the schema given to `drizzle(client, { schema })`. Throws no `CacheError`. */
export function schemaTables(db: object): Table[] {
  const schema = (db as { _?: { fullSchema?: Record<string, unknown> } })._?.fullSchema ?? {};
  return Object.values(schema).filter((value): value is Table => is(value, Table));
}

/** What a write to a table does to the rows that reference it, where it changes them. */
const CHANGING_ACTIONS = new Set(["cascade", "set null", "set default"]);

/**
 * The foreign keys of `table` whose `ON DELETE`/`ON UPDATE` action changes its rows when the
 * referenced row changes (`cascade`, `set null`, `set default`), as `[referencing, referenced]`
 * table names, read from Drizzle's table config. Throws no `CacheError`.
 */
export function changingForeignKeys(table: Table): Array<[string, string]> {
  if (!is(table, pgCore.PgTable)) return [];
  const found: Array<[string, string]> = [];
  for (const key of pgCore.getTableConfig(table).foreignKeys) {
    if (!CHANGING_ACTIONS.has(key.onDelete ?? "") && !CHANGING_ACTIONS.has(key.onUpdate ?? "")) continue;
    const referenced = key.reference().foreignColumns[0]?.table;
    if (referenced !== undefined) found.push([baseNameOf(table), baseNameOf(referenced)]);
  }
  return found;
}

/** Statements with a data-modifying CTE, by source object: rendering one to find out costs. */
const writingSources = new WeakMap<object, boolean>();

/**
 * Whether a Drizzle statement writes through a data-modifying CTE
 * (`with ins as (insert … returning *) select * from ins`): such a statement is never cached, and
 * the tables it names are invalidated. A builder without `with` answers without rendering. Throws no `CacheError`.
 */
export function writesThroughCte(source: unknown): boolean {
  if (source === null || typeof source !== "object") return false;
  let writes = writingSources.get(source);
  if (writes === undefined) {
    const withList = (source as { config?: { withList?: unknown } }).config?.withList;
    const sql = Array.isArray(withList) && withList.length === 0 ? undefined : statementSql(source);
    writes = sql !== undefined && sqlWritesThroughCte(sql);
    writingSources.set(source, writes);
  }
  return writes;
}

/** The SQL text of a builder, raw query or prepared query, rendered once; `undefined` for anything else. */
function statementSql(source: object): string | undefined {
  const statement = source as { getQuery?: () => { sql: string }; toSQL?: () => { sql: string } };
  if (typeof statement.getQuery === "function") return statement.getQuery().sql;
  return statementShape(source)?.sql;
}

/** Quoted identifiers and string literals, which may contain any word. */
const QUOTED = /"(?:[^"]|"")*"|'(?:[^']|'')*'/g;
const WRITING_VERB = /\b(?:insert|update|delete|merge)\b/i;

/**
 * Whether SQL text starts with a `WITH` whose statements write. PostgreSQL allows a data-modifying
 * statement inside another only as a CTE, and Drizzle quotes every identifier, so outside quotes
 * such a verb is a keyword. (A `for update` select counts too: it is not cached, which is safe.) Never throws.
 */
export function sqlWritesThroughCte(sql: string): boolean {
  return /^\s*\(?\s*with\b/i.test(sql) && WRITING_VERB.test(sql.replace(QUOTED, " "));
}
