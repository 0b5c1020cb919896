// Freshness controls: staleWhileRevalidate, staleIfError, per-call timeout and signal, the loader
// context. Time is a fake clock; only timeouts wait in real time (a few ms, never asserted on).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getOrLoadWithOptionsAtStart, inspectEngine } from "../../src/core/internal.ts";
import { CacheOptions, HydraCache } from "../../src/index.ts";
import { fakeClock, gate, rejectsWith, settle } from "./helpers.ts";

function clockedCache(configure = (builder: ReturnType<typeof HydraCache.local>) => builder) {
  const clock = fakeClock();
  return { clock, cache: configure(HydraCache.local().clock(clock.now)).build() };
}

test("staleWhileRevalidate: within the window a read returns the stale value at once and one background refresh runs", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("k", "v1", { ttl: 100, staleWhileRevalidate: 1_000 });
  clock.advance(150);
  const refresh = gate<string>();
  let runs = 0;
  const loader = () => {
    runs++;
    return refresh.promise;
  };
  assert.is(await cache.getOrLoad("k", loader), "v1");
  assert.is(await cache.getOrLoad("k", loader), "v1"); // the refresh is already running: no second one
  assert.is(await cache.get("k"), "v1");
  assert.is(runs, 1);
  refresh.open("v2");
  await settle();
  assert.is(await cache.get("k"), "v2");
  const stats = cache.stats();
  assert.is(stats.staleHits, 3);
  assert.is(stats.hits, 1);
  assert.is(stats.loads, 1);
  assert.is(stats.misses, 0);
});

test("staleWhileRevalidate: past the window the value is gone and the caller waits for a load", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("k", "v1", { ttl: 100, staleWhileRevalidate: 50 });
  clock.advance(150);
  assert.is(await cache.get("k"), undefined);
  assert.is(await cache.getOrLoad("k", () => "v2"), "v2");
  assert.is(inspectEngine(cache).entries, 1);
});

test("staleWhileRevalidate: an invalidated value is never served stale", async () => {
  const { clock, cache } = clockedCache((builder) => builder.staleWhileRevalidate(10_000));
  await cache.put("k", "v1", { ttl: 100, tags: ["t"] });
  clock.advance(150);
  await cache.invalidateTag("t");
  assert.is(await cache.get("k"), undefined);
  assert.is(await cache.containsKey("k"), false);
  assert.is(await cache.getOrLoad("k", () => "v2"), "v2");
});

test("staleWhileRevalidate: a refresh overtaken by an invalidation is discarded, and the stale value goes with it", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("k", "v1", { ttl: 100, staleWhileRevalidate: 1_000, tags: ["t"] });
  clock.advance(150);
  const refresh = gate<string>();
  assert.is(await cache.getOrLoad("k", { tags: ["t"] }, () => refresh.promise), "v1");
  await cache.invalidateTag("t");
  refresh.open("read before the write");
  await settle();
  assert.is(await cache.get("k"), undefined);
  assert.is(cache.stats().staleLoadDiscards, 1);
});

test("staleWhileRevalidate: a failed refresh leaves the stale value until its window ends, and the next read retries", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("k", "v1", { ttl: 100, staleWhileRevalidate: 1_000 });
  clock.advance(150);
  let runs = 0;
  const failing = () => {
    runs++;
    throw new Error("down");
  };
  assert.is(await cache.getOrLoad("k", failing), "v1");
  await settle();
  assert.is(await cache.getOrLoad("k", failing), "v1");
  await settle();
  assert.is(runs, 2);
  assert.is(cache.stats().inFlight, 0);
});

test("staleIfError: a failed load answers every waiter with the expired value, stores nothing new", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("k", { n: 1 }, { ttl: 100, staleIfError: 1_000 });
  clock.advance(500);
  const failure = gate<{ n: number }>();
  const first = cache.getOrLoad("k", () => failure.promise);
  const second = cache.getOrLoad("k", () => failure.promise);
  failure.fail(new Error("database down"));
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a, { n: 1 });
  assert.equal(b, { n: 1 });
  assert.is.not(a, b); // every caller its own copy
  assert.is(cache.stats().staleHits, 2);
  assert.is(await cache.get("k"), undefined); // expired, and not made fresh again
});

test("staleIfError: past its window, or with none, a failed load rejects LOADER_FAILED", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("a", 1, { ttl: 100, staleIfError: 200 });
  await cache.put("b", 1, { ttl: 100 });
  clock.advance(400);
  const error = await rejectsWith(
    cache.getOrLoad("a", () => Promise.reject(new Error("down"))),
    "LOADER_FAILED",
  );
  assert.match((error.cause as Error).message, /down/);
  await rejectsWith(
    cache.getOrLoad("b", () => Promise.reject(new Error("down"))),
    "LOADER_FAILED",
  );
});

test("staleIfError: an invalidation removes the fallback too", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("k", 1, { ttl: 100, staleIfError: 10_000 });
  clock.advance(200);
  await cache.invalidateKey("k");
  await rejectsWith(
    cache.getOrLoad("k", () => Promise.reject(new Error("down"))),
    "LOADER_FAILED",
  );
});

test("timeout: without a usable stale value the caller rejects LOADER_TIMEOUT; the load goes on and is stored", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("k", "old", { ttl: 100, staleWhileRevalidate: 10 });
  clock.advance(150); // past the window: nothing usable
  const slow = gate<string>();
  await rejectsWith(
    cache.getOrLoad("k", { timeout: 5 }, () => slow.promise),
    "LOADER_TIMEOUT",
    /5 ms/,
  );
  assert.is(cache.stats().inFlight, 1);
  slow.open("new");
  await settle();
  assert.is(await cache.get("k"), "new");
});

test("timeout: a value a read would serve answers a caller whose timeout ran out (its own copy)", async () => {
  const cache = HydraCache.local().build();
  const slow = gate<{ v: string }>();
  const waiting = cache.getOrLoad("k", { timeout: 20 }, () => slow.promise);
  await cache.put("k", { v: "written meanwhile" }); // the load is overtaken; the caller still waits for it
  assert.equal(await waiting, { v: "written meanwhile" });
  assert.is(cache.stats().staleHits, 1);
  slow.open({ v: "read before the write" });
  await settle();
  assert.equal(await cache.get("k"), { v: "written meanwhile" });
  assert.is(cache.stats().staleLoadDiscards, 1);
});

test("loaderTimeout: the builder's default applies to every getOrLoad without its own timeout", async () => {
  const cache = HydraCache.local().loaderTimeout(3).build();
  const never = gate<number>();
  await rejectsWith(
    cache.getOrLoad("k", () => never.promise),
    "LOADER_TIMEOUT",
  );
  // A per-call timeout wins.
  const quick = cache.getOrLoad("q", { timeout: Number.POSITIVE_INFINITY }, () => 7);
  assert.is(await quick, 7);
});

test("signal: an aborted caller rejects ABORTED with the reason as cause; the others still get the value", async () => {
  const cache = HydraCache.local().build();
  const slow = gate<string>();
  const controller = new AbortController();
  let loaderSignal: AbortSignal | undefined;
  const aborted = cache.getOrLoad("k", { signal: controller.signal }, ({ signal }) => {
    loaderSignal = signal;
    return slow.promise;
  });
  const patient = cache.getOrLoad("k", () => "unused");
  const reason = new Error("client went away");
  controller.abort(reason);
  const error = await rejectsWith(aborted, "ABORTED");
  assert.is(error.cause, reason);
  assert.is(loaderSignal?.aborted, false); // another caller still waits
  slow.open("value");
  assert.is(await patient, "value");
  assert.is(await cache.get("k"), "value");
});

test("signal: when every caller stopped waiting, the loader's signal aborts; a load that still settles is stored", async () => {
  const cache = HydraCache.local().build();
  const slow = gate<string>();
  const one = new AbortController();
  const two = new AbortController();
  let loaderSignal: AbortSignal | undefined;
  const first = cache.getOrLoad("k", new CacheOptions().signal(one.signal), ({ signal }) => {
    loaderSignal = signal;
    return slow.promise;
  });
  const second = cache.getOrLoad("k", { signal: two.signal }, () => "unused");
  one.abort();
  await rejectsWith(first, "ABORTED");
  assert.is(loaderSignal?.aborted, false);
  two.abort();
  await rejectsWith(second, "ABORTED");
  assert.is(loaderSignal?.aborted, true);
  slow.open("stored anyway");
  await settle();
  assert.is(await cache.get("k"), "stored anyway");
});

test("signal: already aborted rejects at once, running nothing", async () => {
  const cache = HydraCache.local().build();
  let runs = 0;
  await rejectsWith(
    cache.getOrLoad("k", { signal: AbortSignal.abort() }, () => runs++),
    "ABORTED",
  );
  assert.is(runs, 0);
  assert.is(cache.stats().loads, 0);
});

test("signal: a loader that reads its signal only after every caller left sees it aborted", async () => {
  const cache = HydraCache.local().build();
  const controller = new AbortController();
  const slow = gate<void>();
  let late: boolean | undefined;
  const caller = cache.getOrLoad("k", { signal: controller.signal }, async (context) => {
    await slow.promise;
    late = context.signal.aborted;
    return 1;
  });
  controller.abort();
  await rejectsWith(caller, "ABORTED");
  slow.open();
  await settle();
  assert.is(late, true);
});

test("loader context: the loader receives the physical key", async () => {
  const cache = HydraCache.local().build();
  const keys: string[] = [];
  await cache.getOrLoad("a", ({ key }) => keys.push(key));
  await cache.typed<number>("ns").getOrLoad("b", ({ key }) => keys.push(key));
  assert.equal(keys, ["a", "ns:b"]);
});

test("options: windows and timeouts are validated like TTLs", async () => {
  const cache = HydraCache.local().build();
  await rejectsWith(
    cache.put("k", 1, { staleWhileRevalidate: -1 }),
    "INVALID_OPTIONS",
    /staleWhileRevalidate/,
  );
  await rejectsWith(cache.put("k", 1, { staleIfError: Number.NaN }), "INVALID_OPTIONS", /staleIfError/);
  await rejectsWith(
    cache.getOrLoad("k", { timeout: 0 }, () => 1),
    "INVALID_OPTIONS",
    /timeout/,
  );
  await rejectsWith(
    cache.getOrLoad("k", { signal: {} as AbortSignal }, () => 1),
    "INVALID_OPTIONS",
    /signal must be an AbortSignal/,
  );
  // put does not wait: timeout and signal are not put options.
  await rejectsWith(
    cache.put("k", 1, { timeout: 5 } as never),
    "INVALID_OPTIONS",
    /unknown option "timeout"/,
  );
  await rejectsWith(cache.put("k", 1, new CacheOptions().timeout(5)), "INVALID_OPTIONS", /getOrLoad options/);
  assert.throws(() => HydraCache.local().staleWhileRevalidate(-5), /staleWhileRevalidate/);
  assert.throws(() => HydraCache.local().loaderTimeout(0), /loaderTimeout/);
  assert.is(inspectEngine(cache).entries, 0);
});

test("CacheOptions and builder defaults carry the windows; a per-entry window wins", async () => {
  const { clock, cache } = clockedCache((builder) => builder.staleIfError(50).staleWhileRevalidate(0));
  const options = new CacheOptions().ttl(100).staleWhileRevalidate(1_000).staleIfError(5_000);
  await cache.put("own", "a", options);
  await cache.put("default", "b", { ttl: 100 });
  clock.advance(500);
  assert.is(await cache.get("own"), "a"); // within its own read window
  assert.is(await cache.get("default"), undefined); // no read window by default
  const failing = () => Promise.reject(new Error("down"));
  await rejectsWith(cache.getOrLoad("default", failing), "LOADER_FAILED"); // 400 ms past its 50 ms
  await cache.put("recent", "c", { ttl: 100 });
  clock.advance(120);
  assert.is(await cache.getOrLoad("recent", failing), "c"); // within the builder's 50 ms
});

test("a caller with a timeout or a signal gets the value, or the load's error, when it settles in time", async () => {
  const cache = HydraCache.local().build();
  const controller = new AbortController();
  assert.is(
    await cache.getOrLoad("a", { timeout: 60_000, signal: controller.signal }, () => Promise.resolve(1)),
    1,
  );
  await rejectsWith(
    cache.getOrLoad("b", { timeout: 60_000 }, () => Promise.reject(new Error("down"))),
    "LOADER_FAILED",
  );
  const undecodable = HydraCache.local()
    .codec({
      encode: () => new Uint8Array([1]),
      decode: () => {
        throw new Error("corrupt");
      },
    })
    .build();
  await rejectsWith(
    undecodable.getOrLoad("c", { timeout: 60_000 }, () => 1),
    "DECODE_FAILED",
  );
  controller.abort(); // after settling: changes nothing
  assert.is(cache.stats().inFlight, 0);
});

test("a stale read whose load options cannot be computed serves the stale value and starts no refresh", async () => {
  const { clock, cache } = clockedCache();
  await cache.put("k", "stale", { ttl: 10, staleWhileRevalidate: 1_000 });
  clock.advance(20);
  let runs = 0;
  const value = await getOrLoadWithOptionsAtStart(
    cache,
    "k",
    () => {
      throw new Error("cannot derive tags");
    },
    () => ++runs,
  );
  assert.is(value, "stale");
  assert.is(runs, 0);
  assert.is(cache.stats().inFlight, 0);
});

test.run();
