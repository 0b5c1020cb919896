// attachSync on the in-memory bus and on a hand-driven transport: the gate (G3), resync, no
// resurrection (G2), message safety (G5), publishing without echo, states, stats and errors.
// Time moves by hand through the engine's clock; nothing here sleeps, except the one test of
// `ready`'s real-time deadline.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import {
  attachSync,
  CacheError,
  HydraCache,
  type InvalidationEvent,
  type InvalidationTransport,
  memoryBus,
  type SyncSink,
} from "../../src/index.ts";
import { fakeClock, gate, rejectsWith, settle } from "../core/helpers.ts";

const F = 1_000;

/** A cache on a clock moved by hand. */
function clockedCache() {
  const clock = fakeClock();
  return { clock, cache: HydraCache.local().clock(clock.now).build() };
}

/** A transport the test drives through the sink it was started with; records what it publishes. */
function manualTransport() {
  const published: InvalidationEvent[] = [];
  let closes = 0;
  let sink: SyncSink | undefined;
  const transport: InvalidationTransport & {
    published: InvalidationEvent[];
    closes(): number;
    sink(): SyncSink;
  } = {
    published,
    closes: () => closes,
    sink: () => {
      if (sink === undefined) throw new Error("the transport was not started");
      return sink;
    },
    async start(given) {
      sink = given;
    },
    async publish(event) {
      published.push(event);
    },
    async close() {
      closes++;
    },
  };
  return transport;
}

/** A cache attached to a manual transport, subscribed and confirmed now. */
async function synced(options = {}) {
  const { clock, cache } = clockedCache();
  const transport = manualTransport();
  const sync = attachSync(cache, transport, { maxStalenessMs: F, ...options });
  await settle();
  const sink = transport.sink();
  sink.resync("subscribed");
  sink.confirm(sink.now());
  await sync.ready;
  return { clock, cache, transport, sink, sync };
}

test("publish: a local invalidation reaches every other member once; nothing echoes, nothing remote is re-published", async () => {
  const bus = memoryBus();
  const caches = [0, 1, 2].map(() => HydraCache.local().build());
  const syncs = caches.map((cache) => attachSync(cache, bus.transport()));
  await Promise.all(syncs.map((sync) => sync.ready));
  for (const cache of caches) {
    await cache.getOrLoad("user:1", { tags: ["users"] }, () => "ada");
    await cache.getOrLoad("post:1", { tags: ["posts"] }, () => "hello");
  }
  const [a, b, c] = caches as [HydraCache, HydraCache, HydraCache];
  await a.invalidateTag("users");
  for (const cache of caches) {
    assert.is(await cache.get("user:1"), undefined);
    assert.is(await cache.get("post:1"), "hello");
  }
  assert.equal(
    syncs.map((sync) => [sync.stats().published, sync.stats().messages]),
    [
      [1, 0],
      [0, 1],
      [0, 1],
    ],
  );
  await b.put("post:1", "changed");
  assert.is(await b.get("post:1"), "changed", "the writer keeps its own put");
  assert.is(await a.get("post:1"), undefined, "a put removes the key on the other instances");
  assert.is(await c.get("post:1"), undefined);
  await c.flush();
  assert.equal(
    syncs.map((sync) => sync.stats().resyncs),
    [1, 1, 1],
    "only the subscription resynced",
  );
  assert.is(await b.get("post:1"), undefined, "a local flush is published as { all: true }");
  await Promise.all(syncs.map((sync) => sync.close()));
});

test("memoryBus: delivers in publish order; a closed member neither receives nor publishes; a member starts once", async () => {
  const bus = memoryBus();
  const seen: string[] = [];
  const listener = HydraCache.local().build();
  listener.subscribe((event) => seen.push(String(event.tags ?? event.keys)));
  const members = [bus.transport(), bus.transport()] as const;
  const syncs = [attachSync(HydraCache.local().build(), members[0]), attachSync(listener, members[1])];
  await Promise.all(syncs.map((sync) => sync.ready));
  await members[0].publish?.({ tags: ["a"] });
  await members[0].publish?.({ keys: ["b"] });
  await members[0].publish?.({ tags: ["c"] });
  assert.equal(seen.slice(-3), ["a", "b", "c"]);
  await syncs[1]?.close();
  await members[0].publish?.({ tags: ["d"] });
  await members[1].publish?.({ tags: ["e"] });
  assert.is(seen.at(-1), "c");
  const sink = (await synced()).sink;
  await rejectsWith(members[0].start(sink), "INVALID_OPTIONS", /starts only once/);
  await syncs[0]?.close();
});

test("gate (G3 fail closed): past F without a confirm, get misses and getOrLoad loads once for all callers, storing nothing", async () => {
  const { clock, cache, sink, sync } = await synced();
  await cache.getOrLoad("k", () => "stored");
  clock.advance(F);
  assert.is(sync.state, "synced", "F itself is still synced");
  assert.is(await cache.get("k"), "stored");
  clock.advance(1);
  assert.is(sync.state, "unsynced");
  const entries = inspectEngine(cache).entries;
  assert.is(await cache.get("k"), undefined, "get misses while unsynced");
  let calls = 0;
  const load = gate<string>();
  const readers = [1, 2, 3].map(() =>
    cache.getOrLoad("k", () => {
      calls++;
      return load.promise;
    }),
  );
  load.open("fresh");
  assert.equal(await Promise.all(readers), ["fresh", "fresh", "fresh"]);
  assert.is(calls, 1, "single-flight still holds");
  assert.is(inspectEngine(cache).entries, entries, "a bypassed load stores nothing");
  assert.is(sync.stats().bypassedReads, 4);
  sink.confirm(sink.now());
  assert.is(sync.state, "synced");
  assert.is(
    await cache.get("k"),
    "stored",
    "confirmed again: the stored value (never invalidated) is served",
  );
  await sync.close();
});

test("gate: put still stores while unsynced; whenUnsynced 'serve' keeps serving stored values", async () => {
  const bypass = await synced();
  bypass.clock.advance(F + 1);
  await bypass.cache.put("k", "v");
  assert.is(await bypass.cache.get("k"), undefined);
  bypass.sink.confirm(bypass.sink.now());
  assert.is(await bypass.cache.get("k"), "v");
  const serve = await synced({ whenUnsynced: "serve" });
  await serve.cache.put("k", "v");
  serve.clock.advance(10 * F);
  assert.is(serve.sync.state, "unsynced");
  assert.is(await serve.cache.get("k"), "v");
  assert.is(serve.sync.stats().bypassedReads, 0);
  await Promise.all([bypass.sync.close(), serve.sync.close()]);
});

test("states: starting (gate closed) until the first confirm, then synced, unsynced past F, closed; each change heard once", async () => {
  const { clock, cache } = clockedCache();
  const transport = manualTransport();
  const sync = attachSync(cache, transport, { maxStalenessMs: F });
  const states: unknown[] = [];
  sync.on("state", (state) => states.push(state));
  await settle();
  assert.is(sync.state, "starting");
  await cache.put("k", "v");
  assert.is(await cache.get("k"), undefined, "starting: the gate is closed");
  const sink = transport.sink();
  clock.advance(300);
  sink.confirm(sink.now() - 100);
  assert.is(sync.state, "synced");
  clock.advance(F - 100);
  assert.is(sync.state, "synced", "the horizon is exactly F old");
  clock.advance(200);
  assert.is(sync.state, "unsynced");
  assert.is(sync.stats().unsyncedMs, 300 + 200, "starting for 300 ms, then unsynced since horizon + F");
  assert.is(sync.stats().horizonAgeMs, F + 200);
  sink.confirm(sink.now());
  clock.advance(50);
  await sync.close();
  assert.is(sync.state, "closed");
  assert.equal(states, ["synced", "unsynced", "synced", "closed"]);
  assert.is(sync.stats().unsyncedMs, 500, "synced again, then closed: nothing added");
  assert.is(transport.closes(), 1);
});

test("confirm: only a later one moves the horizon; one from the future counts as now; a resync never moves it", async () => {
  const { clock, sink, sync } = await synced();
  const start = sink.now();
  clock.advance(500);
  sink.confirm(start - 100);
  assert.is(sync.stats().horizonAgeMs, 500, "an older confirm changes nothing");
  sink.confirm(sink.now() + 60_000);
  assert.is(sync.stats().horizonAgeMs, 0);
  clock.advance(F + 1);
  assert.is(sync.state, "unsynced", "the future was clamped to now");
  sink.resync("gap");
  assert.is(sync.state, "unsynced");
  assert.is(sync.stats().confirms, 3);
  await sync.close();
});

test("resync: flushes, makes loads in flight stale, is reported, and is never published", async () => {
  const { cache, transport, sink, sync } = await synced();
  const resyncs: unknown[] = [];
  sync.on("resync", (event) => resyncs.push(event));
  await cache.getOrLoad("a", { tags: ["t"] }, () => 1);
  const load = gate<number>();
  const reader = cache.getOrLoad("b", () => load.promise);
  sink.resync("reconnected");
  load.open(2);
  assert.is(await reader, 2, "the caller still gets its result");
  assert.is(await cache.get("a"), undefined);
  assert.is(await cache.get("b"), undefined, "the load that straddled the resync stored nothing");
  assert.equal(resyncs, [{ reason: "reconnected" }]);
  assert.equal(transport.published, []);
  assert.is(sync.stats().resyncs, 2);
  assert.is(sync.stats().lastResyncReason, "reconnected");
  await sync.close();
});

test("G2 no resurrection: a load in flight when a covering remote invalidation arrives is never stored", async () => {
  const { cache, sink, sync } = await synced();
  const load = gate<string>();
  const reader = cache.getOrLoad("user:1", { tags: ["table:users"] }, () => load.promise);
  sink.invalidate({ tags: ["table:users"] });
  load.open("old row");
  assert.is(await reader, "old row");
  assert.is(await cache.get("user:1"), undefined);
  assert.is(cache.stats().staleLoadDiscards, 1);
  const byKey = gate<string>();
  const keyed = cache.getOrLoad("user:2", () => byKey.promise);
  sink.invalidate({ keys: ["user:2"] });
  byKey.open("old");
  assert.is(await keyed, "old");
  assert.is(await cache.get("user:2"), undefined);
  await sync.close();
});

test("G5 message safety: malformed arguments resync and count; duplicates and unknown tags cost nothing more; sinks never throw", async () => {
  const { cache, sink, sync } = await synced();
  const seed = () => cache.getOrLoad("k", { tags: ["kept"] }, () => "v");
  await seed();
  sink.invalidate({ tags: ["unrelated"] });
  sink.invalidate({ tags: ["unrelated"] });
  sink.invalidate({ keys: [], tags: [] });
  assert.is(await cache.get("k"), "v", "duplicates and out-of-scope messages remove nothing else");
  const malformed: unknown[] = [
    undefined,
    null,
    "table:users",
    [],
    { tag: "x" },
    { keys: [1] },
    { all: "yes" },
  ];
  for (const value of malformed) {
    await seed();
    assert.not.throws(() => sink.invalidate(value as InvalidationEvent));
    assert.is(await cache.get("k"), undefined, `${JSON.stringify(value)} caused a resync`);
  }
  assert.not.throws(() => sink.resync("bogus" as never));
  assert.not.throws(() => sink.confirm("later" as never));
  assert.not.throws(() => sink.confirm(Number.NaN));
  const stats = sync.stats();
  assert.is(stats.messages, 3 + malformed.length);
  assert.is(stats.invalidations, 3);
  assert.is(stats.decodeErrors, malformed.length);
  assert.is(stats.resyncs, 1 + malformed.length + 1);
  assert.is(stats.lastResyncReason, "manual", "an unknown reason counts as a manual resync");
  assert.is(stats.confirms, 1);
  await sync.close();
});

test("close: the sink goes inert, the gate and publishing stop, the cache serves as a local cache again", async () => {
  const { clock, cache, transport, sink, sync } = await synced();
  await cache.getOrLoad("k", () => "v");
  const closing = sync.close();
  assert.is(sync.close(), closing, "close is idempotent");
  await closing;
  sink.invalidate({ keys: ["k"] });
  sink.resync("gap");
  sink.confirm(sink.now());
  clock.advance(10 * F);
  assert.is(await cache.get("k"), "v");
  await cache.invalidateKey("k");
  assert.equal(transport.published, []);
  assert.equal(
    [sync.stats().messages, sync.stats().resyncs, sync.stats().confirms],
    [0, 1, 1],
    "nothing counted after close",
  );
  assert.is(transport.closes(), 1);
  const again = attachSync(cache, manualTransport());
  await again.close();
});

test("ready: rejects SYNC_NOT_CONFIRMED when the transport fails to start, when closed first, or with no confirm within 2F", async () => {
  const failing = attachSync(HydraCache.local().build(), {
    start: async () => {
      throw new Error("no route to host");
    },
    close: async () => {},
  });
  const errors: unknown[] = [];
  failing.on("error", (error) => errors.push(error));
  await rejectsWith(failing.ready, "SYNC_NOT_CONFIRMED", /failed to start: no route to host/);
  assert.equal(
    errors.map((error) => (error as Error).message),
    ["no route to host"],
  );
  await failing.close();
  const closedFirst = attachSync(HydraCache.local().build(), manualTransport());
  await closedFirst.close();
  await rejectsWith(closedFirst.ready, "SYNC_NOT_CONFIRMED", /closed before the first confirmation/);
  const silent = attachSync(HydraCache.local().build(), manualTransport(), { maxStalenessMs: 20 });
  await rejectsWith(silent.ready, "SYNC_NOT_CONFIRMED", /no confirmation from the transport within 40 ms/);
  assert.is(silent.state, "starting");
  await silent.close();
});

test("errors: a failed publish and a throwing listener are reported on 'error'; unsubscribing stops a listener", async () => {
  const { clock, cache } = clockedCache();
  const sync = attachSync(cache, {
    async start(sink) {
      sink.confirm(sink.now());
    },
    publish: async () => {
      throw new Error("publish failed");
    },
    close: async () => {},
  });
  const errors: string[] = [];
  sync.on("error", (error) => errors.push((error as Error).message));
  const off = sync.on("state", () => {
    throw new Error("listener failed");
  });
  await sync.ready;
  await cache.invalidateTag("t");
  await settle();
  clock.advance(10 * F);
  assert.is(sync.state, "unsynced");
  off();
  await sync.close();
  assert.equal(errors, ["listener failed", "publish failed", "listener failed"], "synced, publish, unsynced");
});

test("attachSync: bad arguments throw INVALID_OPTIONS naming them; one sync per cache at a time", async () => {
  const cache = HydraCache.local().build();
  const throws = (call: () => unknown, pattern: RegExp) => {
    try {
      call();
      assert.unreachable("did not throw");
    } catch (error) {
      assert.ok(CacheError.is(error) && error.code === "INVALID_OPTIONS", String(error));
      assert.match((error as Error).message, pattern);
    }
  };
  const transport = manualTransport();
  throws(() => attachSync({} as HydraCache, transport), /attachSync needs a HydraCache/);
  throws(() => attachSync(cache, {} as InvalidationTransport), /transport must have start and close/);
  throws(
    () => attachSync(cache, { ...transport, publish: 1 } as never),
    /transport must have start and close/,
  );
  throws(() => attachSync(cache, transport, { maxStaleness: 1 } as never), /unknown option "maxStaleness"/);
  throws(() => attachSync(cache, transport, "fast" as never), /options must be an object/);
  throws(
    () => attachSync(cache, transport, { maxStalenessMs: 0 }),
    /maxStalenessMs must be a positive finite/,
  );
  throws(
    () => attachSync(cache, transport, { maxStalenessMs: Number.POSITIVE_INFINITY }),
    /maxStalenessMs must be a positive finite/,
  );
  throws(
    () => attachSync(cache, transport, { whenUnsynced: "fail" as never }),
    /whenUnsynced must be "bypass" or "serve"/,
  );
  const sync = attachSync(cache, transport);
  throws(() => attachSync(cache, manualTransport()), /already has a sync attached/);
  throws(() => sync.on("closed" as never, () => {}), /unknown event "closed"/);
  throws(() => sync.on("state", "log" as never), /listener must be a function/);
  await sync.close();
});

test.run();
