import type { Table } from "drizzle-orm";
import type { Milliseconds } from "../core/options.ts";
import { changingForeignKeys } from "./drizzle-internals.ts";

/**
 * The foreign keys this process has seen (in the schema given to a database, or on a table a query
 * read), as referenced table → referencing tables whose rows a write to it changes through
 * `ON DELETE`/`ON UPDATE` `CASCADE`, `SET NULL` or `SET DEFAULT`. By table name: two databases
 * with same-named tables share entries, which can only invalidate more, never less.
 */
const referencing = new Map<string, Set<string>>();
const learned = new WeakSet<Table>();

/** Records the changing foreign keys of `table` (once per table object). Throws no `CacheError`. */
export function learnForeignKeys(table: Table): void {
  if (learned.has(table)) return;
  learned.add(table);
  for (const [child, parent] of changingForeignKeys(table)) learnReference(child, parent);
}

/** Records that a write to `parent` changes rows of `child` (table names as Drizzle gives them). Never throws. */
export function learnReference(child: string, parent: string): void {
  let children = referencing.get(parent);
  if (children === undefined) {
    children = new Set();
    referencing.set(parent, children);
  }
  children.add(child);
}

/**
 * The changing foreign keys declared in the database (`pg_constraint`), whether or not a Drizzle
 * table declares them: `[referencing, referenced]` names, schema-qualified outside `public`.
 */
export const CATALOG_FOREIGN_KEYS = `select
  case when cn.nspname = 'public' then c.relname else cn.nspname || '.' || c.relname end as referencing,
  case when pn.nspname = 'public' then p.relname else pn.nspname || '.' || p.relname end as referenced
from pg_constraint k
join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace
join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
where k.contype = 'f' and (k.confdeltype in ('c', 'n', 'd') or k.confupdtype in ('c', 'n', 'd'))`;

/**
 * The written tables and every table a write to them changes through a known foreign-key action,
 * transitively (a cascade can cascade further). Never throws.
 *
 * @example
 * withCascades(["users"]); // ["users", "posts", "comments"] when posts → users and comments → posts cascade
 */
export function withCascades(tables: Iterable<string>): string[] {
  const found = new Set(tables);
  for (const table of found) for (const child of referencing.get(table) ?? []) found.add(child);
  return [...found];
}

/** How a wrapped database's catalog is read, and when it last was, by the Drizzle cache it serves. */
const catalogs = new WeakMap<object, { read: () => Promise<unknown[]>; readAt: number; warned: boolean }>();

/** How often (ms, by the engine's clock) a database's catalog is read again: new constraints show up within this. */
export const CATALOG_REFRESH: Milliseconds = 60_000;

/** Gives `owner` (a `HydraDrizzleCache`) a way to read its database's foreign keys ({@link CATALOG_FOREIGN_KEYS}). Never throws. */
export function attachCatalog(owner: object, read: () => Promise<unknown[]>): void {
  catalogs.set(owner, { read, readAt: Number.NEGATIVE_INFINITY, warned: false });
}

/**
 * Learns the foreign keys declared in `owner`'s database, unless they were read less than
 * {@link CATALOG_REFRESH} ago (`now` is the engine's clock). Called after a write completed,
 * never inside a transaction. A failed read (no access to `pg_catalog`, say) leaves the keys
 * known from Drizzle's tables, and is reported once with `console.warn`. Never rejects.
 */
export async function refreshCatalog(owner: object, now: number): Promise<void> {
  const catalog = catalogs.get(owner);
  if (catalog === undefined || now - catalog.readAt < CATALOG_REFRESH) return;
  catalog.readAt = now;
  try {
    for (const row of await catalog.read()) {
      const { referencing, referenced } = row as { referencing: string; referenced: string };
      learnReference(referencing, referenced);
    }
  } catch (error) {
    if (catalog.warned) return;
    catalog.warned = true;
    console.warn(
      `hydracache: cannot read the database's foreign keys (${String(error)}); writes invalidate only the cascades Drizzle's tables declare`,
    );
  }
}
