import { alias, integer, pgSchema, pgTable } from "drizzle-orm/pg-core";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { queryKey, tableName, tableTag } from "../../src/drizzle/index.ts";
import { CacheError } from "../../src/index.ts";

const users = pgTable("users", { id: integer("id") });
const posts = pgSchema("auth").table("posts", { id: integer("id") });

test("tableTag: table:<name>, schema-qualified outside the default schema, the same for objects and strings", () => {
  assert.is(tableTag(users), "table:users");
  assert.is(tableTag("users"), "table:users");
  assert.is(tableTag("public.users"), "table:users");
  assert.is(tableTag(posts), "table:auth.posts");
  assert.is(tableTag("auth.posts"), "table:auth.posts");
  assert.is(tableName(posts), "auth.posts");
  assert.throws(() => tableTag({} as never), /not a Drizzle table/);
});

test("tableTag: an alias names its base table, so invalidating through it reaches the table's results", () => {
  assert.is(tableTag(alias(users, "u")), "table:users");
  assert.is(tableTag(alias(posts, "p")), "table:auth.posts");
  assert.throws(
    () => tableTag(42 as never),
    (error: unknown) => CacheError.is(error) && error.code === "INVALID_KEY",
  );
});

test("queryKey: distinct statements or parameters never share a key", () => {
  const sql = "select $1";
  const params: unknown[][] = [
    [1],
    ["1"],
    [1n],
    [true],
    ["true"],
    [null],
    [undefined],
    ["null"],
    [new Date(0)],
    [0],
    [new Uint8Array([1, 2])],
    [[1, 2]],
    ["1,2"],
    [{ a: 1 }],
    [{ a: "1" }],
    [Number.NaN],
    ["NaN"],
    [Number.POSITIVE_INFINITY],
    [["n", 1]],
    [1, 2],
    ["1", "2"],
  ];
  const keys = params.map((values) => queryKey(sql, values));
  assert.is(new Set(keys).size, keys.length);
  assert.is.not(queryKey("select 1", []), queryKey("select 2", []));
  assert.is(queryKey(sql, [1n << 70n]), queryKey(sql, [1n << 70n]));
});

test("queryKey: byte arrays, typed arrays, buffers, -0 and toJSON objects are told apart", () => {
  const bytes = [1, 0, 2, 0];
  const params: unknown[] = [
    new Uint8Array(bytes),
    new Uint16Array(new Uint8Array(bytes).buffer),
    new DataView(new Uint8Array(bytes).buffer),
    new Uint8Array(bytes).buffer,
    0,
    -0,
    { toJSON: () => "x" },
    "x",
  ];
  const keys = params.map((value) => queryKey("select $1", [value]));
  assert.is(new Set(keys).size, keys.length);
});

test("queryKey: a parameter Drizzle would never send is INVALID_KEY", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(
    () => queryKey("select $1", [cyclic]),
    (error: unknown) => CacheError.is(error) && error.code === "INVALID_KEY",
  );
  assert.throws(
    () => queryKey(5 as never, []),
    (error: unknown) => CacheError.is(error) && error.code === "INVALID_KEY",
  );
  for (const bad of [Symbol("s"), () => 1]) {
    assert.throws(
      () => queryKey("select $1", [bad]),
      (error: unknown) => CacheError.is(error) && error.code === "INVALID_KEY",
    );
  }
});

test.run();
