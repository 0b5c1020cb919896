import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCborCodec } from "../../src/codec/cbor.ts";
import { canGenerateCode } from "../../src/codec/codegen.ts";
import { MAX_NESTING } from "../../src/codec/fidelity.ts";
import { inspectEngine } from "../../src/core/internal.ts";
import { type CacheCodec, cborCodec, HydraCache, referenceCodec } from "../../src/index.ts";
import { assertExact, rejectsWith } from "./helpers.ts";

/** Both CBOR paths: records (Node, Deno, Bun, browsers) and plain maps (workerd, strict CSP). */
const PATHS = [
  { name: "records", codec: createCborCodec({ records: true }) },
  { name: "plain maps", codec: createCborCodec({ records: false }) },
] as const;

/** A value `levels` containers deep: `wrap` applied `levels` times around 0. */
function nested(levels: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = wrap(value);
  return value;
}

/** `{ "__proto__": inner, after }` with "__proto__" as an own data key, as JSON.parse makes it. */
const withProtoKey = (inner: unknown, after: unknown): Record<string, unknown> =>
  Object.fromEntries([
    ["__proto__", inner],
    ["after", after],
  ]);

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

test("canGenerateCode: no in workerd (it forbids code generation during requests), no where it throws", () => {
  assert.is(canGenerateCode(), true, "Node");
  const global = globalThis as { navigator?: unknown; Function: FunctionConstructor };
  const navigator = Object.getOwnPropertyDescriptor(global, "navigator");
  Object.defineProperty(global, "navigator", {
    value: { userAgent: "Cloudflare-Workers" },
    configurable: true,
  });
  try {
    assert.is(canGenerateCode(), false, "workerd");
  } finally {
    if (navigator === undefined) delete global.navigator;
    else Object.defineProperty(global, "navigator", navigator);
  }
  const original = global.Function;
  global.Function = function blocked() {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  try {
    assert.is(canGenerateCode(), false, "a strict Content-Security-Policy");
  } finally {
    global.Function = original;
  }
});

test("cborCodec: where code generation is allowed (Node, Deno, Bun) the default codec writes records", () => {
  // A record starts with a 16-bit tag (0xd9); a plain CBOR map written by cbor-x with 0xb9.
  assert.is(cborCodec.encode({ a: 1 })[0], 0xd9);
  assert.is(PATHS[1].codec.encode({ a: 1 })[0], 0xb9);
});

for (const { name, codec } of PATHS) {
  test(`CBOR (${name}): round-trips Date, Map, Set, BigInt, typed arrays, null, undefined inside objects`, () => {
    const value = {
      at: new Date(1_700_000_000_000),
      map: new Map<unknown, unknown>([
        ["a", { id: 1 }],
        [2, [null]],
      ]),
      set: new Set(["x", 2]),
      big: -(2n ** 70n),
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([1.5, -0]),
      nothing: null,
      missing: undefined,
      nested: [{ id: 1, name: "a" }, { id: 2, name: "b" }, { id: 3, name: "c" }, "four"],
    };
    for (let i = 0; i < 5; i++) assertExact(codec.decode(codec.encode(value)), value);
  });

  test(`CBOR (${name}): -0 stays -0 and an own "__proto__" key stays an own data key, wherever they are`, () => {
    const values = [
      -0,
      [0, -0],
      { n: -0, z: 0 },
      new Map([["m", -0]]),
      withProtoKey(1, 2),
      withProtoKey({ deep: -0 }, [withProtoKey(null, -0)]),
      { list: [withProtoKey("x", 0)], __proto_: "a genuine key" },
      [new Map([[withProtoKey(1, 1), new Set([withProtoKey(2, 2)])]])],
    ];
    for (const value of values) {
      const decoded = codec.decode(codec.encode(value));
      assertExact(decoded, value);
      if (typeof decoded === "object" && decoded !== null) {
        assert.is(Object.getPrototypeOf({ ...decoded }), Object.prototype, "no prototype was set");
      }
    }
    assert.is(({} as Record<string, unknown>).after, undefined, "Object.prototype untouched");
  });

  test(`CBOR (${name}): values without -0 or "__proto__" are written as cbor-x writes them`, () => {
    const value = { id: 1, list: [0, 1.5], map: new Map([["k", 0]]) };
    const bytes = codec.encode(value);
    assert.ok(!(bytes[0] === 0xd9 && bytes[1] === 0xd7 && bytes[2] === 0xc0), "no wrapping tag");
  });

  test(`CBOR (${name}): decoded byte arrays are copies, never views into the stored bytes`, () => {
    const bytes = codec.encode({ b: new Uint8Array([1, 2, 3]), f: new Float32Array([1]) });
    const first = codec.decode(bytes) as { b: Uint8Array; f: Float32Array };
    first.b[0] = 9;
    first.f[0] = 9;
    assertExact(codec.decode(bytes), { b: new Uint8Array([1, 2, 3]), f: new Float32Array([1]) });
  });

  test(`CBOR (${name}): a circular value fails with a message that says so, and the codec still works`, () => {
    const row: Record<string, unknown> = { id: 1, friends: [] };
    (row.friends as unknown[]).push({ id: 2, back: row });
    const inMap = new Map<string, unknown>();
    inMap.set("self", inMap);
    const inSet = new Set<unknown>();
    inSet.add([inSet]);
    for (const value of [row, inMap, inSet]) {
      assert.throws(
        () => codec.encode(value),
        (error: Error) => error.message === "the value is circular: it contains itself",
      );
    }
    // Neither a value nested past the limit nor a repeated reference is a cycle.
    assert.throws(
      () => codec.encode(nested(300_000, (inner) => [inner])),
      (error: Error) => !/circular/.test(error.message) && /512 levels/.test(error.message),
    );
    const shared = { id: 3 };
    assertExact(codec.decode(codec.encode({ a: shared, b: shared })), { a: { id: 3 }, b: { id: 3 } });
  });

  test(`CBOR (${name}): values nest up to 512 levels; one level more fails to encode at any stack depth, in any container`, () => {
    const containers: Array<[string, (inner: unknown) => unknown]> = [
      ["arrays", (inner) => [inner]],
      ["objects", (inner) => ({ a: inner })],
      ["maps", (inner) => new Map([["k", inner]])],
      ["sets", (inner) => new Set([inner])],
      ["rewritten objects (-0 first)", (inner) => ({ z: -0, a: inner })],
    ];
    /** `encode(value)` called from `frames` nested calls deep. */
    const encodeFrom = (frames: number, value: unknown): Uint8Array =>
      frames === 0 ? codec.encode(value) : encodeFrom(frames - 1, value);
    for (const [kind, wrap] of containers) {
      const deepest = nested(MAX_NESTING, wrap);
      assertExact(codec.decode(codec.encode(deepest)), deepest);
      for (const frames of [0, 2_000]) {
        assert.throws(
          () => encodeFrom(frames, nested(MAX_NESTING + 1, wrap)),
          (error: Error) =>
            error instanceof RangeError &&
            error.message === "the value nests objects, arrays, maps or sets deeper than 512 levels",
          `${kind}, ${frames} frames deep`,
        );
      }
    }
  });
}

test("cache: a value nested past the limit rejects put and every waiter of its load with ENCODE_FAILED; nothing is stored", async () => {
  const cache = HydraCache.local().build();
  const deep = JSON.parse(`${'{"a":'.repeat(2_000)}1${"}".repeat(2_000)}`);
  await rejectsWith(cache.put("k", deep), "ENCODE_FAILED", /"k".*deeper than 512 levels/);
  const waiters = [cache.getOrLoad("l", async () => deep), cache.getOrLoad("l", async () => deep)];
  for (const waiter of waiters) await rejectsWith(waiter, "ENCODE_FAILED", /deeper than 512 levels/);
  assert.is(await cache.containsKey("k"), false);
  assert.is(await cache.containsKey("l"), false);
  assert.is(cache.stats().inFlight, 0);
});

test('cache: -0 and an own "__proto__" key come back exactly on a miss, a join and a hit', async () => {
  const cache = HydraCache.local().build();
  const value = () => ({ score: -0, payload: withProtoKey({ admin: true }, [-0]) });
  const [loaded, joined] = await Promise.all([
    cache.getOrLoad("k", async () => value()),
    cache.getOrLoad("k", async () => value()),
  ]);
  for (const result of [loaded, joined, await cache.get("k"), await cache.getOrLoad("k", value)]) {
    assertExact(result, value());
  }
  assert.ok(Object.is(await cache.getOrLoad("zero", () => -0), -0), "a bare -0 on a miss");
  assert.ok(Object.is(await cache.get("zero"), -0), "a bare -0 on a hit");
});

test("cache: a circular value rejects put and every waiter of a load with ENCODE_FAILED saying circular", async () => {
  const cache = HydraCache.local().build();
  const circular = () => {
    const node: Record<string, unknown> = { id: 1 };
    node.self = node;
    return node;
  };
  await rejectsWith(cache.put("k", circular()), "ENCODE_FAILED", /"k".*circular/);
  const waiters = [
    cache.getOrLoad("l", async () => circular()),
    cache.getOrLoad("l", async () => circular()),
  ];
  for (const waiter of waiters) await rejectsWith(waiter, "ENCODE_FAILED", /circular/);
  assert.is(await cache.containsKey("l"), false);
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
