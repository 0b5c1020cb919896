// What bentocache 1.6 (memory driver, one L1 layer) does, as the README describes it.
// Run alone: node --import tsx node_modules/uvu/bin.js test/peers bentocache
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gate, outcome, turn } from "./gate.ts";

async function millisecondsPass(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() <= until) await new Promise((resolve) => setTimeout(resolve, 1));
}

const open = () =>
  new BentoCache({
    default: "memory",
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 1_000 })) },
  });

test("bentocache: concurrent getOrSet() misses share one factory call", async () => {
  const bento = open();
  let loads = 0;
  const row = gate<string>();
  const factory = () => {
    loads++;
    return row.promise;
  };
  const callers = Array.from({ length: 10 }, () => bento.getOrSet({ key: "user:1", factory }));
  row.open("Ada");
  assert.equal(await Promise.all(callers), Array(10).fill("Ada"));
  assert.is(loads, 1);
  await bento.disconnectAll();
});

test("bentocache: tags: deleteByTag() removes every entry carrying the tag", async () => {
  const bento = open();
  await bento.set({ key: "user:1", value: "Ada", tags: ["users"] });
  await bento.set({ key: "user:2", value: "Grace", tags: ["users"] });
  await bento.deleteByTag({ tags: ["users"] });
  assert.is(await bento.get({ key: "user:1" }), undefined);
  assert.is(await bento.get({ key: "user:2" }), undefined);
  await bento.disconnectAll();
});

test("bentocache: a getOrSet() overtaken by deleteByTag() stores the stale result anyway", async () => {
  const bento = open();
  const row = gate<string>();
  const pending = outcome(bento.getOrSet({ key: "user:1", tags: ["users"], factory: () => row.promise }));
  await turn();
  await bento.deleteByTag({ tags: ["users"] }); // the row changed while the query ran
  // bentocache checks tags by time: an entry stored at or before the tag's invalidation time (in
  // ms) counts as invalidated. A query that ends in the same millisecond is dropped; any later one,
  // as real queries do, is kept.
  await millisecondsPass(2);
  row.open("row read before the write");
  assert.equal(await pending, ["resolved", "row read before the write"]);
  assert.is(await bento.get({ key: "user:1" }), "row read before the write"); // served until its TTL
  await bento.disconnectAll();
});

test("bentocache: a getOrSet() overtaken by delete() stores the stale result anyway", async () => {
  const bento = open();
  const row = gate<string>();
  const pending = outcome(bento.getOrSet({ key: "user:1", factory: () => row.promise }));
  await turn();
  await bento.delete({ key: "user:1" });
  row.open("row read before the write");
  assert.equal(await pending, ["resolved", "row read before the write"]);
  assert.is(await bento.get({ key: "user:1" }), "row read before the write");
  await bento.disconnectAll();
});

test("bentocache: the memory driver gives every caller its own copy", async () => {
  const bento = open();
  await bento.set({ key: "user:1", value: { name: "Ada" } });
  const first = await bento.get<{ name: string }>({ key: "user:1" });
  const second = await bento.get<{ name: string }>({ key: "user:1" });
  assert.equal(first, { name: "Ada" });
  assert.ok(first !== second);
  await bento.disconnectAll();
});

test.run();
