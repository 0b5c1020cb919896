// Type tests for the PUBLISHED declarations: "hydracache", "hydracache/db" and "hydracache/drizzle"
// resolve through the package's own exports to dist/*.d.ts (run `node build.mjs` first), with no
// @types/node, as a Deno, browser or workerd user sees them. `tsc -p test/types` fails when an
// expectation breaks, and when a `@ts-expect-error` line stops being an error.

import { eq } from "drizzle-orm";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import {
  type CacheError,
  type CacheErrorCode,
  CacheOptions,
  type CacheStats,
  HydraCache,
  TagSet,
  type TypedCache,
} from "hydracache";
import { DbCache, type DbQuery, defineEntity } from "hydracache/db";
import {
  DrizzleDbCache,
  HydraDrizzleCache,
  hydraDrizzle,
  type tableTag,
  withHydraCache,
} from "hydracache/drizzle";

/** `true` only when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<V>() => V extends A ? 1 : 2) extends <V>() => V extends B ? 1 : 2 ? true : false;
declare function expectType<A, B>(check: Equal<A, B>): void;

interface User {
  id: number;
  name: string;
}
declare const user: User;
declare function loadUser(id: number): Promise<User>;

const cache: HydraCache = HydraCache.local().defaultTtl(60_000).maxCapacity(100).build();

// get<T> is T | undefined: a miss is always possible.
expectType<Promise<User | undefined>, ReturnType<typeof cache.get<User>>>(true);
const got = await cache.get<User>("user:1");
// @ts-expect-error a get result may be undefined
got.name;
expectType<Promise<unknown>, ReturnType<typeof cache.get>>(true);

// getOrLoad infers T from the loader, sync or async, with or without options.
expectType<User, Awaited<ReturnType<typeof cache.getOrLoad<User>>>>(true);
const loaded = await cache.getOrLoad("user:1", () => loadUser(1));
expectType<User, typeof loaded>(true);
const syncLoaded = await cache.getOrLoad("n", { ttl: 1_000, tags: ["t"] }, () => 42);
expectType<number, typeof syncLoaded>(true);
const aliased = await cache.tryGetOrInsertWith("user:1", new CacheOptions().tag("users"), () => loadUser(1));
expectType<User, typeof aliased>(true);
// @ts-expect-error an explicit T must match what the loader returns
await cache.getOrLoad<User>("user:1", () => 42);

// put keeps T; options are a CacheOptions or { ttl?, tags? }.
await cache.put<User>("user:1", user, { ttl: 1_000, tags: new TagSet().entity("user", 1) });
await cache.put("user:1", user, new CacheOptions().ttl(1_000).tags(["users"]));
// @ts-expect-error put<User> rejects another shape
await cache.put<User>("user:1", { id: "1" });
// @ts-expect-error ttl is a number of milliseconds
await cache.put("k", 1, { ttl: "1m" });
// @ts-expect-error tags are strings
await cache.put("k", 1, { tags: [1, 2] });
// @ts-expect-error an unknown option is a mistake, not ignored
await cache.put("k", 1, { ttll: 1_000 });
// @ts-expect-error a key is a string
await cache.get(42);
// @ts-expect-error a loader is a function
await cache.getOrLoad("k", { ttl: 1 }, 42);

// Builders take milliseconds and counts.
// @ts-expect-error defaultTtl takes a number
HydraCache.local().defaultTtl("5m");
// @ts-expect-error maxCapacity takes a number
HydraCache.local().maxCapacity("many");

// Typed views keep T.
const users = cache.typed<User>("users");
expectType<TypedCache<User>, typeof users>(true);
expectType<User | undefined, Awaited<ReturnType<typeof users.get>>>(true);
const viewLoaded = await users.getOrLoad("1", () => loadUser(1));
expectType<User, typeof viewLoaded>(true);
await users.put("1", user, { tags: ["users"] });
// @ts-expect-error a typed view stores only its T
await users.put("1", { id: 1 });
// @ts-expect-error a typed view's loader must return its T
await users.getOrLoad("1", () => "not a user");

// Stats and errors are data.
const stats: CacheStats = cache.stats();
expectType<number, typeof stats.staleLoadDiscards>(true);
declare const cacheError: CacheError;
expectType<CacheErrorCode, typeof cacheError.code>(true);
const code: CacheErrorCode = "LOADER_FAILED";
// @ts-expect-error codes are a closed union
const wrongCode: CacheErrorCode = "LOADER_FAILURE";

// hydracache/db keeps the row type through descriptors and row helpers.
const queries = new DbCache(cache, "db");
const User = defineEntity<User, number>({ entity: "user", collection: "users" });
const one: DbQuery<User> = queries.forEntity(User, 42);
expectType<User, Awaited<ReturnType<typeof one.fetchWith>>>(true);
// @ts-expect-error an entity id has the descriptor's id type
queries.forEntity(User, "42");
const fetched = await queries.entity<User>("user", 42).fetchWith(() => loadUser(42));
expectType<User, typeof fetched>(true);
const all = await queries.collection<User>("users").fetchAll(() => [user, user]);
expectType<User[], typeof all>(true);
// T is the row type: the row helpers resolve to T, and a source whose rows are not T does not compile.
const typedOne = await queries.entity<User>("user", 1).fetchOne(async () => [user]);
expectType<User, typeof typedOne>(true);
const typedFirst = await queries.forEntity(User, 1).fetchOne(async () => user);
expectType<User, typeof typedFirst>(true);
// @ts-expect-error rows without `name` are not Users
await queries.entity<User>("user", 1).fetchOne(async () => [{ id: 1 }]);
// @ts-expect-error a descriptor's row type binds its source too
await queries.forEntity(User, 1).fetchAll(() => [{ id: "1", name: "ada" }]);
// @ts-expect-error T is the row type, not an array of rows (collection<User>, not collection<User[]>)
await queries.collection<User[]>("users").fetchAll(() => [user]);
const untyped = await queries.entity("user", 1).fetchOptional(() => [{ id: 1, name: "ada" }]);
expectType<{ id: number; name: string } | null, typeof untyped>(true);
const maybe = await queries
  .cached<User>()
  .key("k")
  .fetchOptional(async () => [user]);
expectType<User | null, typeof maybe>(true);

export { code, wrongCode };

// hydracache/drizzle: row types come from the Drizzle query; options are checked.
const usersTable = pgTable("users", { id: integer("id").primaryKey(), name: text("name").notNull() });
declare const pg: PgliteDatabase;
const drizzleQueries = new DrizzleDbCache(cache, "db");
const drizzleRows = await drizzleQueries.cached().fetchAll(pg.select().from(usersTable));
expectType<{ id: number; name: string }[], typeof drizzleRows>(true);
const drizzleRow = await drizzleQueries
  .entity("user", 1)
  .fetchOne(pg.select().from(usersTable).where(eq(usersTable.id, 1)));
expectType<{ id: number; name: string }, typeof drizzleRow>(true);
const typedDrizzleRow = await drizzleQueries
  .entity<User>("user", 1)
  .fetchOne(pg.select().from(usersTable).where(eq(usersTable.id, 1)));
expectType<User, typeof typedDrizzleRow>(true);
// @ts-expect-error the query selects only ids: its rows are not Users
await drizzleQueries.entity<User>("user", 1).fetchOne(pg.select({ id: usersTable.id }).from(usersTable));
expectType<string, ReturnType<typeof tableTag>>(true);
const cachedDb: PgliteDatabase = withHydraCache(pg);
// hydraDrizzle returns the database's own type.
const safeDb = hydraDrizzle(pg, cache, { strategy: "all" });
expectType<PgliteDatabase, typeof safeDb>(true);
// @ts-expect-error hydraDrizzle takes a Drizzle database
hydraDrizzle({ not: "a database" }, cache);
// @ts-expect-error the second argument is the HydraCache engine
hydraDrizzle(pg, new HydraDrizzleCache(cache));
new HydraDrizzleCache(cache, { strategy: "all", ttl: 60_000, namespace: "drizzle" });
// @ts-expect-error strategy is "explicit" or "all"
new HydraDrizzleCache(cache, { strategy: "always" });
// @ts-expect-error ttl is a number of milliseconds
new HydraDrizzleCache(cache, { ttl: "1m" });

export { cachedDb };

// 0.2: tags must be a list, never a bare string (a string is an iterable of characters).
// @ts-expect-error tags: "users" would tag the entry u, s, e, r
await cache.put("k", 1, { tags: "users" });
await cache.put("k", 1, { tags: ["users"], staleWhileRevalidate: 1_000, staleIfError: 60_000 });
// The loader receives its key and an abort signal.
const contextual = await cache.getOrLoad(
  "k",
  { timeout: 100 },
  ({ key, signal }) => `${key}:${signal.aborted}`,
);
expectType<string, typeof contextual>(true);
const unsubscribe = cache.subscribe((event) => {
  expectType<"local" | "remote", typeof event.origin>(true);
});
unsubscribe();
cache.applyInvalidation({ tags: ["users"] });
expectType<number, CacheStats["bytes"]>(true);
