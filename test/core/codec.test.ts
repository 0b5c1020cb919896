import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { type CacheCodec, cborCodec, HydraCache, referenceCodec } from "../../src/index.ts";
import { rejectsWith } from "./helpers.ts";

class User {
  readonly id: number;
  readonly name: string;
  constructor(id: number, name: string) {
    this.id = id;
    this.name = name;
  }
  greet(): string {
    return `hi ${this.name}`;
  }
}

test("cborCodec: round-trips Date, Map, Set, BigInt, typed arrays, null and nested undefined", async () => {
  const cache = HydraCache.local().build();
  const value = {
    at: new Date(0),
    map: new Map([["a", 1]]),
    set: new Set([1, 2]),
    big: 2n ** 70n,
    bytes: new Uint8Array([1, 2, 3]),
    nothing: null,
    missing: undefined,
  };
  await cache.put("k", value);
  const back = await cache.get<typeof value>("k");
  assert.ok(back?.at instanceof Date);
  assert.is(back?.at.getTime(), 0);
  assert.equal([...(back?.map ?? [])], [["a", 1]]);
  assert.equal([...(back?.set ?? [])], [1, 2]);
  assert.is(back?.big, 2n ** 70n);
  assert.equal([...(back?.bytes ?? [])], [1, 2, 3]);
  assert.is(back?.nothing, null);
  assert.ok(back !== undefined && "missing" in back);
});

test("cborCodec: stores a copy of the encoder's bytes, not a view into its shared buffer", () => {
  const bytes = cborCodec.encode({ a: 1 });
  assert.ok(bytes instanceof Uint8Array);
  assert.is(bytes.byteOffset, 0);
  assert.is(bytes.buffer.byteLength, bytes.byteLength);
});

test("a class instance comes back as a plain object on a miss and on a hit", async () => {
  const cache = HydraCache.local().build();
  const loaded = await cache.getOrLoad("user", () => new User(1, "Ada"));
  const hit = await cache.getOrLoad("user", () => new User(2, "Bob"));
  for (const value of [loaded, hit]) {
    assert.equal(value, { id: 1, name: "Ada" });
    assert.is(Object.getPrototypeOf(value), Object.prototype);
  }
});

test("every hit is a fresh copy: mutating a result never changes what others get", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", { list: [1] });
  const first = await cache.get<{ list: number[] }>("k");
  first?.list.push(2);
  assert.equal(await cache.get("k"), { list: [1] });
});

test("put: a value the codec cannot encode rejects with ENCODE_FAILED and stores nothing", async () => {
  const cache = HydraCache.local().build();
  await cache.put("k", "previous");
  for (const value of [() => 1, Symbol("s"), { nested: () => 1 }]) {
    const error = await rejectsWith(cache.put("k", value), "ENCODE_FAILED", /"k"/);
    assert.ok(error.cause instanceof Error);
  }
  assert.is(await cache.get("k"), "previous");
});

test("getOrLoad: a loaded value the codec cannot encode rejects every waiter with ENCODE_FAILED", async () => {
  const cache = HydraCache.local().build();
  const loader = async () => ({ run: () => 1 });
  const waiters = [cache.getOrLoad("k", loader), cache.getOrLoad("k", loader)];
  for (const waiter of waiters) await rejectsWith(waiter, "ENCODE_FAILED", /"k"/);
  assert.equal(inspectEngine(cache), {
    entries: 0,
    inFlight: 0,
    inFlightTags: 0,
    danglingTagKeys: 0,
    tags: 0,
  });
});

test("maxEntryBytes: put rejects an oversize encoding with ENTRY_TOO_LARGE", async () => {
  const cache = HydraCache.local().maxEntryBytes(64).build();
  await rejectsWith(cache.put("big", "x".repeat(100)), "ENTRY_TOO_LARGE", /"big".*64/);
  assert.is(await cache.containsKey("big"), false);
  await cache.put("small", "x".repeat(10));
  assert.is(await cache.get("small"), "x".repeat(10));
});

test("maxEntryBytes: getOrLoad returns an oversize value without storing it (not a stale discard)", async () => {
  const cache = HydraCache.local().maxEntryBytes(64).build();
  assert.is(await cache.getOrLoad("big", () => "x".repeat(100)), "x".repeat(100));
  assert.is(await cache.containsKey("big"), false);
  assert.is(cache.stats().staleLoadDiscards, 0);
});

test("maxEntryBytes: defaults to 16 MiB, must be a positive integer", async () => {
  const cache = HydraCache.local().build();
  await rejectsWith(cache.put("huge", new Uint8Array((16 << 20) + 1)), "ENTRY_TOO_LARGE");
  for (const bad of [0, -5, 1.5, Number.NaN, "1"]) {
    assert.throws(() => HydraCache.local().maxEntryBytes(bad as number), /maxEntryBytes/);
  }
  HydraCache.local().maxEntryBytes(Number.POSITIVE_INFINITY);
});

test("an entry that fails to decode is removed, counted as a miss, and get rejects with DECODE_FAILED once", async () => {
  let failDecodes = false;
  const flaky: CacheCodec = {
    encode: cborCodec.encode,
    decode: (bytes) => {
      if (failDecodes) throw new Error("corrupt");
      return cborCodec.decode(bytes);
    },
  };
  const cache = HydraCache.local().codec(flaky).build();
  await cache.put("k", 1, { tags: ["t"] });
  failDecodes = true;
  const error = await rejectsWith(cache.get("k"), "DECODE_FAILED", /"k".*corrupt/);
  assert.match(String((error.cause as Error).message), /corrupt/);
  assert.is(await cache.get("k"), undefined);
  assert.equal(cache.stats(), { ...cache.stats(), hits: 0, misses: 2 });
  assert.is(inspectEngine(cache).tags, 0);
});

test("getOrLoad: an undecodable entry is a miss and is loaded again", async () => {
  let failDecodes = false;
  const flaky: CacheCodec = {
    encode: cborCodec.encode,
    decode: (bytes) => {
      if (failDecodes) {
        failDecodes = false;
        throw new Error("corrupt");
      }
      return cborCodec.decode(bytes);
    },
  };
  const cache = HydraCache.local().codec(flaky).build();
  await cache.put("k", "old");
  failDecodes = true;
  assert.is(await cache.getOrLoad("k", () => "reloaded"), "reloaded");
  assert.is(await cache.get("k"), "reloaded");
  assert.is(cache.stats().loads, 1);
});

test("getOrLoad: a codec that cannot decode what it encoded rejects the callers with DECODE_FAILED", async () => {
  const broken: CacheCodec = {
    encode: cborCodec.encode,
    decode: () => {
      throw new Error("unreadable");
    },
  };
  const cache = HydraCache.local().codec(broken).build();
  await rejectsWith(
    cache.getOrLoad("k", () => 1),
    "DECODE_FAILED",
    /unreadable/,
  );
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("referenceCodec: hits return the very object that was loaded (shared, read-only)", async () => {
  const cache = HydraCache.local().codec(referenceCodec).build();
  const user = new User(1, "Ada");
  const loaded = await cache.getOrLoad("u", () => user);
  const hit = await cache.get<User>("u");
  assert.is(loaded, user);
  assert.is(hit, user);
  assert.is(hit?.greet(), "hi Ada");
});

test("codec: the builder rejects something that is not a codec", () => {
  for (const bad of [null, {}, { encode: () => new Uint8Array() }, "cbor"]) {
    assert.throws(
      () => HydraCache.local().codec(bad as never),
      (error: Error & { code?: string }) => error.code === "INVALID_OPTIONS" && /codec/.test(error.message),
    );
  }
});

test.run();
