// The portable smoke suite: plain JavaScript that imports nothing, so the same file runs in Node,
// Deno, Bun, workerd, an edge VM and a browser. Each runtime's entry imports the BUILT package
// ("hydracache", "hydracache/db") and passes the modules in; `smoke` never throws, it reports.

/** A promise opened by hand, to order interleavings without sleeps. */
function gate() {
  let open;
  const promise = new Promise((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Structural equality for the values a CBOR round trip keeps (plain objects, arrays, Date, Map, Set, bytes). */
function same(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    return ArrayBuffer.isView(a) && ArrayBuffer.isView(b) && same([...a], [...b]);
  }
  if (a instanceof Map || b instanceof Map) {
    return a instanceof Map && b instanceof Map && same([...a], [...b]);
  }
  if (a instanceof Set || b instanceof Set) {
    return a instanceof Set && b instanceof Set && same([...a], [...b]);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => same(a[key], b[key]));
}

function show(value) {
  try {
    return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
  } catch {
    return String(value);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function equal(actual, expected, what) {
  assert(same(actual, expected), `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Awaits `promise` and checks it rejects with a CacheError of `code`; returns the error. */
async function rejects(core, promise, code, what) {
  try {
    await promise;
  } catch (error) {
    assert(core.CacheError.is(error), `${what}: expected a CacheError, got ${String(error)}`);
    assert(error instanceof core.CacheError, `${what}: not an instance of CacheError`);
    equal(error.code, code, `${what}: code`);
    return error;
  }
  throw new Error(`${what}: expected a rejection with ${code}`);
}

/** Rows of one shape: cbor-x compiles a reader for the third object of a shape when records are on. */
const rows = (count, pad = "") =>
  Array.from({ length: count }, (_, i) => ({ id: i, name: `user ${i}${pad}`, email: `u${i}@example.com` }));

/** What the host offers, and which CBOR path the default codec took; asserted by the caller's expectations. */
function probeHost(core) {
  let codegen = "allowed";
  try {
    new Function("return 1")();
  } catch (error) {
    codegen = `blocked (${error?.name ?? "error"})`;
  }
  return {
    process: typeof globalThis.process,
    Buffer: typeof globalThis.Buffer,
    setTimeout: typeof setTimeout(() => {}, 0),
    codegen,
    // cbor-x starts a record with a 16-bit tag (0xd9) and a plain map with 0xb9.
    codec: core.cborCodec.encode({ a: 1 })[0] === 0xd9 ? "records" : "plain",
  };
}

/** `{ "__proto__": inner, after }` with "__proto__" an own data key, as JSON.parse makes it. */
const withProtoKey = (inner, after) =>
  Object.fromEntries([
    ["__proto__", inner],
    ["after", after],
  ]);

/** Checks own keys (in order), that they are data keys, and values with -0 told apart from 0. */
function exact(actual, expected, what) {
  if (typeof expected !== "object" || expected === null) {
    assert(Object.is(actual, expected), `${what}: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  assert(Object.getPrototypeOf(actual) === Object.getPrototypeOf(expected), `${what}: prototype`);
  equal(Object.keys(actual), Object.keys(expected), `${what}: own keys`);
  for (const key of Object.keys(expected)) {
    const descriptor = Object.getOwnPropertyDescriptor(actual, key);
    assert(descriptor && "value" in descriptor && descriptor.enumerable, `${what}.${key}: not a data key`);
    exact(descriptor.value, expected[key], `${what}.${key}`);
  }
}

function coreChecks(core) {
  const { HydraCache, CacheOptions, CacheKeyBuilder, TagSet, CacheError, cborCodec, referenceCodec } = core;
  const local = () => HydraCache.local().build();
  return {
    "get/put: values, null, missing": async () => {
      const cache = local();
      equal(await cache.get("nope"), undefined, "missing key");
      await cache.put("user:1", { id: 1, name: "Ada", tags: ["x"] });
      equal(await cache.get("user:1"), { id: 1, name: "Ada", tags: ["x"] }, "put then get");
      await cache.put("null", null);
      equal(await cache.get("null"), null, "stored null");
      equal(await cache.containsKey("null"), true, "containsKey(null)");
      equal(await cache.remove("null"), true, "remove");
      equal(await cache.containsKey("null"), false, "containsKey after remove");
      const stats = cache.stats();
      equal([stats.hits, stats.misses], [2, 1], "hits/misses");
    },
    "getOrLoad: a miss loads once, a hit skips the loader, each caller gets its own copy": async () => {
      const cache = local();
      let loads = 0;
      const loader = () => {
        loads++;
        return { list: [1, 2, 3] };
      };
      const first = await cache.getOrLoad("k", { ttl: 60_000, tags: ["t"] }, loader);
      first.list.push(99);
      const second = await cache.getOrLoad("k", loader);
      equal(second, { list: [1, 2, 3] }, "hit value (a caller's mutation must not leak)");
      equal(loads, 1, "loader calls");
      equal(await cache.getOrInsertWith("k", loader), second, "getOrInsertWith alias");
      equal(await cache.tryGetOrInsertWith("k", new CacheOptions().ttl(1000), loader), second, "alias");
      equal(await cache.getOrLoad("u", () => undefined), undefined, "loader resolving undefined");
      equal(await cache.containsKey("u"), false, "undefined is not stored");
    },
    "single-flight: 10 concurrent misses share one loader call": async () => {
      const cache = local();
      const release = gate();
      let loads = 0;
      const callers = Array.from({ length: 10 }, () =>
        cache.getOrLoad("hot", async () => {
          loads++;
          await release.promise;
          return { n: 7 };
        }),
      );
      release.open();
      const values = await Promise.all(callers);
      equal(loads, 1, "loader calls");
      equal(
        values.every((value) => same(value, { n: 7 })),
        true,
        "every caller's value",
      );
      equal(new Set(values).size, 10, "distinct copies per caller");
      const stats = cache.stats();
      equal([stats.loads, stats.singleFlightJoins, stats.misses], [1, 9, 10], "loads/joins/misses");
    },
    "tags: invalidateTag removes every tagged entry and counts them": async () => {
      const cache = local();
      await cache.put("a", 1, { tags: ["users", "user:1"] });
      await cache.put("b", 2, { tags: new TagSet().tag("users").entity("user", 2) });
      await cache.put("c", 3, new CacheOptions().tag("posts"));
      equal(await cache.invalidateTag("users"), 2, "removed count");
      equal(
        [await cache.get("a"), await cache.get("b"), await cache.get("c")],
        [undefined, undefined, 3],
        "after",
      );
      equal(await cache.invalidateTag("users"), 0, "second invalidation");
      equal(cache.stats().invalidations, 2, "stats.invalidations");
      await cache.flush();
      equal(await cache.get("c"), undefined, "flush");
    },
    "stale-load discard: a load overtaken by invalidateTag is returned but not stored": async () => {
      const cache = local();
      const release = gate();
      const load = cache.getOrLoad("user:1", { tags: ["user:1"] }, async () => {
        await release.promise;
        return { name: "old" };
      });
      await cache.invalidateTag("user:1");
      release.open();
      equal(await load, { name: "old" }, "the caller still gets the loaded value");
      equal(await cache.get("user:1"), undefined, "nothing stored");
      equal(cache.stats().staleLoadDiscards, 1, "stats.staleLoadDiscards");
    },
    "TTL: an entry past its ttl is never returned (a hand-moved clock, then the real one)": async () => {
      let now = 1_000_000;
      const manual = HydraCache.local()
        .defaultTtl(60_000)
        .clock(() => now)
        .build();
      await manual.put("short", "v", { ttl: 20 });
      await manual.put("default", "v");
      await manual.put("forever", "v", { ttl: Number.POSITIVE_INFINITY });
      now += 19;
      equal(await manual.get("short"), "v", "before expiry");
      now += 1;
      equal(await manual.get("short"), undefined, "at expiry");
      equal(await manual.containsKey("short"), false, "containsKey after expiry");
      now += 60_000;
      equal(await manual.get("default"), undefined, "defaultTtl");
      now += 1e12;
      equal(await manual.get("forever"), "v", "ttl Infinity");
      // The runtime's own clock advances (margins wide enough for a loaded machine).
      const real = local();
      await real.put("short", "v", { ttl: 250 });
      equal(await real.get("short"), "v", "real clock, before expiry");
      await sleep(400);
      equal(await real.get("short"), undefined, "real clock, after expiry");
    },
    "capacity: maxCapacity is a hard bound and evictions are counted": async () => {
      const cache = HydraCache.local().maxCapacity(8).build();
      for (let i = 0; i < 40; i++) await cache.put(`k${i}`, i);
      let present = 0;
      for (let i = 0; i < 40; i++) if (await cache.containsKey(`k${i}`)) present++;
      assert(present <= 8 && present >= 4, `entries present: ${present}, expected 4..8`);
      equal(await cache.get("k39"), 39, "most recent entry");
      assert(cache.stats().evictions >= 32, `evictions: ${cache.stats().evictions}`);
    },
    "typed views: namespaced keys over the same engine": async () => {
      const cache = local();
      const users = cache.typed("users");
      equal(users.namespace, "users", "namespace");
      equal(users.key("42"), "users:42", "physical key");
      await users.put("42", { id: 42 }, { tags: ["user:42"] });
      equal(await users.get("42"), { id: 42 }, "typed get");
      equal(await cache.get("users:42"), { id: 42 }, "visible through the engine");
      equal(
        users.keyFrom(new CacheKeyBuilder().tenant(7).entity("user", 1)),
        "users:tenant:7:user:1",
        "keyFrom",
      );
      equal(cache.typed("a:b").key("c") !== cache.typed("a").key("b:c"), true, "escaped namespaces");
      equal(await users.invalidateTag("user:42"), 1, "tags are global");
      equal(await users.getOrLoad("1", () => ({ id: 1 })), { id: 1 }, "typed getOrLoad");
    },
    "keys and tags: escaping": async () => {
      equal(new CacheKeyBuilder().tenant(7).entity("user", 42).build(), "tenant:7:user:42", "key builder");
      equal(new CacheKeyBuilder().segment("tenant:7").segment("a%b").build(), "tenant%3A7:a%25b", "escaping");
      equal(
        new TagSet().tag("users").entity("user", 42).tenant(7).toArray(),
        ["users", "user:42", "tenant:7"],
        "tags",
      );
    },
    "errors: CacheError codes and causes": async () => {
      const cache = local();
      await rejects(core, cache.put("k", undefined), "INVALID_VALUE", "put undefined");
      await rejects(core, cache.put("k", 1, { ttl: 0 }), "INVALID_OPTIONS", "ttl 0");
      await rejects(core, cache.put("k", 1, { tags: [42] }), "INVALID_OPTIONS", "non-string tag");
      await rejects(core, cache.get(42), "INVALID_KEY", "non-string key");
      await rejects(core, cache.put("fn", { f() {} }), "ENCODE_FAILED", "function value");
      const boom = new Error("boom");
      const failed = await rejects(
        core,
        cache.getOrLoad("x", () => Promise.reject(boom)),
        "LOADER_FAILED",
        "rejecting loader",
      );
      equal(failed.cause === boom, true, "cause is the loader's error");
      equal(await cache.getOrLoad("x", () => "retried"), "retried", "errors are not cached");
      let thrown;
      try {
        HydraCache.local().maxCapacity(0);
      } catch (error) {
        thrown = error;
      }
      equal(CacheError.is(thrown) && thrown.code, "INVALID_OPTIONS", "builder validates at once");
      const tiny = HydraCache.local().maxEntryBytes(16).build();
      await rejects(core, tiny.put("big", "x".repeat(100)), "ENTRY_TOO_LARGE", "maxEntryBytes");
    },
    "codec: CBOR keeps Date, BigInt, Map, Set and bytes; encode returns a Uint8Array": async () => {
      const value = {
        when: new Date(1_700_000_000_000),
        big: 2n ** 70n,
        map: new Map([["a", 1]]),
        set: new Set(["x", "y"]),
        bytes: new Uint8Array([1, 2, 3]),
        nested: { list: [1, "two", null, true] },
      };
      const bytes = cborCodec.encode(value);
      // A Buffer is a Uint8Array too: check the prototype, so Node, Deno and Bun prove it is plain.
      equal(Object.getPrototypeOf(bytes) === Uint8Array.prototype, true, "encode returns a plain Uint8Array");
      const decodedBytes = cborCodec.decode(cborCodec.encode({ b: new Uint8Array([7]) })).b;
      equal(
        Object.getPrototypeOf(decodedBytes) === Uint8Array.prototype,
        true,
        "bytes decode to a plain Uint8Array",
      );
      equal(cborCodec.decode(bytes), value, "cborCodec round trip");
      const cache = local();
      await cache.put("v", value);
      equal(await cache.get("v"), value, "through the cache");
      const shared = { n: 1 };
      const byRef = HydraCache.local().codec(referenceCodec).build();
      await byRef.put("r", shared);
      equal((await byRef.get("r")) === shared, true, "referenceCodec keeps the object");
    },
    "codec fidelity: -0 and an own __proto__ key come back exactly on a miss and a hit; bytes are copies":
      async () => {
        const cache = local();
        const value = () => ({ score: -0, list: [0, -0], payload: withProtoKey({ admin: -0 }, [1]) });
        exact(await cache.getOrLoad("exact", () => value()), value(), "miss");
        for (let i = 0; i < 3; i++) exact(await cache.get("exact"), value(), `hit ${i + 1}`);
        exact(await cache.getOrLoad("zero", () => -0), -0, "a bare -0 on a miss");
        exact(await cache.get("zero"), -0, "a bare -0 on a hit");
        equal({}.after, undefined, "Object.prototype untouched");
        await cache.put("bytes", { b: new Uint8Array([1, 2]) });
        (await cache.get("bytes")).b[0] = 9;
        equal(await cache.get("bytes"), { b: new Uint8Array([1, 2]) }, "a caller's bytes are its own");
      },
    "codec: a circular value rejects with ENCODE_FAILED saying circular": async () => {
      const node = { id: 1, children: [] };
      node.children.push({ parent: node });
      const error = await rejects(core, local().put("loop", node), "ENCODE_FAILED", "circular put");
      assert(/circular/.test(error.message), `message: ${error.message}`);
    },
    "repeated decodes: a value holding 3+ objects of one shape, 20 times": async () => {
      const cache = local();
      const value = { rows: rows(5), more: rows(3) };
      await cache.put("rows", value);
      for (let i = 0; i < 20; i++) equal(await cache.get("rows"), value, `decode ${i + 1}`);
      // Hits copy what the entry decoded once: every hit's objects are its own.
      const hit = await cache.get("rows");
      hit.rows[0].name = "changed";
      hit.more.pop();
      equal(await cache.get("rows"), value, "a hit's mutation never reaches the next hit");
      const dated = { at: new Date(5), tags: new Set(["a"]), rows: rows(3) };
      await cache.put("dated", dated);
      for (let i = 0; i < 3; i++) {
        const copy = await cache.get("dated");
        equal(copy, dated, `dated hit ${i + 1}`);
        copy.at.setTime(0);
        copy.tags.add("b");
        copy.rows[1].id = -1;
      }
      // Long strings in many rows take cbor-x's native string extraction where it is loaded.
      const big = rows(100, " ".repeat(200));
      await cache.put("big", big);
      for (let i = 0; i < 20; i++) equal(await cache.get("big"), big, `large decode ${i + 1}`);
    },
  };
}

function dbChecks(core, db) {
  const { HydraCache, CacheError } = core;
  const { DbCache, defineEntity } = db;
  return {
    "db: entity, collection and forEntity share the engine and its tags": async () => {
      const cache = HydraCache.local().build();
      const queries = new DbCache(cache, "db");
      let loads = 0;
      const load = (value) => () => {
        loads++;
        return value;
      };
      const entity = queries.entity("user", 42).collectionTag("users");
      equal(entity.physicalKey, "db:user:42", "entity key");
      equal(entity.tags(), ["user:42", "users"], "entity tags");
      equal(await entity.fetchWith(load({ id: 42 })), { id: 42 }, "entity miss");
      equal(await entity.fetchWith(load({ id: -1 })), { id: 42 }, "entity hit");
      equal(await cache.get("db:user:42"), { id: 42 }, "visible through the engine");
      const User = defineEntity({ entity: "user", collection: "users" });
      equal([User.key(7), User.tag(7), User.collectionTag], ["user:7", "user:7", "users"], "defineEntity");
      const byDescriptor = queries.forEntity(User, 7);
      equal(byDescriptor.physicalKey, "db:user:7", "forEntity key");
      equal(byDescriptor.tags(), ["user:7", "users"], "forEntity tags");
      await byDescriptor.fetchWith(load({ id: 7 }));
      const list = queries.collection("users");
      equal(list.physicalKey, "db:users", "collection key");
      equal(await list.fetchWith(load([{ id: 7 }, { id: 42 }])), [{ id: 7 }, { id: 42 }], "collection");
      await queries.invalidateEntity("user", 42);
      equal(await cache.get("db:user:42"), undefined, "invalidateEntity");
      equal(await cache.get("db:users"), [{ id: 7 }, { id: 42 }], "the collection is a separate result");
      await queries.invalidateCollection("users");
      equal(
        [await cache.get("db:users"), await cache.get("db:user:7")],
        [undefined, undefined],
        "collection",
      );
      equal(loads, 3, "loader calls");
    },
    "db: fetchAll, fetchOne, fetchOptional run the query only on a miss": async () => {
      const cache = HydraCache.local().build();
      const queries = new DbCache(cache, "");
      let runs = 0;
      // A lazy awaitable like a query builder: it runs only when awaited.
      const query = (result) => ({
        // biome-ignore lint/suspicious/noThenProperty: a thenable is what a query builder is.
        then(resolve, reject) {
          runs++;
          return Promise.resolve(result).then(resolve, reject);
        },
      });
      const all = rows(4);
      equal(await queries.collection("users").fetchAll(query(all)), all, "fetchAll miss");
      equal(await queries.collection("users").fetchAll(query([])), all, "fetchAll hit");
      equal(await queries.entity("user", 1).fetchOne(query(all.slice(1, 3))), all[1], "fetchOne first row");
      equal(await queries.entity("user", 9).fetchOptional(() => []), null, "fetchOptional zero rows");
      equal(await queries.entity("user", 9).fetchOptional(() => [{ id: 9 }]), null, "null is cached");
      await rejects(
        core,
        queries.entity("user", 5).fetchOne(() => []),
        "ROW_NOT_FOUND",
        "fetchOne, zero rows",
      );
      equal(await cache.containsKey("user:5"), false, "nothing cached for ROW_NOT_FOUND");
      const error = await rejects(
        core,
        queries.named("orphan").fetchWith(() => 1),
        "MISSING_KEY",
        "a query without a key",
      );
      assert(/orphan/.test(error.message), `MISSING_KEY message names the query: ${error.message}`);
      equal(runs, 2, "query runs");
      for (let i = 0; i < 20; i++)
        equal(await queries.collection("users").fetchAll(query([])), all, "decode");
      equal(error instanceof CacheError, true, "one CacheError class across subpaths");
    },
  };
}

/**
 * Runs every check against `core` ("hydracache") and, when given, `db` ("hydracache/db").
 * `expect` states what the host must look like, e.g. `{ process: "undefined", Buffer: "undefined" }`
 * or `{ codegen: /^blocked/ }`, so a runtime that quietly turned Node compatibility on fails.
 * Resolves to `{ ok, passed, failed, probes, failures }`; never rejects.
 */
export async function smoke({ core, db, expect = {} }) {
  const probes = probeHost(core);
  const checks = { ...coreChecks(core), ...(db ? dbChecks(core, db) : {}) };
  const failures = [];
  let passed = 0;
  for (const [name, expected] of Object.entries(expect)) {
    const actual = probes[name];
    const ok = expected instanceof RegExp ? expected.test(actual) : actual === expected;
    if (ok) passed++;
    else failures.push(`host: ${name} is ${show(actual)}, expected ${String(expected)}`);
  }
  for (const [name, check] of Object.entries(checks)) {
    try {
      await check();
      passed++;
    } catch (error) {
      failures.push(`${name}: ${error?.message ?? String(error)}`);
    }
  }
  return { ok: failures.length === 0, passed, failed: failures.length, probes, failures };
}
