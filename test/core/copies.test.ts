// Two installed copies of hydracache (an app's and a dependency's) work together: options, tag
// sets and errors are read by their data, and adapters reach another copy's engine. The built
// package (dist/, made by `npm test`'s build step) stands in for the second copy.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as other from "../../dist/index.js";
import { DbCache } from "../../src/db/index.ts";
import { CacheError, CacheOptions, HydraCache, type TagSet } from "../../src/index.ts";
import { rejectsWith } from "./helpers.ts";

test("copies: the test really has two copies (distinct classes)", () => {
  assert.is.not(other.HydraCache as unknown, HydraCache);
  assert.is.not(other.CacheOptions as unknown, CacheOptions);
});

test("copies: CacheOptions and TagSet from the other copy are read by their data", async () => {
  const cache = HydraCache.local().build();
  const options = new other.CacheOptions().ttl(60_000).tags(new other.TagSet().tag("users"));
  await cache.put("k", 1, options as unknown as CacheOptions);
  assert.is(await cache.invalidateTag("users"), 1);
  const value = await cache.getOrLoad("j", options as unknown as CacheOptions, () => 2);
  assert.is(value, 2);
  await cache.put("t", 1, { tags: new other.TagSet().tag("x") as unknown as TagSet });
  assert.is(await cache.invalidateTag("x"), 1);
});

test("copies: errors from the other copy pass CacheError.is", async () => {
  const foreign = other.HydraCache.local().build();
  const error = await foreign.get(42 as never).catch((e: unknown) => e);
  assert.ok(CacheError.is(error));
  assert.is((error as CacheError).code, "INVALID_KEY");
});

test("copies: a DbCache given the other copy's HydraCache works", async () => {
  const foreign = other.HydraCache.local().build();
  const queries = new DbCache(foreign as unknown as HydraCache, "db");
  let loads = 0;
  const load = () => queries.entity<number>("user", 1).fetchWith(() => ++loads);
  assert.is(await load(), 1);
  assert.is(await load(), 1);
  assert.is(await foreign.invalidateTag("user:1"), 1);
});

test("copies: a DbCache given something else fails at construction with INVALID_OPTIONS, never at first use", () => {
  const lookalike = { getOrLoad: () => Promise.resolve(1) };
  const error = (() => {
    try {
      new DbCache(lookalike as never, "db");
    } catch (caught) {
      return caught;
    }
  })();
  assert.ok(CacheError.is(error));
  assert.is((error as CacheError).code, "INVALID_OPTIONS");
  assert.match((error as CacheError).message, /DbCache needs a HydraCache/);
});

test("constructor: new HydraCache(config) validates like the builder (no quick-lru TypeError)", async () => {
  for (const config of [
    "small",
    null,
    { maxCapacity: -5 },
    { defaultTtl: 0 },
    { maxTotalBytes: "1" },
    { codec: {} },
    { nope: 1 },
  ]) {
    const error = (() => {
      try {
        new HydraCache(config as never);
      } catch (caught) {
        return caught;
      }
    })();
    assert.ok(CacheError.is(error), `config ${JSON.stringify(config)}`);
    assert.is((error as CacheError).code, "INVALID_OPTIONS");
  }
  const cache = new HydraCache({ maxCapacity: 3 });
  for (let i = 0; i < 10; i++) await cache.put(`k${i}`, i);
  assert.is(cache.stats().evictions, 7);
  await rejectsWith(cache.put("k", 1, { tag: "x" } as never), "INVALID_OPTIONS", /unknown option "tag"/);
});

test.run();
