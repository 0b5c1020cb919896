// Property-based model test: random interleavings of reads, writes, loads that settle later (10 %
// fail), callers that abort or time out, stale windows, local and remote invalidations, the sync
// serve gate and clock moves, checked against a versioned fake database. Every write bumps the
// row's version and then invalidates something covering it, as a service would; so a read may
// miss, but may never return a version older than the database's, stale or not. At quiescence
// nothing is in flight and the tag index holds no dangling key.
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine, setServeGate } from "../../src/core/internal.ts";
import {
  CacheError,
  type CacheErrorCode,
  type CacheEvent,
  type CacheStats,
  cborCodec,
  HydraCache,
  type LoaderContext,
} from "../../src/index.ts";
import { captureTimeouts, drain, fakeClock, type Gate, gate } from "./helpers.ts";

const KEYS = 6;
const GROUPS = 3;
const DEFAULT_TTL = 40;
/** The builder's defaults, used when an operation gives no window of its own. */
const DEFAULT_SWR = 5;
const DEFAULT_SIE = 10;

interface Row {
  key: number;
  version: number;
}

/** TTL and stale windows of a load or a put; `undefined` = the cache's default. */
interface Windows {
  ttl: number | undefined;
  swr: number | undefined;
  sie: number | undefined;
}

type Cover = "key" | "keyTag" | "groupTag" | "flush" | "put" | "remoteKey" | "remoteTag" | "remoteAll";

type Op =
  | { kind: "get"; key: number }
  | (Windows & { kind: "load"; key: number; timeout: boolean; abortable: boolean; watch: boolean })
  | { kind: "preAborted"; key: number }
  | { kind: "settle"; pick: number; fail: boolean }
  | { kind: "abort"; pick: number }
  | { kind: "timeout"; pick: number }
  | (Windows & { kind: "write"; key: number; cover: Cover })
  | { kind: "remove"; key: number }
  | { kind: "invalidateTag"; tag: string }
  | { kind: "remote"; keys: number[] | undefined; tags: string[] | undefined; all: boolean }
  | { kind: "flush" }
  | { kind: "gate"; open: boolean }
  | { kind: "advance"; ms: number }
  | { kind: "advanceTo"; key: number; edge: "expiresAt" | "staleUntil" | "errorUntil"; offset: number };

const key = fc.integer({ min: 0, max: KEYS - 1 });
const windowOf = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: undefined });
const windows = {
  ttl: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
  swr: windowOf(40),
  sie: windowOf(100),
};
// True one time in `n`; shrinks to false, so counterexamples show no timeout, abort or fault they do not need.
const oneIn = (n: number) => fc.integer({ min: 1, max: n }).map((roll) => roll === n);
const TAGS = ["row:0", "group:1", "unused"];
const cover = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Cover>("key", "put") },
  { weight: 2, arbitrary: fc.constantFrom<Cover>("keyTag", "remoteKey", "remoteTag") },
  { weight: 1, arbitrary: fc.constantFrom<Cover>("groupTag", "flush", "remoteAll") },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("get" as const), key }) },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant("load" as const),
      key,
      ...windows,
      timeout: oneIn(4),
      abortable: oneIn(3),
      watch: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("preAborted" as const), key }) },
  {
    weight: 14,
    arbitrary: fc.record({ kind: fc.constant("settle" as const), pick: fc.nat(), fail: oneIn(3) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("abort" as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("timeout" as const), pick: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("write" as const), key, ...windows, cover }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), key }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("invalidateTag" as const), tag: fc.constantFrom(...TAGS) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("remote" as const),
      keys: fc.option(fc.uniqueArray(key, { maxLength: 3 }), { nil: undefined }),
      tags: fc.option(fc.subarray(TAGS), { nil: undefined }),
      all: oneIn(6),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("flush" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("gate" as const), open: oneIn(6).map((closed) => !closed) }),
  },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 20 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("advanceTo" as const),
      key,
      edge: fc.constantFrom("expiresAt" as const, "staleUntil" as const, "errorUntil" as const),
      offset: fc.integer({ min: -1, max: 1 }),
    }),
  },
);

const tagsOf = (k: number) => [`row:${k}`, `group:${k % GROUPS}`];
const bytesOf = (row: Row) => (cborCodec.encode(row) as Uint8Array).byteLength;

/** What a caller must end with. */
type Expected =
  /** The value its load loaded. */
  | { kind: "loaded"; version: number }
  /** A stored value (a hit or a stale fallback): the database's current version; exactly `version` when known. */
  | { kind: "stored"; version: number | undefined }
  /** This error; with `orStored`, a stored value instead is allowed (the model does not know the store). */
  | { kind: "error"; code: CacheErrorCode; orStored: boolean };

/** One `getOrLoad` caller. */
interface Caller {
  readonly key: number;
  readonly load: ModelLoad | undefined;
  readonly controller: AbortController | undefined;
  readonly timer: { fire(): void } | undefined;
  expected: Expected | undefined;
  actual: { row: Row } | { error: string; cause: unknown; cancelled: boolean } | undefined;
}

/** A load as the reference model sees it. */
interface ModelLoad {
  readonly key: number;
  readonly version: number;
  readonly windows: Windows;
  readonly noStore: boolean;
  readonly release: Gate<Row>;
  readonly context: LoaderContext;
  /**
   * The loader's signal when the loader read it at once; such a loader honours it: once its signal
   * aborted, it fails when it next settles (as a query that was cancelled). A loader that did not
   * read it at once ignores it; the signal is first read when the load settles.
   */
  readonly signal: AbortSignal | undefined;
  readonly callers: Caller[];
  stale: boolean;
  /** Replaced by a new load of its key after every caller left it: not stored, not counted as a discard. */
  superseded: boolean;
  settled: boolean;
  waiting: number;
  abandoned: boolean;
}

interface ModelEntry {
  version: number;
  bytes: number;
  expiresAt: number;
  staleUntil: number;
  errorUntil: number;
}

type Counters = Omit<CacheStats, "inFlight" | "bytes">;

/**
 * The tiny sequential reference model: what the cache must hold (key → version, expiry, windows),
 * the loads in flight (which are stale, who waits for them, whether their signal aborted), and the
 * counters `stats()` must report. The loads part holds whatever the store does; the entries and
 * counters are exact only where nothing is evicted, and under memory pressure only the loads part
 * and the freshness rule apply.
 */
class Model {
  readonly entries = new Map<number, ModelEntry>();
  readonly current = new Map<number, ModelLoad>();
  readonly running = new Set<ModelLoad>();
  readonly stats: Counters = {
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
  serving = true;
  readonly now: () => number;
  readonly exact: boolean;
  constructor(now: () => number, exact: boolean) {
    this.now = now;
    this.exact = exact;
  }

  get bytes(): number {
    let bytes = 0;
    for (const entry of this.entries.values()) bytes += entry.bytes;
    return bytes;
  }

  /** What `get` must return (and the bookkeeping it does). */
  get(k: number): number | undefined {
    if (!this.serving) {
      this.stats.bypassedReads++;
      return undefined;
    }
    const entry = this.#lookup(k);
    if (entry === undefined) this.stats.misses++;
    else this.#served(entry);
    return entry?.version;
  }

  /** What `containsKey` must answer. */
  has(k: number): boolean {
    return this.serving && this.#lookup(k) !== undefined;
  }

  /** What `getOrLoad` must do: a fresh hit, a stale hit (which may start a refresh), a join, or a new load. */
  getOrLoad(
    k: number,
  ): { kind: "hit" | "stale" | "refresh"; version: number } | { kind: "join" | "start"; version: undefined } {
    if (this.serving) {
      const entry = this.#lookup(k);
      if (entry !== undefined) {
        if (this.#served(entry)) return { kind: "hit", version: entry.version };
        if (this.#joinable(k)) return { kind: "stale", version: entry.version };
        this.stats.loads++;
        return { kind: "refresh", version: entry.version };
      }
      this.stats.misses++;
    } else {
      this.stats.bypassedReads++;
    }
    if (this.#joinable(k)) {
      this.stats.singleFlightJoins++;
      return { kind: "join", version: undefined };
    }
    this.stats.loads++;
    return { kind: "start", version: undefined };
  }

  started(load: ModelLoad): void {
    // A load every caller left is not joined: a new caller starts a new load, which replaces it.
    const previous = this.current.get(load.key);
    if (previous !== undefined) {
      assert.ok(previous.abandoned, "only a load every caller left is replaced");
      previous.stale = true;
      previous.superseded = true;
    }
    this.current.set(load.key, load);
    this.running.add(load);
  }

  waits(load: ModelLoad, caller: Caller): void {
    load.callers.push(caller);
    load.waiting++;
  }

  /** A caller stops waiting (abort or timeout) before its load settled; the last one aborts the loader's signal. */
  leaves(caller: Caller, why: "abort" | "timeout"): void {
    const load = caller.load as ModelLoad;
    if (caller.expected !== undefined) return; // already answered: nothing happens
    if (--load.waiting === 0 && !load.settled) load.abandoned = true;
    if (why === "abort") caller.expected = { kind: "error", code: "ABORTED", orStored: false };
    else if (!this.exact) caller.expected = { kind: "error", code: "LOADER_TIMEOUT", orStored: true };
    else {
      // A value a read would serve (fresh, or within its stale-while-revalidate window).
      const entry = this.serving ? this.entries.get(caller.key) : undefined;
      if (entry !== undefined && entry.staleUntil > this.now()) {
        this.stats.staleHits++;
        caller.expected = { kind: "stored", version: entry.version };
      } else {
        caller.expected = { kind: "error", code: "LOADER_TIMEOUT", orStored: false };
      }
    }
  }

  settled(load: ModelLoad, failed: boolean): void {
    load.settled = true;
    this.running.delete(load);
    if (this.current.get(load.key) === load) this.current.delete(load.key);
    let expected: Expected;
    if (failed) {
      // A value stored with a stale-if-error window that has not ended, if the store may be used.
      const entry = this.serving ? this.entries.get(load.key) : undefined;
      const until = entry === undefined || entry.errorUntil <= entry.expiresAt ? 0 : entry.errorUntil;
      if (!this.exact) expected = { kind: "error", code: "LOADER_FAILED", orStored: true };
      else if (entry !== undefined && until > this.now())
        expected = { kind: "stored", version: entry.version };
      else expected = { kind: "error", code: "LOADER_FAILED", orStored: false };
    } else {
      if (load.stale) {
        if (!load.superseded) this.stats.staleLoadDiscards++;
      } else if (!load.noStore) this.#store(load.key, load.version, load.windows);
      expected = { kind: "loaded", version: load.version };
    }
    for (const caller of load.callers) {
      if (caller.expected !== undefined) continue;
      caller.expected = expected;
      if (expected.kind === "stored") this.stats.staleHits++;
    }
  }

  put(k: number, version: number, windows: Windows): void {
    this.#staleLoadOf(k);
    this.#store(k, version, windows);
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
      if (!tagsOf(k).includes(tag)) continue;
      this.entries.delete(k);
      if (entry.expiresAt > this.now()) this.stats.invalidations++;
    }
  }

  flush(): void {
    for (const load of this.current.values()) load.stale = true;
    this.current.clear();
    this.entries.clear();
  }

  /** Whether `getOrLoad` joins the current load of `k` (there is one, and some caller still waits for it or none ever did). */
  #joinable(k: number): boolean {
    const load = this.current.get(k);
    return load !== undefined && !load.abandoned;
  }

  /** The engine's lookup: an entry a read may serve; one past both windows is dropped. */
  #lookup(k: number): ModelEntry | undefined {
    const entry = this.entries.get(k);
    if (entry === undefined) return undefined;
    if (entry.staleUntil > this.now()) return entry;
    if (entry.errorUntil <= this.now()) this.entries.delete(k);
    return undefined;
  }

  /** Counts a served entry; returns whether it was fresh. */
  #served(entry: ModelEntry): boolean {
    const fresh = entry.expiresAt > this.now();
    if (fresh) this.stats.hits++;
    else this.stats.staleHits++;
    return fresh;
  }

  #store(k: number, version: number, windows: Windows): void {
    const expiresAt = this.now() + (windows.ttl ?? DEFAULT_TTL);
    this.entries.set(k, {
      version,
      bytes: bytesOf({ key: k, version }),
      expiresAt,
      staleUntil: expiresAt + (windows.swr ?? DEFAULT_SWR),
      errorUntil: expiresAt + (windows.sie ?? DEFAULT_SIE),
    });
  }

  #staleLoadOf(k: number): void {
    const load = this.current.get(k);
    if (load === undefined) return;
    load.stale = true;
    this.current.delete(k);
  }
}

interface Bounds {
  capacity: number;
  maxTotalBytes: number;
  /** The builder's `.loaderTimeout`: every waiting caller then has a timer, a per-call `timeout` or this one. */
  loaderTimeout?: number;
}

/**
 * Runs `ops` on a real cache and on the model. Always: no read and no stale fallback returns a
 * version older than the database's; every caller gets its own load's value, or ABORTED when it
 * aborted, or (when the model cannot know the store) an error or a current stored value; the
 * loader's signal aborts exactly when its last caller left; and at quiescence the engine is clean.
 * With `exact` (room for every key, so nothing is evicted): every read, every caller's result and
 * the stats after every step are exactly the model's.
 */
async function runModel(ops: Op[], bounds: Bounds, exact: boolean): Promise<void> {
  const clock = fakeClock();
  const cache = HydraCache.local()
    .maxCapacity(bounds.capacity)
    .maxTotalBytes(bounds.maxTotalBytes)
    .defaultTtl(DEFAULT_TTL)
    .staleWhileRevalidate(DEFAULT_SWR)
    .staleIfError(DEFAULT_SIE)
    .clock(clock.now)
    .loaderTimeout(bounds.loaderTimeout ?? Number.POSITIVE_INFINITY)
    .build();
  const model = new Model(clock.now, exact);
  let gateOpen = true;
  setServeGate(cache, () => gateOpen);
  const events: CacheEvent[] = [];
  cache.subscribe((event) => events.push(event));
  const db = Array.from({ length: KEYS }, () => 0);
  const callers: Caller[] = [];
  let loaderRuns = 0;
  let where = "";

  const checkRead = (k: number, value: Row | undefined, expected: number | undefined) => {
    if (exact) assert.is(value?.version, expected, `${where}: key ${k}`);
    if (value !== undefined) {
      assert.is(value.key, k, where);
      assert.is(
        value.version,
        db[k],
        `${where}: key ${k} returned version ${value.version}, database has ${db[k]}`,
      );
    }
  };
  const readBack = async () => {
    for (let k = 0; k < KEYS; k++) checkRead(k, await cache.get<Row>(`row:${k}`), model.get(k));
  };
  /** Every caller the model has answered got exactly that answer; no other caller has an answer yet. */
  const checkCallers = () => {
    for (let i = callers.length - 1; i >= 0; i--) {
      const caller = callers[i] as Caller;
      const { expected, actual } = caller;
      const who = `${where}: caller of row:${caller.key}`;
      if (expected === undefined) {
        assert.is(actual, undefined, `${who} answered while the model says it still waits`);
        continue;
      }
      assert.ok(actual !== undefined, `${who} still waits; the model says ${JSON.stringify(expected)}`);
      // A load is cancelled only once no caller waits for it: no caller may ever see that failure.
      assert.ok(
        !("error" in actual && actual.cancelled),
        `${who} failed because other callers left its load`,
      );
      const stored =
        "row" in actual && actual.row.version === db[caller.key] && actual.row.key === caller.key;
      if (expected.kind === "loaded") {
        assert.equal(actual, { row: { key: caller.key, version: expected.version } }, who);
      } else if (expected.kind === "stored") {
        assert.ok(
          stored,
          `${who}: got ${JSON.stringify(actual)}, a stored value must be version ${db[caller.key]}`,
        );
        if (expected.version !== undefined)
          assert.equal(actual, { row: { key: caller.key, version: expected.version } }, who);
      } else {
        const ok = ("error" in actual && actual.error === expected.code) || (expected.orStored && stored);
        assert.ok(ok, `${who}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
        // An aborted caller's error carries its signal's reason.
        if ("error" in actual && actual.error === "ABORTED")
          assert.is(actual.cause, caller.controller?.signal.reason, `${who}: the cause of ABORTED`);
      }
      callers.splice(i, 1);
    }
    // The loader's signal aborts exactly when every caller of the unsettled load has left.
    for (const load of model.running) {
      if (load.signal !== undefined)
        assert.is(load.signal.aborted, load.abandoned, `${where}: signal of row:${load.key}`);
    }
  };
  const checkStats = () => {
    const { inFlight, bytes, ...counters } = cache.stats();
    assert.is(inFlight, model.running.size, `${where}: inFlight`);
    assert.ok(bytes <= bounds.maxTotalBytes, `${where}: ${bytes} bytes held, over maxTotalBytes`);
    assert.ok(inspectEngine(cache).entries <= bounds.capacity, `${where}: entries over capacity`);
    if (!exact) return;
    assert.equal(counters, model.stats, `${where}: stats`);
    assert.is(bytes, model.bytes, `${where}: bytes`);
  };
  const expectEvent = (origin: CacheEvent["origin"]) => {
    assert.is(events.length, 1, `${where}: one event`);
    assert.is(events[0]?.origin, origin, `${where}: event origin`);
  };
  const settle = async (load: ModelLoad, injectFault: boolean) => {
    // Read the signal now if the loader did not at once: created late, it must already be aborted.
    assert.is(load.context.signal.aborted, load.abandoned, `${where}: signal of row:${load.key}`);
    const cancelled = load.signal?.aborted === true;
    const fail = injectFault || cancelled;
    if (cancelled) load.release.fail(load.signal?.reason);
    else if (fail) load.release.fail(new Error("injected"));
    else load.release.open({ key: -1, version: -1 });
    await drain();
    model.settled(load, fail);
  };

  for (const [index, step] of ops.entries()) {
    where = `step ${index} ${step.kind}`;
    events.length = 0;
    switch (step.kind) {
      case "get": {
        const present = await cache.containsKey(`row:${step.key}`);
        if (exact) assert.is(present, model.has(step.key), `${where}: containsKey`);
        const value = await cache.get<Row>(`row:${step.key}`);
        checkRead(step.key, value, model.get(step.key));
        break;
      }
      case "load": {
        const k = step.key;
        const controller = step.abortable ? new AbortController() : undefined;
        const windows: Windows = { ttl: step.ttl, swr: step.swr, sie: step.sie };
        const prediction = exact ? model.getOrLoad(k) : undefined;
        const before = cache.stats();
        let started: ModelLoad | undefined;
        const { result, timers } = captureTimeouts(() =>
          cache.getOrLoad<Row>(
            `row:${k}`,
            {
              tags: tagsOf(k),
              ttl: step.ttl,
              staleWhileRevalidate: step.swr,
              staleIfError: step.sie,
              ...(step.timeout ? { timeout: 1_000 } : {}),
              ...(controller ? { signal: controller.signal } : {}),
            },
            (context) => {
              loaderRuns++;
              assert.is(context.key, `row:${k}`, `${where}: the loader's key`);
              const version = db[k] as number;
              const release = gate<Row>();
              started = {
                key: k,
                version,
                windows,
                noStore: !model.serving,
                release,
                context,
                signal: step.watch ? context.signal : undefined,
                callers: [],
                stale: false,
                superseded: false,
                settled: false,
                waiting: 0,
                abandoned: false,
              };
              return release.promise.then(() => ({ key: k, version }));
            },
          ),
        );
        // What the engine did, from what it reports: started a loader, joined, or served a hit.
        const after = cache.stats();
        const staleHit = after.staleHits > before.staleHits;
        const kind = started
          ? staleHit
            ? "refresh"
            : "start"
          : after.singleFlightJoins > before.singleFlightJoins
            ? "join"
            : staleHit
              ? "stale"
              : "hit";
        if (prediction) assert.is(kind, prediction.kind, `${where}: row:${k}`);
        const newLoad = started as ModelLoad | undefined;
        if (newLoad) model.started(newLoad);
        const waits = kind === "start" || kind === "join";
        const timed = step.timeout || bounds.loaderTimeout !== undefined;
        assert.is(timers.length, waits && timed ? 1 : 0, `${where}: timers armed`);
        const load = kind === "start" ? newLoad : kind === "join" ? model.current.get(k) : undefined;
        if (kind === "join") {
          assert.ok(load, `${where}: the engine joined a load the model holds no longer current`);
        }
        const caller: Caller = {
          key: k,
          load,
          controller,
          timer: timers[0],
          expected: waits ? undefined : { kind: "stored", version: prediction?.version },
          actual: undefined,
        };
        if (load) model.waits(load, caller);
        callers.push(caller);
        result.then(
          (row) => {
            caller.actual = { row };
          },
          (error: unknown) => {
            // `cancelled`: the loader failed because its signal aborted (it honours it).
            const cause = CacheError.is(error) ? error.cause : undefined;
            caller.actual = {
              error: CacheError.is(error) ? error.code : String(error),
              cause,
              cancelled: CacheError.is(cause) && cause.code === "ABORTED",
            };
          },
        );
        break;
      }
      case "preAborted": {
        const controller = new AbortController();
        controller.abort(new Error("gone"));
        const before = cache.stats();
        const outcome = await cache
          .getOrLoad(`row:${step.key}`, { signal: controller.signal }, () => {
            throw new Error("a caller that already aborted must not run the loader");
          })
          .then(
            () => "resolved",
            (error: unknown) => (CacheError.is(error) ? error.code : String(error)),
          );
        assert.is(outcome, "ABORTED", where);
        assert.equal(cache.stats(), before, `${where}: nothing counted`);
        break;
      }
      case "settle": {
        const pending = [...model.running];
        const picked = pending[step.pick % Math.max(pending.length, 1)];
        if (picked !== undefined) await settle(picked, step.fail);
        break;
      }
      case "abort":
      case "timeout": {
        const candidates = callers.filter(
          (c) => c.expected === undefined && (step.kind === "abort" ? c.controller : c.timer) !== undefined,
        );
        const caller = candidates[step.pick % Math.max(candidates.length, 1)];
        if (caller === undefined) break;
        if (step.kind === "abort")
          (caller.controller as AbortController).abort(new Error("client went away"));
        else caller.timer?.fire();
        model.leaves(caller, step.kind);
        break;
      }
      case "write": {
        db[step.key] = (db[step.key] as number) + 1;
        const k = step.key;
        const origin = step.cover.startsWith("remote") ? "remote" : "local";
        if (step.cover === "key") await cache.invalidateKey(`row:${k}`);
        if (step.cover === "remoteKey") cache.applyInvalidation({ keys: [`row:${k}`] });
        if (step.cover === "key" || step.cover === "remoteKey") model.invalidateKey(k);
        if (step.cover === "keyTag") await cache.invalidateTag(`row:${k}`);
        if (step.cover === "remoteTag") cache.applyInvalidation({ tags: [`row:${k}`] });
        if (step.cover === "keyTag" || step.cover === "remoteTag") model.invalidateTag(`row:${k}`);
        if (step.cover === "groupTag") {
          await cache.invalidateTag(`group:${k % GROUPS}`);
          model.invalidateTag(`group:${k % GROUPS}`);
        }
        if (step.cover === "flush") await cache.flush();
        if (step.cover === "remoteAll") cache.applyInvalidation({ all: true });
        if (step.cover === "flush" || step.cover === "remoteAll") model.flush();
        if (step.cover === "put") {
          await cache.put(
            `row:${k}`,
            { key: k, version: db[k] },
            { tags: tagsOf(k), ttl: step.ttl, staleWhileRevalidate: step.swr, staleIfError: step.sie },
          );
          model.put(k, db[k] as number, step);
          assert.equal(events[0]?.keys, [`row:${k}`], `${where}: a put reports its key`);
        }
        expectEvent(origin);
        break;
      }
      case "remove":
        await cache.remove(`row:${step.key}`);
        model.invalidateKey(step.key);
        expectEvent("local");
        break;
      case "invalidateTag":
        await cache.invalidateTag(step.tag);
        model.invalidateTag(step.tag);
        expectEvent("local");
        break;
      case "remote": {
        cache.applyInvalidation({
          ...(step.keys ? { keys: step.keys.map((k) => `row:${k}`) } : {}),
          ...(step.tags ? { tags: step.tags } : {}),
          ...(step.all ? { all: true } : {}),
        });
        if (step.all) model.flush();
        for (const k of step.keys ?? []) model.invalidateKey(k);
        for (const tag of step.tags ?? []) model.invalidateTag(tag);
        expectEvent("remote");
        break;
      }
      case "flush":
        await cache.flush();
        model.flush();
        expectEvent("local");
        break;
      case "gate":
        gateOpen = step.open;
        model.serving = step.open;
        break;
      case "advance":
        clock.advance(step.ms);
        break;
      case "advanceTo": {
        // To just before, at or just after one of the boundaries of the key's entry (as the model
        // holds it): where an off-by-one in expiry or in a stale window would show.
        const entry = model.entries.get(step.key);
        const target = entry === undefined ? 0 : entry[step.edge] + step.offset;
        if (target > clock.now()) clock.advance(target - clock.now());
        break;
      }
    }
    // Callers are answered by loads settling, aborts, timeouts and hits; nothing else answers one.
    if (step.kind === "load" || step.kind === "abort" || step.kind === "timeout") await drain();
    checkCallers();
    where += " (read-back)";
    await readBack();
    checkStats();
  }

  // Quiescence: settle every remaining load, then every caller is answered and the engine is clean.
  where = "quiescence";
  for (const load of [...model.running]) await settle(load, false);
  await drain();
  checkCallers();
  assert.is(callers.length, 0, "every caller answered");
  const state = inspectEngine(cache);
  assert.is(state.inFlight, 0);
  assert.is(state.inFlightTags, 0);
  assert.is(state.danglingTagKeys, 0);
  assert.ok(state.entries <= bounds.capacity);
  assert.ok(cache.stats().bytes <= bounds.maxTotalBytes);
  assert.is(cache.stats().loads, loaderRuns);
  await readBack();
  checkStats();
  await cache.flush();
  assert.is(cache.stats().bytes, 0, "nothing held after a flush");
  assert.is(inspectEngine(cache).entries, 0);
}

const ops = fc.array(op, { maxLength: 120, size: "max" });

test("model: reads, results, signals and stats are exactly the reference model's; none older than the last invalidation (no evictions)", async () => {
  await fc.assert(
    fc.asyncProperty(ops, (steps) => runModel(steps, { capacity: 1_000, maxTotalBytes: 1 << 20 }, true)),
    { numRuns: 300 },
  );
});

test("model: the same under memory pressure (capacity 3, or a byte bound of about 3 rows and a builder loaderTimeout, for 6 keys)", async () => {
  const bounds = fc.constantFrom<Bounds>(
    { capacity: 3, maxTotalBytes: 1 << 20 },
    { capacity: 1_000, maxTotalBytes: 3 * bytesOf({ key: 0, version: 0 }) + 4, loaderTimeout: 500 },
  );
  await fc.assert(
    fc.asyncProperty(ops, bounds, (steps, b) => runModel(steps, b, false)),
    { numRuns: 300 },
  );
});

test.run();
