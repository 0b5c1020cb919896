// "#cbor" (package.json `imports`) picks cbor-x's entry per runtime: its Node entry, with the
// native decoder, only under Node; its pure-JS entry under Bun (which crashes on a source-built
// cbor-extract), Deno (whose Node entry needs --allow-env) and everywhere else.
import { Encoder } from "#cbor";
import type { CacheCodec } from "./codec.ts";

// `useRecords: false`: record structures make cbor-x generate code with `new Function`,
// which Cloudflare workerd forbids at request time.
const encoder = new Encoder({ useRecords: false });

/**
 * The default codec: CBOR through cbor-x. Keeps `Date`, `Map`, `Set`, `BigInt`, typed arrays and
 * `undefined` inside objects; class instances come back as plain objects. The stored bytes are a
 * copy: cbor-x returns views into one large shared buffer, and keeping a view would pin it.
 *
 * @example
 * const cache = HydraCache.local().codec(cborCodec).build(); // the same as the default
 */
export const cborCodec: CacheCodec = Object.freeze({
  encode: (value: unknown): Uint8Array => new Uint8Array(encoder.encode(value)),
  decode: (bytes: Uint8Array): unknown => encoder.decode(bytes),
});
