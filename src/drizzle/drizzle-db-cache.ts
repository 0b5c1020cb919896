import { DbCache } from "../db/db-cache.ts";
import type { DbQuery } from "../db/query.ts";
import { type RowHelper, type RowSource, type RowSourceDefaults, readRows } from "../db/rows.ts";
import { learnForeignKeys, withCascades } from "./cascades.ts";
import {
  preparedTables,
  rawRows,
  relationalTables,
  statementShape,
  tablesReadBy,
  writesThroughCte,
} from "./drizzle-internals.ts";
import { keyPart, queryKey } from "./query-key.ts";
import { inTransaction, runUncached } from "./statement-context.ts";
import { type TableRef, tableTag } from "./table-tag.ts";

/**
 * `DbCache` for Drizzle: given a Drizzle query and no explicit key, the row helpers derive the
 * key from the query's SQL, parameters and result mapping (collision-free, BigInt-safe) and tag
 * the result with the `tableTag` of every table the query reads, beside any entity or collection
 * tags. Inside a transaction of a database wrapped by `withHydraCache`, the row helpers bypass
 * the cache: a transaction's reads are never served from it nor stored in it.
 *
 * @example
 * const queries = new DrizzleDbCache(cache, "db");
 * const rows = await queries.cached<User>().fetchAll(db.select().from(users)); // tagged table:users
 * await queries.entity<User>("user", 42).fetchOne(db.select().from(users).where(eq(users.id, 42)));
 * await queries.invalidateTable(users); // = cache.invalidateTag("table:users")
 */
export class DrizzleDbCache extends DbCache {
  /**
   * Runs a load (a `fetchWith` loader, a row helper's source) outside the Drizzle cache hook of a
   * `hydraDrizzle` database: the query's result is cached once, under this query's key and TTL.
   */
  protected override runLoad<T>(load: () => Promise<T>): Promise<T> {
    return runUncached(load);
  }

  /**
   * Removes every result that read `table`. Resolves to how many were removed.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY` when `table` is neither a Drizzle table nor a string.
   */
  invalidateTable(table: TableRef): Promise<number> {
    return this.cache.invalidateTag(tableTag(table));
  }

  /**
   * The defaults of a Drizzle query, computed only when the row helper needs them: the key (only
   * without an explicit key) is the row helper, the SQL and parameters, then the result mapping
   * (`fetchAll:q:…`): the helpers cache different shapes of one query's rows, queries with the same
   * SQL may map their rows differently, and a `HydraDrizzleCache` in the same namespace (whose
   * keys start `a:` or `m:`) never meets these keys. The table tags are computed when a load starts; a
   * prepared query has no SQL object left to walk, so its tags are the tables Drizzle tracked for
   * it. Any source, Drizzle's or a function, bypasses the cache inside a transaction (and, as
   * every load, runs outside the Drizzle cache hook: see `runLoad`). A statement that writes through a CTE is never cached: it runs, then its tables (and those
   * their foreign keys cascade to) are invalidated.
   */
  protected override resolveRowSource(
    source: RowSource<unknown>,
    _query: DbQuery<unknown>,
    helper: RowHelper,
  ): RowSourceDefaults | undefined {
    const writes = writesThroughCte(source);
    const tables = () => [
      ...new Set([
        ...tablesReadBy(source, learnForeignKeys),
        ...preparedTables(source),
        ...relationalTables(source),
      ]),
    ];
    const raw = rawRows(source);
    const bypass = writes || inTransaction(source);
    if (typeof source === "function") return bypass ? { bypass } : undefined;
    // A write through a CTE runs uncached, then invalidates what it wrote.
    const run = writes
      ? async () => {
          const rows = await readRows(raw ?? source);
          for (const table of withCascades(tables())) await this.invalidateTable(table);
          return rows;
        }
      : raw;
    return {
      bypass,
      source: run,
      get key() {
        const shape = statementShape(source);
        return shape && `${helper}:${queryKey(shape.sql, shape.params)}${keyPart(shape.mapping)}`;
      },
      get tags() {
        return tables().map(tableTag);
      },
    };
  }
}
