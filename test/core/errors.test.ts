import { test } from "uvu";
import * as assert from "uvu/assert";
import { inspectEngine } from "../../src/core/internal.ts";
import { CacheError, HydraCache } from "../../src/index.ts";
import { gate, rejectsWith } from "./helpers.ts";

const BAD_KEYS: unknown[] = [undefined, null, 42, {}, ["k"], Symbol("k")];

test("every keyed method rejects a non-string key with INVALID_KEY, never throwing synchronously", async () => {
  const cache = HydraCache.local().build();
  const typed = cache.typed<number>("ns");
  for (const key of BAD_KEYS) {
    const k = key as string;
    const calls: Array<() => Promise<unknown>> = [
      () => cache.get(k),
      () => cache.put(k, 1),
      () => cache.getOrLoad(k, () => 1),
      () => cache.getOrInsertWith(k, () => 1),
      () => cache.tryGetOrInsertWith(k, () => 1),
      () => cache.containsKey(k),
      () => cache.invalidateKey(k),
      () => cache.remove(k),
      () => typed.get(k),
      () => typed.put(k, 1),
      () => typed.getOrLoad(k, () => 1),
      () => typed.containsKey(k),
      () => typed.remove(k),
    ];
    for (const call of calls) {
      let pending: Promise<unknown> | undefined;
      assert.not.throws(() => {
        pending = call();
      });
      await rejectsWith(pending as Promise<unknown>, "INVALID_KEY", /key must be a string/);
    }
  }
  assert.equal(inspectEngine(cache), {
    entries: 0,
    inFlight: 0,
    inFlightTags: 0,
    danglingTagKeys: 0,
    tags: 0,
  });
});

test("put: undefined is not storable (INVALID_VALUE naming the key)", async () => {
  const cache = HydraCache.local().build();
  await rejectsWith(cache.put("user:1", undefined), "INVALID_VALUE", /"user:1"/);
});

test("getOrLoad: a missing or non-function loader rejects with INVALID_OPTIONS naming the key", async () => {
  const cache = HydraCache.local().build();
  await rejectsWith(cache.getOrLoad("k", undefined as never), "INVALID_OPTIONS", /loader for key "k"/);
  await rejectsWith(cache.getOrLoad("k", {}, "nope" as never), "INVALID_OPTIONS", /loader/);
  await rejectsWith(
    cache.getOrLoad("k", (() => 1) as never, () => 2),
    "INVALID_OPTIONS",
    /options/,
  );
  assert.is(inspectEngine(cache).inFlight, 0);
});

test("options: wrong shapes reject with INVALID_OPTIONS and leave no trace", async () => {
  const cache = HydraCache.local().build();
  const bad: unknown[] = [
    "ttl=5",
    42,
    { tags: "users" },
    { tags: 5 },
    { tags: [1] },
    { tags: ["ok", null] },
    { ttl: 0, tags: ["t"] },
  ];
  for (const options of bad) {
    await rejectsWith(cache.put("k", 1, options as never), "INVALID_OPTIONS");
    await rejectsWith(
      cache.getOrLoad("k", options as never, () => 1),
      "INVALID_OPTIONS",
    );
  }
  assert.equal(inspectEngine(cache), {
    entries: 0,
    inFlight: 0,
    inFlightTags: 0,
    danglingTagKeys: 0,
    tags: 0,
  });
  assert.is(cache.stats().loads, 0);
  assert.is(cache.stats().misses, 0);
});

test("options: wrong shapes reject on a hit and on a join too, not only on a miss", async () => {
  const cache = HydraCache.local().build();
  await cache.put("hit", "stored");
  const release = gate<string>();
  const running = cache.getOrLoad("running", () => release.promise);
  for (const options of [{ ttl: -1 }, { tags: [5] }, 5, { tags: "users" }]) {
    await rejectsWith(
      cache.getOrLoad("hit", options as never, () => "loaded"),
      "INVALID_OPTIONS",
    );
    await rejectsWith(
      cache.getOrLoad("running", options as never, () => "loaded"),
      "INVALID_OPTIONS",
    );
  }
  assert.equal([cache.stats().hits, cache.stats().singleFlightJoins], [0, 0]);
  release.open("done");
  assert.is(await running, "done");
  assert.is(await cache.getOrLoad("hit", { ttl: 1_000, tags: ["ok"] }, () => "loaded"), "stored");
});

test("invalidateTag: a tag must be a string (INVALID_OPTIONS)", async () => {
  const cache = HydraCache.local().build();
  for (const tag of [undefined, 1, null, ["t"]]) {
    await rejectsWith(cache.invalidateTag(tag as never), "INVALID_OPTIONS", /tag must be a string/);
  }
});

test("builder: bad settings throw INVALID_OPTIONS at once, naming the setting", () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => HydraCache.local().defaultTtl(0), /defaultTtl/],
    [() => HydraCache.local().defaultTtl(-1), /defaultTtl/],
    [() => HydraCache.local().maxCapacity(0), /maxCapacity/],
    [() => HydraCache.local().maxEntryBytes(0), /maxEntryBytes/],
    [() => HydraCache.local().codec({} as never), /codec/],
    [() => HydraCache.local().clock(5 as never), /clock/],
  ];
  for (const [build, message] of cases) {
    try {
      build();
      assert.unreachable("should throw");
    } catch (error) {
      assert.ok(error instanceof CacheError);
      assert.is((error as CacheError).code, "INVALID_OPTIONS");
      assert.match((error as Error).message, message);
    }
  }
});

test("CacheError: carries code, name and cause; CacheError.is recognises it by brand", () => {
  const cause = new Error("root");
  const error = new CacheError("LOADER_FAILED", "failed", { cause });
  assert.is(error.code, "LOADER_FAILED");
  assert.is(error.name, "CacheError");
  assert.is(error.cause, cause);
  assert.ok(error instanceof Error);
  assert.ok(CacheError.is(error));
  assert.not.ok(CacheError.is(new Error("plain")));
  assert.not.ok(CacheError.is(null));
  assert.not.ok(CacheError.is({ code: "LOADER_FAILED" }));
  // An error built by another copy of the library carries the same registry symbol.
  const foreign = Object.defineProperty(new Error("other copy"), Symbol.for("hydracache.CacheError"), {
    value: true,
  });
  assert.ok(CacheError.is(foreign));
});

test("a non-Error rejection is still wrapped with its text in the message", async () => {
  const cache = HydraCache.local().build();
  const error = await rejectsWith(
    cache.getOrLoad("k", () => Promise.reject("plain string")),
    "LOADER_FAILED",
    /plain string/,
  );
  assert.is(error.cause, "plain string");
});

test("error messages render exotic values without throwing", async () => {
  const cache = HydraCache.local().build();
  await rejectsWith(cache.get(10n as never), "INVALID_KEY", /10n/);
  await rejectsWith(cache.get(Symbol("sym") as never), "INVALID_KEY", /Symbol\(sym\)/);
  // A function is described, never printed: its source could be long or secret.
  const error = await rejectsWith(cache.get((() => 1) as never), "INVALID_KEY", /a function/);
  assert.not.match(error.message, /=>/);
  await rejectsWith(cache.get([] as never), "INVALID_KEY", /an array/);
  await rejectsWith(cache.get({} as never), "INVALID_KEY", /an object/);
});

test("messages cut a long key with an ellipsis and its length, and name a function without its source", async () => {
  const cache = HydraCache.local().build();
  const key = "k".repeat(5_000);
  const error = await rejectsWith(cache.getOrLoad(key, "not a loader" as never), "INVALID_OPTIONS");
  assert.ok(error.message.length < 300, `${error.message.length} characters`);
  assert.match(error.message, /…\s\(5000 characters\)/);
  function loadSecretThing() {
    return "SELECT password FROM users";
  }
  const named = await rejectsWith(
    cache.get(loadSecretThing as never),
    "INVALID_KEY",
    /a function \("loadSecretThing"\)/,
  );
  assert.not.match(named.message, /password/);
});

test.run();
