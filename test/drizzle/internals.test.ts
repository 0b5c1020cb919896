// The Drizzle internals hydracache/drizzle relies on, checked directly: if a Drizzle upgrade
// changes any of them, these tests say which, before the adapter misbehaves.
import { eq, inArray, sql } from "drizzle-orm";
import { Cache, type MutationOption } from "drizzle-orm/cache/core";
import { alias, integer, pgSchema, pgTable, text } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  bypassCache,
  DERIVED_KEY,
  deriveExecutionKey,
  isWrappableDatabase,
  type PreparedQueryInternals,
  preparedTables,
  routeToDerivedKey,
  tablesInSql,
  tablesReadBy,
} from "../../src/drizzle/drizzle-internals.ts";
import { queryKey } from "../../src/drizzle/query-key.ts";

const users = pgTable("users", { id: integer("id").primaryKey(), name: text("name") });
const posts = pgTable("posts", { id: integer("id").primaryKey(), author: integer("author") });
const audit = pgSchema("app").table("audit", { id: integer("id") });
const db = drizzle.mock();

test("tablesReadBy: base table, joins, aliases, schemas, subqueries and sql fragments", () => {
  const author = alias(users, "author");
  assert.equal(tablesReadBy(db.select().from(users)), ["users"]);
  assert.equal(tablesReadBy(db.select().from(posts).leftJoin(author, eq(posts.author, author.id))).sort(), [
    "posts",
    "users",
  ]);
  assert.equal(tablesReadBy(db.select().from(audit)), ["app.audit"]);
  const inner = db.select({ id: posts.author }).from(posts);
  assert.equal(tablesReadBy(db.select().from(users).where(inArray(users.id, inner))).sort(), [
    "posts",
    "users",
  ]);
  assert.equal(
    tablesReadBy(db.select().from(users).where(sql`${users.id} in (select 1 from ${audit})`)).sort(),
    ["app.audit", "users"],
  );
  const sub = db.select().from(posts).as("sub");
  assert.equal(tablesReadBy(db.select().from(sub)), ["posts"]);
  assert.equal(tablesReadBy(undefined), []);
});

test("tablesInSql: from/join targets in Drizzle's quoted SQL, schema-qualified outside public", () => {
  const { sql: text } = db
    .select()
    .from(users)
    .innerJoin(audit, eq(audit.id, users.id))
    .where(sql`${users.id} in (select ${posts.author} from ${posts})`)
    .toSQL();
  assert.equal(tablesInSql(text).sort(), ["app.audit", "posts", "users"]);
  assert.equal(tablesInSql('select 1 from "public"."users" join "we""ird" on true'), ["users", 'we"ird']);
});

test("prepared queries expose getQuery() and the cacheConfig the wrapper routes to hydracache's key", () => {
  const prepared = db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare("p") as unknown as PreparedQueryInternals;
  assert.type(prepared.getQuery, "function");
  assert.equal(prepared.getQuery().params.length, 1);
  assert.ok("cacheConfig" in prepared, "prepared queries carry cacheConfig");
  prepared.cacheConfig = undefined;
  assert.is(deriveExecutionKey(prepared, { id: 1 }, queryKey), undefined, "no cacheConfig: not cached");
  prepared.cacheConfig = { enable: true, autoInvalidate: true };
  const derived = deriveExecutionKey(prepared, { id: 7n }, queryKey);
  assert.equal(derived?.tables, ["users"]);
  assert.is(derived?.key, queryKey(prepared.getQuery().sql, [7n]));
  assert.is(prepared.cacheConfig?.tag, DERIVED_KEY);
  prepared.cacheConfig = { enable: true, tag: "user-tag" };
  assert.is(deriveExecutionKey(prepared, {}, queryKey), undefined, "a user's $withCache({ tag }) is kept");
});

test("Drizzle databases have the session and transaction withHydraCache wraps", () => {
  assert.ok(isWrappableDatabase(db));
  assert.not.ok(isWrappableDatabase({}));
  assert.not.ok(isWrappableDatabase(null));
  const session = (db as unknown as { session: { prepareQuery: unknown } }).session;
  assert.type(session.prepareQuery, "function");
});

/** A Drizzle Cache that records which hooks Drizzle calls. */
class RecordingCache extends Cache {
  readonly calls: string[] = [];
  override strategy(): "all" {
    return "all";
  }
  override async get(key: string): Promise<undefined> {
    this.calls.push(`get ${key}`);
    return undefined;
  }
  override async put(key: string): Promise<void> {
    this.calls.push(`put ${key}`);
  }
  override async onMutate(params: MutationOption): Promise<void> {
    this.calls.push(`onMutate ${String(params.tables)}`);
  }
}

type WithQueryWithCache = PreparedQueryInternals & {
  queryWithCache(sql: string, params: unknown[], run: () => Promise<unknown>): Promise<unknown>;
};

test("prepared queries: queryMetadata.tables lists Drizzle's tracked tables (what a prepared source is tagged with)", () => {
  const prepared = db.select().from(users).innerJoin(posts, eq(posts.author, users.id)).prepare("pt");
  assert.equal(preparedTables(prepared).sort(), ["posts", "users"]);
  assert.equal(preparedTables(db.select().from(audit).prepare("pa")), ["app.audit"]);
  assert.equal(preparedTables({}), []);
});

test("queryWithCache: without cacheConfig a select skips get/put, and a write still calls onMutate first", async () => {
  const cache = new RecordingCache();
  const cached = drizzle.mock({ cache });
  const select = cached.select().from(users).prepare("s1") as unknown as WithQueryWithCache;
  bypassCache(select);
  assert.is(await select.queryWithCache("select 1", [1n], async () => "rows"), "rows");
  assert.equal(cache.calls, [], "no get, no put, no hashQuery (which throws on 1n)");
  const update = cached.update(users).set({ name: "x" }).prepare("u1") as unknown as WithQueryWithCache;
  bypassCache(update);
  await update.queryWithCache("update", [], async () => "done");
  assert.equal(cache.calls, ["onMutate users"]);
});

test("queryWithCache: a select routed to DERIVED_KEY reaches get as that tag, never hashing its parameters", async () => {
  const cache = new RecordingCache();
  const cached = drizzle.mock({ cache });
  const select = cached.select().from(users).prepare("s2") as unknown as WithQueryWithCache;
  routeToDerivedKey(select);
  assert.is(await select.queryWithCache("select 1", [1n], async () => "rows"), "rows");
  assert.equal(cache.calls, [`get ${DERIVED_KEY}`, `put ${DERIVED_KEY}`]);
  select.cacheConfig = { enable: true, tag: "mine" };
  routeToDerivedKey(select);
  assert.is(select.cacheConfig?.tag, "mine", "a user's $withCache({ tag }) is kept");
});

test.run();
