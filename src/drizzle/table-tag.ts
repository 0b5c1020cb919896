import { is, Table } from "drizzle-orm";
import { CacheError, describe } from "../core/errors.ts";
import { baseNameOf } from "./drizzle-internals.ts";

/** A Drizzle table object, or a table name as Drizzle reports it (`"users"`, `"auth.posts"`). */
export type TableRef = Table | string;

/**
 * The name Drizzle itself uses for a table: `name` in the default schema, `schema.name` in any
 * other. `"public.users"` and `"users"` are the same table, and an alias (`alias(users, "u")`)
 * names its base table. Anything else throws `CacheError` `INVALID_KEY`.
 *
 * @throws {CacheError} `INVALID_KEY` (thrown) when `table` is neither a Drizzle table nor a string.
 */
export function tableName(table: TableRef): string {
  if (typeof table === "string") return table.startsWith("public.") ? table.slice("public.".length) : table;
  if (!is(table, Table)) {
    throw new CacheError("INVALID_KEY", `not a Drizzle table or table name: ${describe(table)}`);
  }
  return baseNameOf(table);
}

/**
 * The engine tag of a table's cached results: `table:<name>`, schema-qualified outside the
 * default schema, and the same whichever way the table is named.
 *
 * @throws {CacheError} `INVALID_KEY` (thrown) as {@link tableName}.
 *
 * @example
 * tableTag(users);        // "table:users"
 * tableTag("auth.posts"); // "table:auth.posts", like the posts table object in pgSchema("auth")
 */
export function tableTag(table: TableRef): string {
  return `table:${tableName(table)}`;
}
