// Property-based model test: random interleavings of reads, writes, loads that settle later
// (1 % fail), removals, tag invalidations, flushes and clock moves, checked against a versioned
// fake database. Every write bumps the row's version and then invalidates something covering it,
// as a service would; so a read may miss, but may never return a version older than the
// database's. At quiescence nothing is in flight and the tag index holds no dangling key.
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/cache.ts";
import { CacheError, HydraCache } from "../../src/index.ts";
import { fakeClock, type Gate, gate } from "./helpers.ts";

const KEYS = 6;
const GROUPS = 3;

interface Row {
  key: number;
  version: number;
}

type Op =
  | { kind: "get"; key: number }
  | { kind: "load"; key: number; ttl: number | undefined }
  | { kind: "settle"; pick: number; fail: boolean }
  | { kind: "write"; key: number; cover: "key" | "keyTag" | "groupTag" | "flush" | "put" }
  | { kind: "remove"; key: number }
  | { kind: "invalidateTag"; tag: string }
  | { kind: "flush" }
  | { kind: "advance"; ms: number };

const key = fc.integer({ min: 0, max: KEYS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("get" as const), key }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("load" as const),
      key,
      ttl: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("settle" as const),
      pick: fc.nat(),
      fail: fc.integer({ min: 0, max: 99 }).map((n) => n === 0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("write" as const),
      key,
      cover: fc.constantFrom(
        "key" as const,
        "keyTag" as const,
        "groupTag" as const,
        "flush" as const,
        "put" as const,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("invalidateTag" as const),
      tag: fc.constantFrom("row:0", "group:1", "unused"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("flush" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 30 }) }),
  },
);

const tagsOf = (k: number) => [`row:${k}`, `group:${k % GROUPS}`];

async function runModel(ops: Op[], capacity: number): Promise<void> {
  const clock = fakeClock();
  const cache = HydraCache.local().maxCapacity(capacity).defaultTtl(40).clock(clock.now).build();
  const db = Array.from({ length: KEYS }, () => 0);
  const pending: Array<Gate<Row>> = [];
  const callers: Array<Promise<unknown>> = [];
  let loaderRuns = 0;

  const checkRead = (k: number, value: Row | undefined, what: string) => {
    if (value !== undefined) {
      assert.is(value.key, k, what);
      assert.is(
        value.version,
        db[k],
        `${what}: key ${k} returned version ${value.version}, database has ${db[k]}`,
      );
    }
  };

  for (const step of ops) {
    switch (step.kind) {
      case "get":
        checkRead(step.key, await cache.get<Row>(`row:${step.key}`), "get");
        break;
      case "load": {
        const caller = cache.getOrLoad<Row>(
          `row:${step.key}`,
          { tags: tagsOf(step.key), ttl: step.ttl },
          () => {
            loaderRuns++;
            const version = db[step.key] as number;
            const release = gate<Row>();
            pending.push(release);
            return release.promise.then(() => ({ key: step.key, version }));
          },
        );
        callers.push(
          caller.catch((error) => assert.ok(CacheError.is(error) && error.code === "LOADER_FAILED")),
        );
        break;
      }
      case "settle": {
        const [release] = pending.splice(step.pick % Math.max(pending.length, 1), 1);
        if (step.fail) release?.fail(new Error("injected"));
        else release?.open({ key: -1, version: -1 });
        await Promise.resolve();
        break;
      }
      case "write": {
        db[step.key] = (db[step.key] as number) + 1;
        const k = step.key;
        if (step.cover === "key") await cache.invalidateKey(`row:${k}`);
        if (step.cover === "keyTag") await cache.invalidateTag(`row:${k}`);
        if (step.cover === "groupTag") await cache.invalidateTag(`group:${k % GROUPS}`);
        if (step.cover === "flush") await cache.flush();
        if (step.cover === "put")
          await cache.put(`row:${k}`, { key: k, version: db[k] }, { tags: tagsOf(k) });
        break;
      }
      case "remove":
        await cache.remove(`row:${step.key}`);
        break;
      case "invalidateTag":
        await cache.invalidateTag(step.tag);
        break;
      case "flush":
        await cache.flush();
        break;
      case "advance":
        clock.advance(step.ms);
        break;
    }
    for (let k = 0; k < KEYS; k++) checkRead(k, await cache.get<Row>(`row:${k}`), "read-back");
  }

  // Quiescence: settle every remaining load, then the engine must be clean and fresh.
  for (const release of pending.splice(0)) release.open({ key: -1, version: -1 });
  await Promise.all(callers);
  const state = inspectEngine(cache);
  assert.is(state.inFlight, 0);
  assert.is(state.inFlightTags, 0);
  assert.is(state.danglingTagKeys, 0);
  assert.ok(state.entries <= capacity);
  assert.is(cache.stats().loads, loaderRuns);
  for (let k = 0; k < KEYS; k++) checkRead(k, await cache.get<Row>(`row:${k}`), "quiescent");
}

test("model: no read is ever older than the last invalidation covering it (no evictions)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 120 }), (ops) => runModel(ops, 1_000)),
    { numRuns: 300 },
  );
});

test("model: the same under capacity pressure (capacity 3 for 6 keys)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 120 }), (ops) => runModel(ops, 3)),
    { numRuns: 300 },
  );
});

test.run();
