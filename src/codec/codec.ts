/**
 * Turns values into what the cache stores and back. `Stored` is `Uint8Array` for real codecs;
 * only {@link referenceCodec} stores the value itself.
 *
 * @example
 * const jsonCodec: CacheCodec = {
 *   encode: (value) => new TextEncoder().encode(JSON.stringify(value)),
 *   decode: (bytes) => JSON.parse(new TextDecoder().decode(bytes)),
 * };
 */
export interface CacheCodec<Stored = Uint8Array> {
  /** Encodes a value; throws when the value cannot be encoded. */
  encode(value: unknown): Stored;
  /** Decodes what {@link CacheCodec.encode} produced; every call returns a fresh value. */
  decode(stored: Stored): unknown;
}

/**
 * Stores the value itself: no encoding, no copy, hits at the cost of a map lookup. Every caller
 * then shares one object and must treat it as read-only (a mutation is seen by every later hit),
 * and `maxEntryBytes` applies only to values that are themselves `Uint8Array`s.
 *
 * @example
 * const cache = HydraCache.local().codec(referenceCodec).build();
 */
export const referenceCodec: CacheCodec<unknown> = Object.freeze({
  encode: (value: unknown): unknown => value,
  decode: (stored: unknown): unknown => stored,
});
