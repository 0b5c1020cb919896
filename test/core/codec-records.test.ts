// The records path keeps one table of object shapes per codec, shared by every encode and decode.
// Stored bytes name shapes by id, so the table must never change what bytes written earlier read
// as: not when a shape gains keys, not past its 128 shared shapes, not when entries are evicted and
// written again, not after an encode that failed half-way.
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createCborCodec } from "../../src/codec/cbor.ts";
import { HydraCache } from "../../src/index.ts";

/** Decodes often enough for cbor-x to compile its reader for every shape (from the third read on). */
function readsBack(codec: ReturnType<typeof createCborCodec>, bytes: Uint8Array, expected: unknown): void {
  for (let i = 0; i < 4; i++) {
    const value = codec.decode(bytes);
    assert.equal(value, expected);
    // uvu's equal ignores a key holding undefined: check the keys too.
    if (typeof expected === "object" && expected !== null && !Array.isArray(expected)) {
      assert.equal(Object.keys(value as object), Object.keys(expected));
    }
  }
}

test("a stored value keeps its keys after its shape gains keys or is used by a shorter object", () => {
  const codec = createCborCodec({ records: true });
  const values = [{ id: 1, name: "a" }, { id: 2, name: "b", role: "admin" }, { id: 3 }, { id: 4, name: "d" }];
  const stored = values.map((value) => codec.encode(value));
  stored.forEach((bytes, i) => {
    readsBack(codec, bytes, values[i]);
  });
  // And again, once every reader is compiled.
  stored.forEach((bytes, i) => {
    readsBack(codec, bytes, values[i]);
  });
});

test("past the shared shapes, new shapes are written inside each value and every value reads back", () => {
  const codec = createCborCodec({ records: true });
  const shape = (i: number) => ({
    id: i,
    [`field${i}`]: `v${i}`,
    rows: [
      { i, n: 1 },
      { i, n: 2 },
      { i, n: 3 },
    ],
  });
  const stored = Array.from({ length: 400 }, (_, i) => codec.encode(shape(i)));
  for (let i = 0; i < stored.length; i++) readsBack(codec, stored[i] as Uint8Array, shape(i));
  readsBack(codec, stored[0] as Uint8Array, shape(0));
});

test("a failed encode leaves the shape table usable", () => {
  const codec = createCborCodec({ records: true });
  const before = codec.encode({ kept: 1 });
  assert.throws(() => codec.encode({ fresh: 1, other: { run: () => 1 } }), /function/);
  readsBack(codec, codec.encode({ fresh: 2, other: { run: 3 } }), { fresh: 2, other: { run: 3 } });
  readsBack(codec, before, { kept: 1 });
});

test("keys that are not identifiers read back through compiled readers", () => {
  const codec = createCborCodec({ records: true });
  const row = (n: number) => ({ "a-b": n, "0": n, "": n, constructor: n, __proto_: n, "with space": n });
  const value = [row(1), row(2), row(3), row(4)];
  readsBack(codec, codec.encode(value), value);
});

test("eviction and writing again never change what a key reads as (property)", async () => {
  // A small cache over a fresh codec: shapes from a pool larger than the shared table, keys that
  // are evicted, overwritten and written again. A read finds the last value written, or nothing.
  const keys = fc.integer({ min: 0, max: 40 });
  const shapes = fc.integer({ min: 0, max: 300 });
  const op = fc.oneof(
    fc.record({ kind: fc.constant("put" as const), key: keys, shape: shapes, n: fc.integer() }),
    fc.record({ kind: fc.constant("get" as const), key: keys }),
  );
  const value = (shape: number, n: number) => ({
    n,
    [`k${shape % 150}`]: shape,
    ...(shape % 3 === 0 ? { extra: [n, { shape }, { shape }, { shape }] } : {}),
  });
  await fc.assert(
    fc.asyncProperty(fc.nat(200), fc.array(op, { maxLength: 300 }), async (prefill, ops) => {
      // Shapes seen before the run, so that some runs start with the shared table (nearly) full.
      const codec = createCborCodec({ records: true });
      for (let i = 0; i < prefill; i++) codec.encode({ [`before${i}`]: i });
      const cache = HydraCache.local().maxCapacity(16).codec(codec).build();
      const last = new Map<number, unknown>();
      for (const step of ops) {
        if (step.kind === "put") {
          const written = value(step.shape, step.n);
          await cache.put(`k${step.key}`, written);
          last.set(step.key, written);
          assert.equal(await cache.get(`k${step.key}`), written);
        } else {
          const read = await cache.get(`k${step.key}`);
          if (read !== undefined) assert.equal(read, last.get(step.key));
        }
      }
    }),
    { numRuns: 60 },
  );
});

test.run();
