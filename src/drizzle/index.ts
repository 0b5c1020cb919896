/**
 * @module hydracache/drizzle — cache Drizzle ORM query results in hydracache: descriptors whose
 * keys and table tags come from Drizzle queries (`DrizzleDbCache`), and a Drizzle `Cache`
 * (`HydraDrizzleCache` + `withHydraCache`) that invalidates by table on writes without racing
 * them and keeps transactions out of the cache. Re-exports everything from `hydracache/db`.
 *
 * @example
 * import { drizzle } from "drizzle-orm/pglite";
 * import { HydraCache } from "hydracache";
 * import { DrizzleDbCache, HydraDrizzleCache, withHydraCache } from "hydracache/drizzle";
 *
 * const cache = HydraCache.local().build();
 * const db = withHydraCache(drizzle(client, { cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
 * const queries = new DrizzleDbCache(cache, "db");
 * const rows = await queries.cached<User>().fetchAll(db.select().from(users));
 */
export * from "../db/index.ts";
export { DrizzleDbCache } from "./drizzle-db-cache.ts";
export { HydraDrizzleCache, type HydraDrizzleCacheOptions } from "./hydra-drizzle-cache.ts";
export { queryKey } from "./query-key.ts";
export { type TableRef, tableName, tableTag } from "./table-tag.ts";
export { withHydraCache } from "./with-hydra-cache.ts";
