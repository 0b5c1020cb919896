// What async-cache-dedupe 3 (memory storage with reference invalidation) does, as the README
// describes it. Run alone: node --import tsx node_modules/uvu/bin.js test/peers async-cache-dedupe
import { createCache } from "async-cache-dedupe";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gate, outcome, turn } from "./gate.ts";

function users(load: (id: number) => Promise<string>) {
  return createCache({ ttl: 60, storage: { type: "memory", options: { invalidation: true } } }).define(
    "user",
    { references: (args: number) => ["users", `user:${args}`] },
    load,
  );
}

test("async-cache-dedupe: concurrent calls share one function call", async () => {
  let loads = 0;
  const row = gate<string>();
  const cache = users(() => {
    loads++;
    return row.promise;
  });
  const callers = Array.from({ length: 10 }, () => cache.user(1));
  row.open("Ada");
  assert.equal(await Promise.all(callers), Array(10).fill("Ada"));
  assert.is(loads, 1);
});

test("async-cache-dedupe: references are tags: invalidateAll() drops the results carrying one", async () => {
  let version = 0;
  const cache = users(async () => `v${++version}`);
  assert.is(await cache.user(1), "v1");
  assert.is(await cache.user(1), "v1");
  await cache.invalidateAll(["users"]);
  assert.is(await cache.user(1), "v2");
});

test("async-cache-dedupe: a call overtaken by invalidateAll() stores the stale result anyway", async () => {
  let row = gate<string>();
  let loads = 0;
  const cache = users(() => {
    loads++;
    return row.promise;
  });
  const pending = outcome(cache.user(1));
  await turn();
  await cache.invalidateAll(["users"]); // the row changed while the query ran
  row.open("row read before the write");
  assert.equal(await pending, ["resolved", "row read before the write"]);
  row = gate<string>();
  row.open("fresh row");
  assert.is(await cache.user(1), "row read before the write"); // served until its TTL
  assert.is(loads, 1);
});

test("async-cache-dedupe: with memory storage every caller gets the same object", async () => {
  const cache = createCache({ ttl: 60, storage: { type: "memory" } }).define("user", async (id: number) => ({
    id,
  }));
  const first = await cache.user(1);
  assert.ok(first === (await cache.user(1)));
});

test.run();
