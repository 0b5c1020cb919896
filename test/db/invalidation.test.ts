import { test } from "uvu";
import * as assert from "uvu/assert";
import { DbCache, defineEntity } from "../../src/db/index.ts";
import { HydraCache } from "../../src/index.ts";

interface User {
  id: number;
  name: string;
}

const User = defineEntity<User, number>({ entity: "user", collection: "users" });

function setup() {
  const cache = HydraCache.local().build();
  const queries = new DbCache(cache, "db");
  let loads = 0;
  const load =
    (id: number, name = `user-${id}`) =>
    () => {
      loads++;
      return { id, name };
    };
  return { cache, queries, load, loads: () => loads };
}

test("invalidateEntity(kind, id): removes every result tagged kind:id, the same as cache.invalidateTag", async () => {
  const { cache, queries, load } = setup();
  await queries.entity<User>("user", 1).fetchWith(load(1));
  await queries.cached<User>().key("profile:1").tag("user:1").fetchWith(load(1));
  await queries.entity<User>("user", 2).fetchWith(load(2));
  assert.is(await queries.invalidateEntity("user", 1), 2);
  assert.is(await cache.containsKey("db:user:1"), false);
  assert.is(await cache.containsKey("db:profile:1"), false);
  assert.is(await cache.containsKey("db:user:2"), true);
  assert.is(await queries.invalidateEntity("user", 1), 0);
});

test("invalidateEntity: the next fetch loads again and sees the new value", async () => {
  const { queries, load, loads } = setup();
  assert.equal(await queries.forEntity(User, 1).fetchWith(load(1, "Ada")), { id: 1, name: "Ada" });
  assert.equal(await queries.forEntity(User, 1).fetchWith(load(1, "Grace")), { id: 1, name: "Ada" });
  await queries.invalidateEntity(User, 1);
  assert.equal(await queries.forEntity(User, 1).fetchWith(load(1, "Grace")), { id: 1, name: "Grace" });
  assert.is(loads(), 2);
});

test("invalidateEntity(descriptor, id): uses the descriptor's entity tag", async () => {
  const { cache, queries, load } = setup();
  await queries.forEntity(User, 42).fetchWith(load(42));
  assert.is(await queries.invalidateEntity(User, 42), 1);
  assert.is(await cache.containsKey("db:user:42"), false);
});

test("invalidateEntity: kind and id are escaped like the keys and tags they match", async () => {
  const { queries, load } = setup();
  await queries.entity<User>("a:b", "c:d").fetchWith(load(1));
  assert.is(await queries.invalidateEntity("a", "b:c:d"), 0);
  assert.is(await queries.invalidateEntity("a:b", "c:d"), 1);
});

test("invalidateCollection(name): removes every result tagged with the collection", async () => {
  const { cache, queries, load } = setup();
  await queries.collection<User[]>("users").fetchWith(() => [load(1)()]);
  await queries.forEntity(User, 1).fetchWith(load(1));
  await queries.entity<User>("user", 2).collectionTag("users").fetchWith(load(2));
  await queries.entity<User>("team", 1).fetchWith(load(1));
  assert.is(await queries.invalidateCollection("users"), 3);
  assert.is(await cache.containsKey("db:team:1"), true);
  assert.is(await queries.invalidateCollection("users"), 0);
});

test("invalidateCollection(descriptor): uses the descriptor's collection tag", async () => {
  const { queries, load } = setup();
  await queries.forEntity(User, 1).fetchWith(load(1));
  await queries.forEntity(User, 2).fetchWith(load(2));
  assert.is(await queries.invalidateCollection(User), 2);
});

test("invalidateCollection: the name is escaped like collection() escapes it", async () => {
  const { queries } = setup();
  await queries.collection<number>("tenant:7").fetchWith(() => 1);
  assert.is(await queries.invalidateCollection("tenant"), 0);
  assert.is(await queries.invalidateCollection("tenant:7"), 1);
});

test("tags are not namespaced: cache.invalidateTag reaches db results, and one DbCache's invalidation reaches another's", async () => {
  const { cache, queries, load } = setup();
  const other = new DbCache(cache, "replica");
  await queries.entity<User>("user", 1).fetchWith(load(1));
  await other.entity<User>("user", 1).fetchWith(load(1));
  await cache.typed<User>("plain").put("1", { id: 1, name: "x" }, { tags: ["user:1"] });
  assert.is(await cache.invalidateTag("user:1"), 3);
  await queries.entity<User>("user", 1).fetchWith(load(1));
  await other.entity<User>("user", 1).fetchWith(load(1));
  assert.is(await other.invalidateEntity("user", 1), 2);
});

test("invalidation counts reach the engine's stats", async () => {
  const { cache, queries, load } = setup();
  await queries.forEntity(User, 1).fetchWith(load(1));
  await queries.forEntity(User, 2).fetchWith(load(2));
  await queries.invalidateEntity(User, 1);
  await queries.invalidateCollection(User);
  assert.is(cache.stats().invalidations, 2);
});

test.run();
