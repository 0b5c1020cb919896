// subscribe, applyInvalidation and TypedCache.clear: every invalidation reaches listeners after it
// took effect, with its origin; remote invalidations have the local calls' effect.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { type CacheEvent, HydraCache } from "../../src/index.ts";
import { gate, rejectsWith, settle } from "./helpers.ts";

function recorded(cache: HydraCache): CacheEvent[] {
  const events: CacheEvent[] = [];
  cache.subscribe((event) => events.push(event));
  return events;
}

test("subscribe: put, invalidateKey, invalidateTag and flush are reported as local invalidations", async () => {
  const cache = HydraCache.local().build();
  const events = recorded(cache);
  await cache.put("k", 1, { tags: ["t"] });
  await cache.invalidateKey("k");
  await cache.remove("gone"); // reported even when nothing was stored: another instance may hold it
  await cache.invalidateTag("t");
  await cache.flush();
  assert.equal(events, [
    { type: "invalidate", keys: ["k"], origin: "local" },
    { type: "invalidate", keys: ["k"], origin: "local" },
    { type: "invalidate", keys: ["gone"], origin: "local" },
    { type: "invalidate", tags: ["t"], origin: "local" },
    { type: "invalidate", all: true, origin: "local" },
  ]);
});

test("subscribe: the listener runs after the change took effect", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", "old", { tags: ["t"] });
  const seen: unknown[] = [];
  cache.subscribe(() => {
    void cache.containsKey("k").then((present) => seen.push(present));
  });
  await cache.invalidateTag("t");
  await settle();
  assert.equal(seen, [false]);
});

test("subscribe: the returned function unsubscribes; a throwing listener stops neither the others nor the change", async () => {
  const cache = HydraCache.local().build();
  const thrown: unknown[] = [];
  const onUncaught = (error: unknown) => thrown.push(error);
  process.on("uncaughtException", onUncaught);
  try {
    cache.subscribe(() => {
      throw new Error("listener bug");
    });
    const events = recorded(cache);
    const other: CacheEvent[] = [];
    const unsubscribe = cache.subscribe((event) => other.push(event));
    await cache.put("k", 1);
    unsubscribe();
    await cache.put("k", 2);
    await settle();
    assert.is(events.length, 2);
    assert.is(other.length, 1);
    assert.is(await cache.get("k"), 2);
    assert.is(thrown.length, 2);
    assert.match(String(thrown[0]), /listener bug/);
  } finally {
    process.off("uncaughtException", onUncaught);
  }
  assert.throws(() => cache.subscribe("nope" as never), /subscribe needs a function/);
});

test("applyInvalidation: removes keys, tags or everything, makes covering loads stale, and reports origin remote", async () => {
  const cache = HydraCache.local().build();
  const events = recorded(cache);
  await cache.put("a", 1);
  await cache.put("b", 2, { tags: ["users"] });
  await cache.put("c", 3);
  const slow = gate<number>();
  const loading = cache.getOrLoad("d", { tags: ["users"] }, () => slow.promise);
  events.length = 0;
  cache.applyInvalidation({ keys: ["a"], tags: ["users"] });
  assert.is(await cache.get("a"), undefined);
  assert.is(await cache.get("b"), undefined);
  assert.is(await cache.get("c"), 3);
  slow.open(4);
  assert.is(await loading, 4); // its caller still gets it
  assert.is(await cache.get("d"), undefined); // but an overtaken load is never stored
  cache.applyInvalidation({ all: true });
  assert.is(inspectEngine(cache).entries, 0);
  assert.equal(events, [
    { type: "invalidate", keys: ["a"], tags: ["users"], origin: "remote" },
    { type: "invalidate", all: true, origin: "remote" },
  ]);
  const stats = cache.stats();
  assert.is(stats.invalidations, 2);
  assert.is(stats.staleLoadDiscards, 1);
});

test("applyInvalidation: anything but { keys?, tags?, all? } throws INVALID_OPTIONS and changes nothing", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", 1);
  for (const bad of [null, "k", { key: "k" }, { keys: "k" }, { tags: [1] }, { all: "yes" }]) {
    assert.throws(
      () => cache.applyInvalidation(bad as never),
      (error: Error) => /INVALID|must|unknown|needs/.test(error.message),
    );
  }
  assert.is(await cache.get("k"), 1);
});

test("TypedCache.clear: removes only its namespace's entries and makes its loads stale", async () => {
  const cache = HydraCache.local().build();
  const users = cache.typed<{ id: number }>("users");
  const posts = cache.typed<{ id: number }>("posts");
  await users.put("1", { id: 1 });
  await posts.put("1", { id: 1 });
  await cache.put("plain", 1);
  const slow = gate<{ id: number }>();
  const loading = users.getOrLoad("2", () => slow.promise);
  assert.is(await users.clear(), 1);
  slow.open({ id: 2 });
  assert.equal(await loading, { id: 2 });
  assert.is(await users.get("1"), undefined);
  assert.is(await users.get("2"), undefined);
  assert.equal(await posts.get("1"), { id: 1 });
  assert.is(await cache.get("plain"), 1);
  // A view of the same namespace shares it.
  await users.put("3", { id: 3 });
  assert.is(await cache.typed("users").clear(), 1);
  assert.is(await users.get("3"), undefined);
});

test("TypedCache.clear reaches other instances: its event names the namespace tag", async () => {
  const a = HydraCache.local().build();
  const b = HydraCache.local().build();
  a.subscribe((event) => {
    if (event.origin === "local") b.applyInvalidation(event);
  });
  await b.typed("users").put("1", { id: 1 });
  await a.typed("users").clear();
  assert.is(await b.typed("users").get("1"), undefined);
});

test("put: an invalid value or option rejects and reports nothing", async () => {
  const cache = HydraCache.local().build();
  const events = recorded(cache);
  await rejectsWith(cache.put("k", undefined), "INVALID_VALUE");
  await rejectsWith(
    cache.put("k", 1, { ttlMs: 5 } as never),
    "INVALID_OPTIONS",
    /unknown option "ttlMs".*ttl, tags/,
  );
  assert.is(events.length, 0);
});

test.run();
