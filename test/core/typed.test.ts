import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { CacheKeyBuilder, HydraCache } from "../../src/index.ts";
import { rejectsWith } from "./helpers.ts";

interface User {
  id: number;
  name: string;
}

test("typed: keys live under namespace:key in the shared engine", async () => {
  const cache = HydraCache.local().build();
  const users = cache.typed<User>("users");
  await users.put("42", { id: 42, name: "Ada" });
  assert.equal(await cache.get("users:42"), { id: 42, name: "Ada" });
  assert.equal(await users.get("42"), { id: 42, name: "Ada" });
  assert.is(users.key("42"), "users:42");
  assert.is(users.namespace, "users");
});

test("typed: the namespace is escaped as one segment, so namespaces never collide", async () => {
  const cache = HydraCache.local().build();
  const nested = cache.typed<string>("a:b");
  const plain = cache.typed<string>("a");
  await nested.put("c", "nested");
  await plain.put("b:c", "plain");
  assert.is(nested.key("c"), "a%3Ab:c");
  assert.is(await nested.get("c"), "nested");
  assert.is(await plain.get("b:c"), "plain");
});

test("typed: keyFrom builds from a CacheKeyBuilder; an empty builder is the namespace itself", () => {
  const users = HydraCache.local().build().typed<User>("users");
  assert.is(users.keyFrom(new CacheKeyBuilder()), "users");
  assert.is(users.keyFrom(new CacheKeyBuilder().tenant(7).entity("user", 1)), "users:tenant:7:user:1");
});

test("typed: getOrLoad and aliases, containsKey, invalidateKey/remove", async () => {
  const cache = HydraCache.local().build();
  const users = cache.typed<User>("users");
  assert.equal(await users.getOrLoad("1", () => ({ id: 1, name: "a" })), { id: 1, name: "a" });
  assert.equal(await users.getOrLoad("2", { tags: ["users"] }, () => ({ id: 2, name: "b" })), {
    id: 2,
    name: "b",
  });
  assert.equal(await users.getOrInsertWith("3", () => ({ id: 3, name: "c" })), { id: 3, name: "c" });
  assert.equal(await users.getOrInsertWith("4", { ttl: 1000 }, () => ({ id: 4, name: "d" })), {
    id: 4,
    name: "d",
  });
  assert.equal(await users.tryGetOrInsertWith("5", async () => ({ id: 5, name: "e" })), { id: 5, name: "e" });
  assert.equal(await users.tryGetOrInsertWith("6", {}, async () => ({ id: 6, name: "f" })), {
    id: 6,
    name: "f",
  });
  assert.ok(await users.containsKey("1"));
  assert.ok(await users.invalidateKey("1"));
  assert.ok(await users.remove("3"));
  assert.not.ok(await users.containsKey("1"));
  assert.is(users.stats().loads, 6);
});

test("typed: tags and flush act on the shared engine", async () => {
  const cache = HydraCache.local().build();
  const users = cache.typed<number>("users");
  const posts = cache.typed<number>("posts");
  await users.put("1", 1, { tags: ["tenant:7"] });
  await posts.put("1", 1, { tags: ["tenant:7"] });
  await cache.put("raw", 1);
  assert.is(await users.invalidateTag("tenant:7"), 2);
  await posts.flush();
  assert.is(await cache.get("raw"), undefined);
  assert.equal(users.stats(), cache.stats());
});

test("typed: a namespace that is not a string, or keyFrom without a builder, is a CacheError", () => {
  const cache = HydraCache.local().build();
  for (const bad of [5, undefined, null]) {
    assert.throws(
      () => cache.typed(bad as never),
      (error: Error & { code?: string }) =>
        error.code === "INVALID_OPTIONS" && /namespace/.test(error.message),
    );
  }
  for (const bad of [undefined, "user:1", { build: () => "x" }]) {
    assert.throws(
      () => cache.typed("users").keyFrom(bad as never),
      (error: Error & { code?: string }) => error.code === "INVALID_KEY" && /keyFrom/.test(error.message),
    );
  }
});

test("typed getOrLoad: bad options reject like the engine's, with nothing in flight", async () => {
  const cache = HydraCache.local().build();
  await rejectsWith(
    cache.typed<number>("ns").getOrLoad("k", { ttl: -1 }, () => 1),
    "INVALID_OPTIONS",
    /ttl/,
  );
  assert.is(inspectEngine(cache).inFlight, 0);
});

test.run();
