import { test } from "uvu";
import * as assert from "uvu/assert";
import { DbCache, DbQuery, defineEntity } from "../../src/db/index.ts";
import { CacheKeyBuilder, HydraCache, TagSet } from "../../src/index.ts";

const queries = () => new DbCache(HydraCache.local().build(), "db");

test("DbCache: exposes its namespace and the engine it wraps", () => {
  const cache = HydraCache.local().build();
  const db = new DbCache(cache, "db");
  assert.is(db.namespace, "db");
  assert.is(db.cache, cache);
  assert.is(db.cached().namespace, "db");
});

test("DbQuery: exposes its metadata (name, physical key, tags, TTL)", () => {
  const query = queries()
    .named<{ id: number }>("load-user")
    .keyBuilder(new CacheKeyBuilder().tenant(7).entity("user", 42))
    .tag("users")
    .tags(["users", "user:42", "tenant:7"])
    .ttl(30_000);
  assert.ok(query instanceof DbQuery);
  assert.is(query.name, "load-user");
  assert.is(query.physicalKey, "db:tenant:7:user:42");
  assert.equal(query.tagList, ["users", "user:42", "tenant:7"]);
  assert.equal(query.tags(), ["users", "user:42", "tenant:7"]);
  assert.is(query.ttlMs, 30_000);
});

test("DbQuery: a fresh query has no name, key, tags or TTL", () => {
  const query = queries().cached();
  assert.is(query.name, undefined);
  assert.is(query.physicalKey, undefined);
  assert.equal(query.tagList, []);
  assert.is(query.ttlMs, undefined);
});

test("DbQuery: tags is a read-only (frozen) array", () => {
  const query = queries().cached().tag("a");
  assert.ok(Object.isFrozen(query.tagList));
  assert.throws(() => (query.tagList as string[]).push("b"));
  assert.equal(query.tagList, ["a"]);
});

test("DbQuery: immutable, every builder call returns a new query and leaves the base unchanged", () => {
  const base = queries().cached<string>().key("base").tag("a").ttl(1_000);
  const changed = [
    base.key("other"),
    base.keyBuilder(CacheKeyBuilder.fromSegment("other")),
    base.tag("b"),
    base.tags(["b"]),
    base.tagSet(new TagSet().tag("b")),
    base.collectionTag("b"),
    base.forEntity("user", 1),
    base.ttl(2_000),
    base.withName("other"),
  ];
  for (const query of changed) assert.is.not(query, base);
  assert.is(base.physicalKey, "db:base");
  assert.equal(base.tagList, ["a"]);
  assert.is(base.ttlMs, 1_000);
  assert.is(base.name, undefined);
  assert.ok(Object.isFrozen(base.tagList));
});

test("DbQuery: frozen at run time, so even JavaScript callers cannot change a shared query", () => {
  const query = queries().named("shared").key("k");
  assert.ok(Object.isFrozen(query));
  assert.throws(() => {
    (query as { name: string }).name = "changed";
  }, TypeError);
  assert.is(query.name, "shared");
});

test("entity(kind, id): key and tag kind:id", () => {
  const query = queries().entity("user", 42);
  assert.is(query.physicalKey, "db:user:42");
  assert.equal(query.tagList, ["user:42"]);
});

test("entity(kind, id): string, number and bigint ids name the same entity", () => {
  const db = queries();
  for (const id of [42, 42n, "42"]) {
    assert.is(db.entity("user", id).physicalKey, "db:user:42");
    assert.equal(db.entity("user", id).tagList, ["user:42"]);
  }
  assert.is(db.entity("user", 12345678901234567890n).physicalKey, "db:user:12345678901234567890");
});

test("entity(kind, id): kind and id are escaped as key segments", () => {
  const query = queries().entity("a:b", "c%d:e");
  assert.is(query.physicalKey, "db:a%3Ab:c%25d%3Ae");
  assert.equal(query.tagList, ["a%3Ab:c%25d%3Ae"]);
  assert.is.not(queries().entity("a", "b:c").physicalKey, queries().entity("a:b", "c").physicalKey);
});

test("collection(name): key and tag name, escaped like entity", () => {
  assert.is(queries().collection("users").physicalKey, "db:users");
  assert.equal(queries().collection("users").tagList, ["users"]);
  const escaped = queries().collection("tenant:7%");
  assert.is(escaped.physicalKey, "db:tenant%3A7%25");
  assert.equal(escaped.tagList, ["tenant%3A7%25"]);
});

test("collectionTag(name): appends the escaped collection tag", () => {
  const query = queries().entity("user", 42).collectionTag("users").collectionTag("a:b");
  assert.equal(query.tagList, ["user:42", "users", "a%3Ab"]);
  assert.is(query.physicalKey, "db:user:42");
});

test("defineEntity: a frozen descriptor with entity, collection, key(id), tag(id) and collectionTag", () => {
  const User = defineEntity<{ id: number }, number>({ entity: "user", collection: "users" });
  assert.ok(Object.isFrozen(User));
  assert.is(User.entity, "user");
  assert.is(User.collection, "users");
  assert.is(User.key(42), "user:42");
  assert.is(User.tag(42), "user:42");
  assert.is(User.collectionTag, "users");
});

test("defineEntity: without a collection, collection and collectionTag are undefined", () => {
  const Session = defineEntity({ entity: "session" });
  assert.is(Session.collection, undefined);
  assert.is(Session.collectionTag, undefined);
  assert.is(Session.key("abc"), "session:abc");
});

test("defineEntity: entity and collection are escaped like keys", () => {
  const Odd = defineEntity<unknown, string>({ entity: "a:b", collection: "c%d" });
  assert.is(Odd.key("x:y"), "a%3Ab:x%3Ay");
  assert.is(Odd.tag("x:y"), "a%3Ab:x%3Ay");
  assert.is(Odd.collectionTag, "c%25d");
  assert.is(queries().forEntity(Odd, "x:y").physicalKey, `db:${Odd.key("x:y")}`);
});

test("forEntity(descriptor, id): key and entity tag, plus the collection tag", () => {
  const User = defineEntity<{ id: number }, number>({ entity: "user", collection: "users" });
  const query = queries().forEntity(User, 42);
  assert.is(query.physicalKey, "db:user:42");
  assert.equal(query.tagList, ["user:42", "users"]);
  const Session = defineEntity({ entity: "session" });
  assert.equal(queries().forEntity(Session, "s1").tagList, ["session:s1"]);
});

test("forEntity(kind, id): on DbCache and DbQuery, the same as entity(kind, id)", () => {
  const db = queries();
  assert.is(db.forEntity("user", 42).physicalKey, "db:user:42");
  assert.equal(db.forEntity("user", 42).tagList, ["user:42"]);
  assert.is(db.cached().forEntity("user", 42).physicalKey, "db:user:42");
  assert.equal(db.cached().forEntity("user", 42).tagList, ["user:42"]);
});

test("forEntity: keeps the tags already set", () => {
  const User = defineEntity({ entity: "user", collection: "users" });
  const query = queries().cached().tag("tenant:7").tags(["a", "b"]).forEntity(User, 42).forEntity("team", 3);
  assert.equal(query.tagList, ["a", "b", "user:42", "users", "team:3"]);
  assert.is(query.physicalKey, "db:team:3");
});

test("key(): an explicit key overrides the generated one, and keeps the generated tags", () => {
  const User = defineEntity({ entity: "user", collection: "users" });
  const db = queries();
  const query = db.forEntity(User, 42).key("profile:42");
  assert.is(query.physicalKey, "db:profile:42");
  assert.equal(query.tagList, ["user:42", "users"]);
  assert.is(db.entity("user", 1).key("custom").physicalKey, "db:custom");
  assert.is(
    db.collection("users").keyBuilder(new CacheKeyBuilder().segment("users").segment("page:2")).physicalKey,
    "db:users:page%3A2",
  );
});

test("key(): the key is used as given (not escaped); keyBuilder escapes its segments", () => {
  const db = queries();
  assert.is(db.cached().key("user:42").physicalKey, "db:user:42");
  assert.is(db.cached().keyBuilder(CacheKeyBuilder.fromSegment("user:42")).physicalKey, "db:user%3A42");
});

test("tags() and tagSet() replace the tag list; tag() and collectionTag() append", () => {
  const db = queries();
  const base = db.cached().tag("a").tag("b");
  assert.equal(base.tags(["c"]).tagList, ["c"]);
  assert.equal(base.tagSet(new TagSet().tag("d").entity("user", 1)).tagList, ["d", "user:1"]);
  assert.equal(base.tags(["c"]).tag("e").collectionTag("f").tagList, ["c", "e", "f"]);
  assert.equal(base.tags([]).tagList, []);
  assert.equal(base.tag("a").tagList, ["a", "b"], "duplicates are dropped");
});

test("tags are never namespaced", () => {
  const query = queries().cached().key("k").tag("users").forEntity("user", 1);
  assert.equal(query.tagList, ["users", "user:1"]);
  assert.ok(query.tagList.every((tag) => !tag.startsWith("db:")));
});

test("empty namespace: the physical key is the logical key, and results are stored under it", async () => {
  const cache = HydraCache.local().build();
  const db = new DbCache(cache, "");
  assert.is(db.namespace, "");
  assert.is(db.cached().key("one").physicalKey, "one");
  assert.is(db.entity("user", 42).physicalKey, "user:42");
  assert.is(db.collection("users").physicalKey, "users");
  await db.entity("user", 42).fetchWith(() => ({ id: 42 }));
  assert.equal(await cache.get("user:42"), { id: 42 });
});

test("namespace: escaped as one key segment, so namespaces never collide", () => {
  const cache = HydraCache.local().build();
  const nested = new DbCache(cache, "a:b").cached().key("c");
  const flat = new DbCache(cache, "a").cached().key("b:c");
  assert.is(nested.physicalKey, "a%3Ab:c");
  assert.is(flat.physicalKey, "a:b:c");
  assert.is(new DbCache(cache, "a:b").namespace, "a:b");
});

test("withName() and named(): set the diagnostic name; the last one wins", () => {
  const db = queries();
  assert.is(db.named("first").name, "first");
  assert.is(db.named("first").withName("second").name, "second");
  assert.is(db.cached().withName("later").name, "later");
  assert.is(db.entity("user", 1).withName("load").physicalKey, "db:user:1");
});

test("ttl(): sets the per-query TTL; Infinity means never expires", () => {
  const db = queries();
  assert.is(db.cached().ttl(5_000).ttlMs, 5_000);
  assert.is(db.cached().ttl(5_000).ttl(Number.POSITIVE_INFINITY).ttlMs, Number.POSITIVE_INFINITY);
});

test.run();
