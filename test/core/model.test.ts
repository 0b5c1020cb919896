// Property-based model test: random interleavings of reads, writes, loads that settle later
// (1 % fail), removals, tag invalidations, flushes and clock moves, checked against a versioned
// fake database. Every write bumps the row's version and then invalidates something covering it,
// as a service would; so a read may miss, but may never return a version older than the
// database's. At quiescence nothing is in flight and the tag index holds no dangling key.
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
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
const DEFAULT_TTL = 40;

/** A load as the reference model sees it. */
interface ModelLoad {
  readonly key: number;
  readonly version: number;
  readonly ttl: number | undefined;
  stale: boolean;
  /** The first caller's promise: settles after the engine has stored (or discarded) the result. */
  done: Promise<unknown>;
}

/**
 * The tiny sequential reference model: what the cache must hold (key → version, expiry, tags),
 * the loads in flight, and the counters `stats()` must report. Used where nothing is evicted;
 * under capacity pressure only its freshness rule applies.
 */
class Model {
  readonly entries = new Map<number, { version: number; expiresAt: number; tags: string[] }>();
  readonly current = new Map<number, ModelLoad>();
  readonly stats = {
    hits: 0,
    misses: 0,
    loads: 0,
    singleFlightJoins: 0,
    staleLoadDiscards: 0,
    invalidations: 0,
    evictions: 0,
    staleHits: 0,
    bypassedReads: 0,
    oversizeSkips: 0,
  };
  readonly now: () => number;
  constructor(now: () => number) {
    this.now = now;
  }

  /** What `get` must return (and the bookkeeping it does). */
  get(k: number): number | undefined {
    const entry = this.#live(k);
    if (entry === undefined) this.stats.misses++;
    else this.stats.hits++;
    return entry?.version;
  }

  /** What `getOrLoad` must do: a hit, a join, or a new load. */
  getOrLoad(k: number): { hit: number } | { join: ModelLoad } | { start: true } {
    const entry = this.#live(k);
    if (entry !== undefined) {
      this.stats.hits++;
      return { hit: entry.version };
    }
    this.stats.misses++;
    const load = this.current.get(k);
    if (load !== undefined) {
      this.stats.singleFlightJoins++;
      return { join: load };
    }
    this.stats.loads++;
    return { start: true };
  }

  settled(load: ModelLoad, failed: boolean): void {
    if (this.current.get(load.key) === load) this.current.delete(load.key);
    if (failed) return;
    if (load.stale) this.stats.staleLoadDiscards++;
    else this.put(load.key, load.version, load.ttl, false);
  }

  put(k: number, version: number, ttl: number | undefined, invalidatesLoad = true): void {
    if (invalidatesLoad) this.#staleLoadOf(k);
    this.entries.set(k, { version, expiresAt: this.now() + (ttl ?? DEFAULT_TTL), tags: tagsOf(k) });
  }

  invalidateKey(k: number): void {
    this.#staleLoadOf(k);
    const entry = this.entries.get(k);
    this.entries.delete(k);
    if (entry !== undefined && entry.expiresAt > this.now()) this.stats.invalidations++;
  }

  invalidateTag(tag: string): void {
    for (const [k, load] of this.current) {
      if (tagsOf(k).includes(tag)) {
        load.stale = true;
        this.current.delete(k);
      }
    }
    for (const [k, entry] of this.entries) {
      if (!entry.tags.includes(tag)) continue;
      this.entries.delete(k);
      if (entry.expiresAt > this.now()) this.stats.invalidations++;
    }
  }

  flush(): void {
    for (const load of this.current.values()) load.stale = true;
    this.current.clear();
    this.entries.clear();
  }

  #live(k: number): { version: number } | undefined {
    const entry = this.entries.get(k);
    if (entry !== undefined && entry.expiresAt <= this.now()) this.entries.delete(k);
    return entry !== undefined && entry.expiresAt > this.now() ? entry : undefined;
  }

  #staleLoadOf(k: number): void {
    const load = this.current.get(k);
    if (load === undefined) return;
    load.stale = true;
    this.current.delete(k);
  }
}

/**
 * Runs `ops` on a real cache and on the model. Always: no read returns a version older than the
 * database's, and at quiescence the engine is clean. With `exact` (room for every key, so nothing
 * is evicted): every read, every caller's result and the stats are exactly the model's.
 */
async function runModel(ops: Op[], capacity: number, exact: boolean): Promise<void> {
  const clock = fakeClock();
  const cache = HydraCache.local().maxCapacity(capacity).defaultTtl(DEFAULT_TTL).clock(clock.now).build();
  const model = new Model(clock.now);
  const db = Array.from({ length: KEYS }, () => 0);
  const pending: Array<{ release: Gate<Row>; load: ModelLoad }> = [];
  const callers: Array<Promise<unknown>> = [];
  let loaderRuns = 0;

  const checkRead = (k: number, value: Row | undefined, expected: number | undefined, what: string) => {
    if (exact) assert.is(value?.version, expected, `${what}: key ${k}`);
    if (value !== undefined) {
      assert.is(value.key, k, what);
      assert.is(
        value.version,
        db[k],
        `${what}: key ${k} returned version ${value.version}, database has ${db[k]}`,
      );
    }
  };
  const readBack = async (what: string) => {
    for (let k = 0; k < KEYS; k++) {
      const value = await cache.get<Row>(`row:${k}`);
      checkRead(k, value, model.get(k), what);
    }
  };

  for (const step of ops) {
    switch (step.kind) {
      case "get": {
        const value = await cache.get<Row>(`row:${step.key}`);
        checkRead(step.key, value, model.get(step.key), "get");
        break;
      }
      case "load": {
        const k = step.key;
        const expected = model.getOrLoad(k);
        let started: ModelLoad | undefined;
        const caller = cache.getOrLoad<Row>(`row:${k}`, { tags: tagsOf(k), ttl: step.ttl }, () => {
          loaderRuns++;
          const version = db[k] as number;
          const release = gate<Row>();
          started = { key: k, version, ttl: step.ttl, stale: false, done: Promise.resolve() };
          pending.push({ release, load: started });
          return release.promise.then(() => ({ key: k, version }));
        });
        if (exact) assert.is(started !== undefined, "start" in expected, `load ${k}: a loader run`);
        if (started !== undefined) {
          started.done = caller.catch(() => undefined);
          model.current.set(k, started);
        }
        const load = started ?? ("join" in expected ? expected.join : undefined);
        callers.push(
          caller.then(
            (row) => {
              if (!exact) return;
              const version = "hit" in expected ? expected.hit : load?.version;
              assert.is(row.version, version, `load ${k}: the caller's result`);
            },
            (error) => assert.ok(CacheError.is(error) && error.code === "LOADER_FAILED"),
          ),
        );
        break;
      }
      case "settle": {
        const [picked] = pending.splice(step.pick % Math.max(pending.length, 1), 1);
        if (picked === undefined) break;
        if (step.fail) picked.release.fail(new Error("injected"));
        else picked.release.open({ key: -1, version: -1 });
        await picked.load.done;
        model.settled(picked.load, step.fail);
        break;
      }
      case "write": {
        db[step.key] = (db[step.key] as number) + 1;
        const k = step.key;
        if (step.cover === "key") {
          await cache.invalidateKey(`row:${k}`);
          model.invalidateKey(k);
        }
        if (step.cover === "keyTag") {
          await cache.invalidateTag(`row:${k}`);
          model.invalidateTag(`row:${k}`);
        }
        if (step.cover === "groupTag") {
          await cache.invalidateTag(`group:${k % GROUPS}`);
          model.invalidateTag(`group:${k % GROUPS}`);
        }
        if (step.cover === "flush") {
          await cache.flush();
          model.flush();
        }
        if (step.cover === "put") {
          await cache.put(`row:${k}`, { key: k, version: db[k] }, { tags: tagsOf(k) });
          model.put(k, db[k] as number, undefined);
        }
        break;
      }
      case "remove":
        await cache.remove(`row:${step.key}`);
        model.invalidateKey(step.key);
        break;
      case "invalidateTag":
        await cache.invalidateTag(step.tag);
        model.invalidateTag(step.tag);
        break;
      case "flush":
        await cache.flush();
        model.flush();
        break;
      case "advance":
        clock.advance(step.ms);
        break;
    }
    await readBack("read-back");
  }

  // Quiescence: settle every remaining load, then the engine must be clean and fresh.
  for (const { release, load } of pending.splice(0)) {
    release.open({ key: -1, version: -1 });
    await load.done;
    model.settled(load, false);
  }
  await Promise.all(callers);
  const state = inspectEngine(cache);
  assert.is(state.inFlight, 0);
  assert.is(state.inFlightTags, 0);
  assert.is(state.danglingTagKeys, 0);
  assert.ok(state.entries <= capacity);
  assert.is(cache.stats().loads, loaderRuns);
  await readBack("quiescent");
  const { inFlight, bytes, ...counters } = cache.stats();
  assert.is(inFlight, 0);
  if (exact) assert.equal(counters, model.stats);
}

test("model: reads, results and stats are exactly the reference model's; none older than the last invalidation (no evictions)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 120, size: "max" }), (ops) => runModel(ops, 1_000, true)),
    { numRuns: 300 },
  );
});

test("model: the same under capacity pressure (capacity 3 for 6 keys)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 120, size: "max" }), (ops) => runModel(ops, 3, false)),
    { numRuns: 300 },
  );
});

test.run();
