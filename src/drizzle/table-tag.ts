import { getTableName, getTableUniqueName, is, Table } from "drizzle-orm";

/** A Drizzle table object, or a table name as Drizzle reports it (`"users"`, `"auth.posts"`). */
export type TableRef = Table | string;

/**
 * The name Drizzle itself uses for a table: `name` in the default schema, `schema.name` in any
 * other. `"public.users"` and `"users"` are the same table.
 */
export function tableName(table: TableRef): string {
  if (typeof table === "string") return table.startsWith("public.") ? table.slice("public.".length) : table;
  if (!is(table, Table)) throw new TypeError(`not a Drizzle table: ${String(table)}`);
  const unique = getTableUniqueName(table);
  return unique === `public.${getTableName(table)}` ? getTableName(table) : unique;
}

/**
 * The engine tag of a table's cached results: `table:<name>`, schema-qualified outside the
 * default schema, and the same whichever way the table is named.
 *
 * @example
 * tableTag(users);        // "table:users"
 * tableTag("auth.posts"); // "table:auth.posts", like the posts table object in pgSchema("auth")
 */
export function tableTag(table: TableRef): string {
  return `table:${tableName(table)}`;
}
