// What cache-manager 7 (in-memory Keyv store) does, as the README and docs/migrating.md describe
// it. Run alone: node --import tsx node_modules/uvu/bin.js test/peers cache-manager
import { createCache } from "cache-manager";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { sleep, waitFor } from "../core/helpers.ts";
import { gate, outcome, turn } from "./gate.ts";

test("cache-manager: concurrent wrap() misses share one function call", async () => {
  const cache = createCache();
  let loads = 0;
  const row = gate<string>();
  const load = () => {
    loads++;
    return row.promise;
  };
  const callers = Array.from({ length: 10 }, () => cache.wrap("user:1", load));
  row.open("Ada");
  assert.equal(await Promise.all(callers), Array(10).fill("Ada"));
  assert.is(loads, 1);
  assert.is(await cache.wrap("user:1", load), "Ada");
  assert.is(loads, 1);
});

test("cache-manager: a wrap() overtaken by del() stores the stale result anyway", async () => {
  const cache = createCache();
  const row = gate<string>();
  const pending = outcome(cache.wrap("user:1", () => row.promise));
  await turn();
  await cache.del("user:1"); // the row changed while the query ran
  row.open("row read before the write");
  assert.equal(await pending, ["resolved", "row read before the write"]);
  assert.is(await cache.get("user:1"), "row read before the write"); // served until its TTL
});

test("cache-manager: a wrap() overtaken by clear() stores the stale result anyway", async () => {
  const cache = createCache();
  const row = gate<string>();
  const pending = outcome(cache.wrap("user:1", () => row.promise));
  await turn();
  await cache.clear();
  row.open("row read before the write");
  assert.equal(await pending, ["resolved", "row read before the write"]);
  assert.is(await cache.get("user:1"), "row read before the write");
});

test("cache-manager: no tags (no tag option, no invalidate-by-tag call)", () => {
  const cache = createCache();
  for (const name of ["invalidateTag", "deleteByTag", "invalidateTags", "delByTag"]) {
    assert.is(name in cache, false, name);
  }
});

test("cache-manager: with the in-memory store every caller gets the same object", async () => {
  const cache = createCache();
  await cache.set("user:1", { name: "Ada" });
  const first = await cache.get<{ name: string }>("user:1");
  assert.ok(first !== undefined && first === (await cache.get("user:1")));
});

test("cache-manager: ttl is in milliseconds; get() of a missing key is undefined", async () => {
  const cache = createCache();
  await cache.set("short", "v", 20);
  assert.is(await cache.get("short"), "v");
  assert.is((await cache.ttl("short")) !== undefined, true);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.is(await cache.get("short"), undefined);
  assert.is(await cache.get("never-set"), undefined);
});

test("cache-manager: a failed wrap() function rejects the caller and stores nothing", async () => {
  const cache = createCache();
  assert.equal(await outcome(cache.wrap("user:1", () => Promise.reject(new Error("database down")))), [
    "rejected",
    "database down",
  ]);
  assert.is(await cache.get("user:1"), undefined);
});

test("cache-manager: mget/mset/mdel work on several keys at once", async () => {
  const cache = createCache();
  await cache.mset([
    { key: "a", value: 1 },
    { key: "b", value: 2 },
  ]);
  assert.equal(await cache.mget(["a", "b", "c"]), [1, 2, undefined]);
  await cache.mdel(["a", "b"]);
  assert.equal(await cache.mget(["a", "b"]), [undefined, undefined]);
});

test("cache-manager: wrap() with a refreshThreshold returns the cached value and refreshes behind it", async () => {
  const cache = createCache();
  let version = 0;
  const load = async () => ++version;
  // Wide margins, so a loaded machine cannot make the entry expire instead: TTL 2 s, threshold 1.8 s.
  assert.is(await cache.wrap("k", load, 2_000, 1_800), 1);
  await sleep(300); // under 1.7 s left: under the threshold
  assert.is(await cache.wrap("k", load, 2_000, 1_800), 1);
  await waitFor("the refresh behind the caller", () => version === 2, 1_000);
  assert.is(await cache.wrap("k", load, 2_000, 1_800), 2);
});

test("cache-manager: emits del and clear events", async () => {
  const cache = createCache();
  const events: string[] = [];
  cache.on("del", ({ key }: { key: string }) => events.push(`del ${key}`));
  cache.on("clear", () => events.push("clear"));
  await cache.set("a", 1);
  await cache.del("a");
  await cache.clear();
  assert.equal(events, ["del a", "clear"]);
});

test.run();
