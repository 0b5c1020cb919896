// "#cbor" (package.json `imports`) picks cbor-x's entry per runtime: its Node entry, with the
// native decoder, only under Node; its pure-JS entry under Bun (which crashes on a source-built
// cbor-extract), Deno (whose Node entry needs --allow-env) and everywhere else.
import { Encoder } from "#cbor";
import type { CacheCodec } from "./codec.ts";
import { canGenerateCode } from "./codegen.ts";
import { Copiers } from "./copier.ts";
import { needsRewrite, REWRITTEN, restore, rewrite } from "./fidelity.ts";
import { READ_STORED, type StoredReader } from "./stored.ts";

/**
 * A CBOR codec over its own cbor-x encoder; {@link cborCodec} is the one the cache uses.
 *
 * `records: true` writes objects as cbor-x records: an object's keys are kept once per shape in a
 * table that every later encode and decode of that codec shares, and cbor-x compiles a reader per
 * shape (with `new Function`), which decodes a row several times faster than a CBOR map. The table
 * only grows, up to 128 shapes, and an id never changes meaning (a shape that gains keys keeps its
 * id, and bytes written before still name how many keys they hold), so stored bytes stay readable
 * whatever was evicted or written since; later shapes are written out in full inside each value.
 * `records: false` writes plain CBOR maps and needs no code generation.
 *
 * Either way every decode returns a fresh copy, byte arrays included; `-0` and own `"__proto__"`
 * keys come back as given (see fidelity.ts); a value nested deeper than 512 levels fails to encode,
 * and a circular value fails with an error that says so.
 *
 * @example
 * const codec = createCborCodec({ records: false }); // what workerd and strict-CSP pages get
 * codec.decode(codec.encode({ at: new Date(0) })); // { at: Date(0) }, a new copy each call
 */
export function createCborCodec(options: { readonly records: boolean }): CacheCodec {
  // copyBuffers: decoded byte arrays are copies, never views into the stored bytes.
  const encoder = options.records
    ? new Encoder({ useRecords: true, structures: [], copyBuffers: true })
    : new Encoder({ useRecords: false, copyBuffers: true });
  const decode = (bytes: Uint8Array): unknown =>
    bytes[0] === REWRITTEN ? restore(encoder.decode(bytes.subarray(1))) : encoder.decode(bytes);
  // Records are written only where code may be generated, and so are copiers compiled.
  const copiers = new Copiers(options.records);
  return Object.freeze({
    encode: (value: unknown): Uint8Array => {
      try {
        // A copy: cbor-x returns a view into one large shared buffer, and keeping it would pin it.
        if (!needsRewrite(value)) return new Uint8Array(encoder.encode(value));
        const body = encoder.encode(rewrite(value));
        const bytes = new Uint8Array(body.length + 1);
        bytes[0] = REWRITTEN;
        bytes.set(body, 1);
        return bytes;
      } catch (error) {
        throw explain(error, value);
      }
    },
    decode,
    // The engine's stored bytes never change: decode them once, then copy what was decoded (new
    // objects wherever a caller could change something, the same strings and numbers elsewhere).
    [READ_STORED]: (bytes: Uint8Array): StoredReader => {
      const template = decode(bytes);
      const copy = copiers.for(template);
      return copy === undefined ? () => decode(bytes) : () => copy(template as never);
    },
  });
}

/** A circular value goes past the nesting limit (see fidelity.ts): say it is circular when it is. */
function explain(error: unknown, value: unknown): unknown {
  const ancestors = new Set<object>();
  try {
    rewrite(value, ancestors);
  } catch (thrown) {
    if (thrown === ancestors)
      return new TypeError("the value is circular: it contains itself", { cause: error });
  }
  return error;
}

/**
 * The default codec: CBOR through cbor-x. Keeps `Date`, `Map`, `Set`, `BigInt`, typed arrays,
 * `-0`, own `"__proto__"` keys and `undefined` inside objects; class instances come back as plain
 * objects. Where the runtime allows code generation for its whole life (Node, Deno, Bun, browsers
 * without a strict Content-Security-Policy) it writes objects as records, whose compiled readers
 * decode rows several times faster; in workerd and under a strict CSP it writes plain CBOR maps.
 *
 * @example
 * const cache = HydraCache.local().codec(cborCodec).build(); // the same as the default
 */
export const cborCodec: CacheCodec = createCborCodec({ records: canGenerateCode() });
