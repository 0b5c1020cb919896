import type { Table } from "drizzle-orm";
import { changingForeignKeys } from "./drizzle-internals.ts";

/**
 * The foreign keys this process has seen (in the schema given to a database, or on a table a query
 * read), as referenced table → referencing tables whose rows a write to it changes through
 * `ON DELETE`/`ON UPDATE` `CASCADE`, `SET NULL` or `SET DEFAULT`. By table name: two databases
 * with same-named tables share entries, which can only invalidate more, never less.
 */
const referencing = new Map<string, Set<string>>();
const learned = new WeakSet<Table>();

/** Records the changing foreign keys of `table` (once per table object). */
export function learnForeignKeys(table: Table): void {
  if (learned.has(table)) return;
  learned.add(table);
  for (const [child, parent] of changingForeignKeys(table)) {
    let children = referencing.get(parent);
    if (children === undefined) {
      children = new Set();
      referencing.set(parent, children);
    }
    children.add(child);
  }
}

/**
 * The written tables and every table a write to them changes through a known foreign-key action,
 * transitively (a cascade can cascade further).
 *
 * @example
 * withCascades(["users"]); // ["users", "posts", "comments"] when posts → users and comments → posts cascade
 */
export function withCascades(tables: Iterable<string>): string[] {
  const found = new Set(tables);
  for (const table of found) for (const child of referencing.get(table) ?? []) found.add(child);
  return [...found];
}
