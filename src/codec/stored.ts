import type { CacheCodec } from "./codec.ts";

/**
 * Where a codec may offer readers for the engine's stored values: bytes that nothing ever changes
 * and that never leave the engine, so a reader may keep what it decoded from them once. Each call
 * of a reader must return what `decode` would: a value of its own. `Symbol.for`, so that a second
 * installed copy of hydracache finds it on this copy's codec.
 *
 * @example
 * const codec = { encode, decode, [READ_STORED]: (bytes: Uint8Array) => () => decode(bytes) };
 */
export const READ_STORED: unique symbol = Symbol.for("hydracache.codec.read-stored.v1") as never;

/**
 * Returns a new decoded value on every call.
 *
 * @example
 * const read: StoredReader = () => cborCodec.decode(bytes);
 */
export type StoredReader = () => unknown;

/** A codec that may offer {@link READ_STORED}. */
interface MaybeStoredReader {
  readonly [READ_STORED]?: (stored: unknown) => StoredReader;
}

/**
 * How the engine makes readers of what it stored with `codec`: the codec's {@link READ_STORED},
 * or `undefined` when it has none (its `decode` is then called for every read). Making a reader
 * may decode, and throw what `decode` throws.
 *
 * @example
 * const read = storedReader(cborCodec)?.(cborCodec.encode({ id: 1 }));
 * read?.() !== read?.(); // two copies of { id: 1 }
 */
export function storedReader(codec: CacheCodec<unknown>): ((stored: unknown) => StoredReader) | undefined {
  const own = (codec as MaybeStoredReader)[READ_STORED];
  return typeof own === "function" ? own : undefined;
}
