/**
 * @module hydracache/drizzle — cache Drizzle ORM query results in hydracache: `hydraDrizzle`
 * builds a cached database whose writes and transactions invalidate by table without racing them,
 * and `DrizzleDbCache` describes results whose keys and table tags come from Drizzle queries.
 * Re-exports everything from `hydracache/db`.
 *
 * @example
 * import { drizzle } from "drizzle-orm/pglite";
 * import { HydraCache } from "hydracache";
 * import { DrizzleDbCache, hydraDrizzle } from "hydracache/drizzle";
 *
 * const cache = HydraCache.local().build();
 * const db = hydraDrizzle(drizzle(client), cache, { strategy: "all" });
 * await db.select().from(users); // cached, tagged table:users
 * const queries = new DrizzleDbCache(cache, "db");
 * const user = await queries.entity<User>("user", 1).fetchOne(db.select().from(users).where(eq(users.id, 1)));
 */
export * from "../db/index.ts";
export { DrizzleDbCache } from "./drizzle-db-cache.ts";
export { HydraDrizzleCache, type HydraDrizzleCacheOptions } from "./hydra-drizzle-cache.ts";
export { queryKey } from "./query-key.ts";
export { type TableRef, tableName, tableTag } from "./table-tag.ts";
export { type DrizzlePgDatabase, hydraDrizzle, withHydraCache } from "./with-hydra-cache.ts";
