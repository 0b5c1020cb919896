/**
 * @module hydracache/db — database-neutral query-result caching over the one shared engine:
 * descriptors (key, tags, TTL) for what a database returns, entity and collection conventions
 * (`user:42`, `users`), and row helpers that run a query builder only on a miss.
 *
 * @example
 * import { HydraCache } from "hydracache";
 * import { DbCache, defineEntity } from "hydracache/db";
 *
 * const cache = HydraCache.local().build();
 * const queries = new DbCache(cache, "db");
 * const User = defineEntity<UserRow, number>({ entity: "user", collection: "users" });
 *
 * const user = await queries.forEntity(User, 42).fetchOne(() => repo.rowsById(42)); // key db:user:42
 * const all = await queries.collection<UserRow>("users").fetchAll(() => repo.list()); // key db:users
 * await queries.invalidateEntity(User, 42);   // drops every result tagged user:42
 * await queries.invalidateCollection("users"); // drops every result tagged users
 */
export { DbCache } from "./db-cache.ts";
export type { EntityDefinition, EntityDescriptor, EntityId } from "./entity.ts";
export { defineEntity } from "./entity.ts";
export { DbQuery } from "./query.ts";
export type { RowHelper, RowOf, RowResult, RowSource, RowSourceDefaults, RowsFor } from "./rows.ts";
