// A hit copies what its entry decoded once instead of decoding again. Such a copy must be
// indistinguishable from a fresh decode (same prototypes, keys, order, -0, dates, maps, sets, byte
// arrays) and share nothing a caller could change with any other copy; values the copier does not
// know are decoded every time.
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCborCodec } from "../../src/codec/cbor.ts";
import { Copiers } from "../../src/codec/copier.ts";
import { READ_STORED, type StoredReader } from "../../src/codec/stored.ts";
import { HydraCache } from "../../src/index.ts";
import { assertExact } from "./helpers.ts";

type Codec = ReturnType<typeof createCborCodec> & { [READ_STORED]: (bytes: Uint8Array) => StoredReader };

const CODECS = [
  { name: "records, compiled copiers", codec: createCborCodec({ records: true }) as Codec },
  {
    name: "plain maps, copiers without code generation",
    codec: createCborCodec({ records: false }) as Codec,
  },
];

/** An object with these own keys, "__proto__" included as an own key. */
function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return object;
}

const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("__proto__", "0", "constructor", "a b"));
const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  fc.boolean(),
  fc.constant(null),
  fc.date({ noInvalidDate: true }),
  fc.uint8Array({ maxLength: 4 }),
  fc.constant(/ab+c/gi),
);
/** Rows of one shape (the copier shares one compiled function across them), some with a null date. */
const rows = fc
  .tuple(fc.uniqueArray(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 5 }), fc.nat({ max: 6 }))
  .chain(([keys, length]) =>
    fc.array(
      fc
        .tuple(
          ...keys.map(() =>
            fc.oneof(fc.string(), fc.integer(), fc.date({ noInvalidDate: true }), fc.constant(null)),
          ),
        )
        .map((values) => objectOf(keys.map((k, i) => [k, values[i]] as const))),
      { minLength: length, maxLength: length },
    ),
  );
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    tie("object"),
    tie("array"),
    tie("map"),
    tie("set"),
    rows,
  ),
  object: fc
    .array(fc.tuple(key, fc.oneof(tie("value"), fc.constant(undefined))), { maxLength: 5 })
    .map(objectOf),
  array: fc.array(tie("value"), { maxLength: 5 }),
  map: fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 }).map((entries) => new Map(entries)),
  set: fc.array(tie("value"), { maxLength: 3 }).map((items) => new Set(items)),
}));

/** Every object reachable from a value (dates, maps and arrays included). */
function objects(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value !== "object" || value === null || into.has(value)) return into;
  into.add(value);
  if (value instanceof Map) for (const pair of value) objects(pair, into);
  else if (value instanceof Set) for (const item of value) objects(item, into);
  else if (!ArrayBuffer.isView(value)) for (const item of Object.values(value)) objects(item, into);
  return into;
}

for (const { name, codec } of CODECS) {
  test(`copier (${name}): every read equals a fresh decode and shares no object with another read (property)`, () => {
    fc.assert(
      fc.property(value, (input) => {
        const bytes = codec.encode(input);
        const read = codec[READ_STORED](bytes);
        const first = read();
        const second = read();
        assertExact(first, codec.decode(bytes));
        assertExact(second, codec.decode(bytes));
        const shared = objects(second);
        for (const object of objects(first)) {
          // `objects` records the arrays it walks through for map entries; those are its own.
          assert.not.ok(shared.has(object), "two reads share an object");
        }
      }),
      { numRuns: 400 },
    );
  });
}

test("copier: a class the copier does not know (RegExp) is decoded on every read, still a copy", () => {
  const codec = CODECS[0]?.codec as Codec;
  const read = codec[READ_STORED](codec.encode({ pattern: /a+/g, at: new Date(5) }));
  const first = read() as { pattern: RegExp };
  const second = read() as { pattern: RegExp };
  assert.is.not(first.pattern, second.pattern);
  assert.is(String(first.pattern), "/a+/g");
});

test("copier: past its compiled shapes, and for objects with many keys, it copies without compiling", () => {
  const copiers = new Copiers(true);
  const wide = objectOf(Array.from({ length: 100 }, (_, i) => [`k${i}`, { i, at: new Date(i) }] as const));
  for (let i = 0; i < 600; i++) {
    const template = objectOf([
      [`shape${i}`, i],
      ["nested", { list: [i, `${i}`], at: new Date(i) }],
    ]);
    const copy = copiers.for(template)?.(template as never);
    assertExact(copy, template);
    assert.is.not((copy as typeof template).nested, template.nested);
  }
  const copy = copiers.for(wide)?.(wide as never) as typeof wide;
  assertExact(copy, wide);
  assert.is.not(copy.k7, wide.k7);
});

test("copier: a value nested deeper than the stack allows gets no copier (it is decoded instead)", () => {
  let deep: unknown[] = [];
  for (let i = 0; i < 200_000; i++) deep = [deep, 1];
  assert.is(new Copiers(true).for(deep), undefined);
});

test("cache: hits of rows, nested arrays and maps are copies; mutating one never reaches the next", async () => {
  const cache = HydraCache.local().build();
  const rowsValue = [
    { id: 1, tags: ["a"], at: new Date(1), meta: new Map([["k", { n: 1 }]]) },
    { id: 2, tags: ["b"], at: null, meta: new Map() },
  ];
  await cache.put("rows", rowsValue);
  for (let i = 0; i < 3; i++) {
    const hit = (await cache.get("rows")) as typeof rowsValue;
    assert.equal(hit, rowsValue);
    const first = hit[0] as (typeof rowsValue)[number];
    first.tags.push("mutated");
    (first.at as Date).setTime(99);
    (first.meta.get("k") as { n: number }).n = 42;
    hit.pop();
  }
  const loaded = await cache.getOrLoad("rows", () => []);
  assert.equal(loaded, rowsValue);
});
test.run();
