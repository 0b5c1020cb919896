import { test } from "uvu";
import * as assert from "uvu/assert";
import { CacheKeyBuilder, CacheOptions, escapeSegment, TagSet } from "../../src/index.ts";

test("CacheKeyBuilder: tenant and entity segments joined with ':'", () => {
  assert.is(new CacheKeyBuilder().tenant(7).entity("user", 42).build(), "tenant:7:user:42");
});

test("CacheKeyBuilder: segments escape '%' and ':'", () => {
  assert.is(new CacheKeyBuilder().segment("tenant:7").segment("a%b").build(), "tenant%3A7:a%25b");
  assert.is(escapeSegment("%3A"), "%253A");
  assert.is(escapeSegment(42), "42");
});

test("CacheKeyBuilder: fromSegment, segments, isEmpty, buildString, toString", () => {
  const empty = new CacheKeyBuilder();
  assert.ok(empty.isEmpty());
  assert.is(empty.build(), "");
  const built = CacheKeyBuilder.fromSegment("users").segments(["a:b", 1, true]);
  assert.not.ok(built.isEmpty());
  assert.is(built.build(), "users:a%3Ab:1:true");
  assert.is(built.buildString(), built.build());
  assert.is(`${built}`, built.build());
});

test("CacheKeyBuilder: immutable", () => {
  const base = CacheKeyBuilder.fromSegment("a");
  base.segment("b");
  assert.is(base.build(), "a");
});

test("CacheKeyBuilder: distinct segment lists never build the same key", () => {
  const keys = [
    [["a:b"], ["a", "b"]],
    [["a%3Ab"], ["a:b"]],
    [["a", ""], ["a:"]],
  ].map(([left, right]) => [
    new CacheKeyBuilder().segments(left ?? []).build(),
    new CacheKeyBuilder().segments(right ?? []).build(),
  ]);
  for (const [left, right] of keys) assert.is.not(left, right);
});

test("TagSet: tag, entity and tenant build up an ordered set", () => {
  assert.equal(new TagSet().tag("users").entity("user", 42).tenant(7).toArray(), [
    "users",
    "user:42",
    "tenant:7",
  ]);
});

test("TagSet: fromTag, tags (appends), isEmpty, size, iteration, no duplicates", () => {
  const set = TagSet.fromTag("x").tags(["y", "x"]).tags(["z"]);
  assert.equal([...set], ["x", "y", "z"]);
  assert.is(set.size, 3);
  assert.ok(new TagSet().isEmpty());
  assert.not.ok(set.isEmpty());
});

test("TagSet: entity tags are escaped like keys; immutable", () => {
  const base = new TagSet();
  assert.equal(base.entity("org:unit", "a%b").toArray(), ["org%3Aunit:a%25b"]);
  assert.ok(base.isEmpty());
  const copy = base.tag("a").toArray();
  copy.push("mutated");
  assert.equal(base.tag("a").toArray(), ["a"]);
});

test("TagSet: a tag that is not a string throws INVALID_OPTIONS at once, wherever it comes in", () => {
  const attempts: Array<() => unknown> = [
    () => TagSet.fromTag(5 as never),
    () => new TagSet().tag(null as never),
    () => new TagSet().tags(["ok", 7] as never),
    () => new TagSet("users" as never),
    () => new TagSet(42 as never),
  ];
  for (const attempt of attempts) {
    assert.throws(
      attempt,
      (error: Error & { code?: string }) => error.code === "INVALID_OPTIONS" && /tag/.test(error.message),
    );
  }
});

test("CacheKeyBuilder: segments always arrive escaped; a non-iterable is INVALID_KEY", () => {
  // The constructor takes no raw segments: nothing can put an unescaped ":" into a key.
  const built = new (CacheKeyBuilder as unknown as new (raw: string[]) => CacheKeyBuilder)(["a:b"]);
  assert.is(built.segment("x").build(), "x");
  assert.is(CacheKeyBuilder.fromSegment("a:b").segments(["c", 1]).build(), "a%3Ab:c:1");
  assert.throws(
    () => new CacheKeyBuilder().segments(5 as never),
    (error: Error & { code?: string }) => error.code === "INVALID_KEY" && /segments/.test(error.message),
  );
});

test("CacheOptions: ttl, tag appends, tags and tagSet replace", () => {
  const options = new CacheOptions().ttl(60_000).tag("a").tags(["b", "c"]).tag("d");
  assert.is(options.ttlMs, 60_000);
  assert.equal(options.tagList, ["b", "c", "d"]);
  assert.equal(options.tagSet(new TagSet().tag("x")).tagList, ["x"]);
});

test("CacheOptions: immutable, a shared base is never changed", () => {
  const base = new CacheOptions().ttl(60_000);
  const tagged = base.tag("users");
  assert.equal(base.tagList, []);
  assert.equal(tagged.tagList, ["users"]);
  assert.is(tagged.ttlMs, 60_000);
  assert.ok(Object.isFrozen(tagged.tagList));
});

test("CacheOptions: bad ttl or tags throw INVALID_OPTIONS at once", () => {
  for (const build of [
    () => new CacheOptions().ttl(0),
    () => new CacheOptions().ttl(Number.NaN),
    () => new CacheOptions().ttl(undefined as never),
    () => new CacheOptions().tag(5 as never),
    () => new CacheOptions().tags("abc" as never),
    () => new CacheOptions().tags([null] as never),
  ]) {
    assert.throws(build, (error: Error & { code?: string }) => error.code === "INVALID_OPTIONS");
  }
});

test.run();
