import { DbCache } from "../db/db-cache.ts";
import type { DbQuery } from "../db/query.ts";
import type { RowHelper, RowSource, RowSourceDefaults } from "../db/rows.ts";
import { preparedTables, tablesReadBy } from "./drizzle-internals.ts";
import { queryKey } from "./query-key.ts";
import { type TableRef, tableTag } from "./table-tag.ts";

/** A Drizzle query builder, relational query or prepared query: anything with `toSQL()` or `getQuery()`. */
interface DrizzleStatement {
  toSQL?(): { sql: string; params: unknown[] };
  getQuery?(): { sql: string; params: unknown[] };
}

/**
 * `DbCache` for Drizzle: given a Drizzle query and no explicit key, the row helpers derive the
 * key from the query's SQL and parameters (collision-free, BigInt-safe) and tag the result with
 * the `tableTag` of every table the query reads, beside any entity or collection tags.
 *
 * @example
 * const queries = new DrizzleDbCache(cache, "db");
 * const rows = await queries.cached<User>().fetchAll(db.select().from(users)); // tagged table:users
 * await queries.entity<User>("user", 42).fetchOne(db.select().from(users).where(eq(users.id, 42)));
 * await queries.invalidateTable(users); // = cache.invalidateTag("table:users")
 */
export class DrizzleDbCache extends DbCache {
  /** Removes every result that read `table`. Resolves to how many were removed. */
  invalidateTable(table: TableRef): Promise<number> {
    return this.cache.invalidateTag(tableTag(table));
  }

  /**
   * Derives the key and the table tags of a Drizzle query. The key is the row helper, then the SQL
   * and parameters (`fetchAll:q:…`): the helpers cache different shapes of one query's rows, and a
   * `HydraDrizzleCache` in the same namespace (whose keys start `q:`) never meets these keys. A
   * prepared query has no SQL object left to walk: its tags are the tables Drizzle tracked for it.
   */
  protected override resolveRowSource(
    source: RowSource<unknown>,
    _query: DbQuery<unknown>,
    helper: RowHelper,
  ): RowSourceDefaults | undefined {
    const statement = source as DrizzleStatement;
    const query = statement.toSQL?.() ?? statement.getQuery?.();
    if (query === undefined) return undefined;
    const tables = new Set([...tablesReadBy(source), ...preparedTables(source)]);
    return { key: `${helper}:${queryKey(query.sql, query.params)}`, tags: [...tables].map(tableTag) };
  }
}
