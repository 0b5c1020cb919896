// What lru-cache 11 does, as the README and docs/migrating.md describe it. Run alone:
//   node --import tsx node_modules/uvu/bin.js test/peers lru-cache
import { LRUCache } from "lru-cache";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gate, outcome } from "./gate.ts";

test("lru-cache: concurrent fetch() misses share one fetchMethod call", async () => {
  let loads = 0;
  const row = gate<string>();
  const cache = new LRUCache<string, string>({
    max: 100,
    fetchMethod: () => {
      loads++;
      return row.promise;
    },
  });
  const callers = Array.from({ length: 10 }, () => cache.fetch("user:1"));
  row.open("Ada");
  assert.equal(await Promise.all(callers), Array(10).fill("Ada"));
  assert.is(loads, 1);
  assert.is(await cache.fetch("user:1"), "Ada");
  assert.is(loads, 1);
});

test("lru-cache: delete() during a fetch discards its result and rejects every caller", async () => {
  const row = gate<string>();
  const cache = new LRUCache<string, string>({ max: 100, fetchMethod: () => row.promise });
  const first = outcome(cache.fetch("user:1"));
  const second = outcome(cache.fetch("user:1"));
  cache.delete("user:1"); // the row changed while the query ran
  row.open("row read before the write");
  assert.equal(await first, ["rejected", "deleted"]);
  assert.equal(await second, ["rejected", "deleted"]);
  assert.is(cache.get("user:1"), undefined); // the stale row was not stored
});

test("lru-cache: set() during a fetch keeps the new value and rejects the fetch", async () => {
  const row = gate<string>();
  const cache = new LRUCache<string, string>({ max: 100, fetchMethod: () => row.promise });
  const pending = outcome(cache.fetch("user:1"));
  cache.set("user:1", "written");
  row.open("row read before the write");
  assert.equal(await pending, ["rejected", "replaced"]);
  assert.is(cache.get("user:1"), "written");
});

test("lru-cache: clear() during a fetch discards its result", async () => {
  const row = gate<string>();
  const cache = new LRUCache<string, string>({ max: 100, fetchMethod: () => row.promise });
  const pending = outcome(cache.fetch("user:1"));
  cache.clear();
  row.open("row read before the write");
  assert.equal(await pending, ["rejected", "deleted"]);
  assert.is(cache.get("user:1"), undefined);
});

test("lru-cache: no tags: invalidating a group means knowing and deleting each key", () => {
  const cache = new LRUCache<string, string>({ max: 100 });
  assert.is("invalidateTag" in cache || "deleteByTag" in cache, false);
  // set()'s options have no tags either: the options object lists ttl, size, noDisposeOnSet, …
  cache.set("user:1", "Ada", { ttl: 1_000 });
  assert.is(cache.get("user:1"), "Ada");
});

test("lru-cache: every caller gets the same object (a shared reference, not a copy)", async () => {
  const cache = new LRUCache<string, { name: string }>({
    max: 100,
    fetchMethod: async () => ({ name: "Ada" }),
  });
  const first = await cache.fetch("user:1");
  const second = await cache.fetch("user:1");
  assert.ok(first !== undefined && first === second);
  first.name = "changed by one caller";
  assert.is(cache.get("user:1")?.name, "changed by one caller");
});

test("lru-cache: a failed fetchMethod rejects the caller and stores nothing", async () => {
  let loads = 0;
  const cache = new LRUCache<string, string>({
    max: 100,
    fetchMethod: async () => {
      loads++;
      if (loads === 1) throw new Error("database down");
      return "Ada";
    },
  });
  assert.equal(await outcome(cache.fetch("user:1")), ["rejected", "database down"]);
  assert.is(await cache.fetch("user:1"), "Ada");
  assert.is(loads, 2);
});

test("lru-cache: ttl is in milliseconds; max bounds the entry count", async () => {
  let now = 10_000; // lru-cache reads a start time of 0 as "no TTL"
  const cache = new LRUCache<string, string>({
    max: 2,
    ttl: 1_000,
    ttlResolution: 0,
    perf: { now: () => now },
  });
  cache.set("a", "1");
  cache.set("b", "2");
  cache.set("c", "3");
  assert.is(cache.size, 2);
  assert.is(cache.has("a"), false); // least recently used went first
  now = 10_999;
  assert.is(cache.get("b"), "2");
  now = 11_001;
  assert.is(cache.get("b"), undefined);
});

test("lru-cache: allowStale: a fetch past the TTL returns the stale value and refreshes behind it", async () => {
  let now = 10_000;
  let version = 0;
  const cache = new LRUCache<string, number>({
    max: 10,
    ttl: 1_000,
    ttlResolution: 0,
    perf: { now: () => now },
    allowStale: true,
    fetchMethod: async () => ++version,
  });
  assert.is(await cache.fetch("k"), 1);
  now += 2_000;
  assert.is(await cache.fetch("k"), 1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.is(cache.get("k"), 2);
  // No window: however old, a stale value still in the cache is served.
  now += 100_000_000;
  assert.is(await cache.fetch("k"), 2);
});

test("lru-cache: allowStaleOnFetchRejection: a failed fetch past the TTL returns the stale value", async () => {
  let now = 10_000;
  let up = true;
  const cache = new LRUCache<string, string>({
    max: 10,
    ttl: 1_000,
    ttlResolution: 0,
    perf: { now: () => now },
    allowStaleOnFetchRejection: true,
    fetchMethod: async () => {
      if (!up) throw new Error("database down");
      return "Ada";
    },
  });
  assert.is(await cache.fetch("k"), "Ada");
  now += 2_000;
  up = false;
  assert.is(await cache.fetch("k"), "Ada");
});

test("lru-cache: maxSize with sizeCalculation bounds the sum of sizes", () => {
  const cache = new LRUCache<string, string>({
    max: 100,
    maxSize: 10,
    sizeCalculation: (value) => value.length,
  });
  cache.set("a", "12345");
  cache.set("b", "12345");
  cache.set("c", "12345");
  assert.is(cache.calculatedSize, 10);
  assert.is(cache.has("a"), false);
});

test("lru-cache: fetch(key, { signal }): aborting rejects that caller with the signal's reason", async () => {
  const cache = new LRUCache<string, string>({ max: 10, fetchMethod: () => new Promise<string>(() => {}) });
  const controller = new AbortController();
  const pending = outcome(cache.fetch("k", { signal: controller.signal }));
  controller.abort(new Error("client gone"));
  assert.equal(await pending, ["rejected", "client gone"]);
});

test.run();
