import type { StoredReader } from "../codec/stored.ts";

/** What the store holds for one key. */
export interface Entry {
  /** The codec's output (bytes, or the value itself with `referenceCodec`). */
  readonly stored: unknown;
  /** What the entry counts against `maxTotalBytes`. */
  readonly bytes: number;
  /** Clock time at which the entry expires; `Infinity` for never. */
  readonly expiresAt: number;
  /** Until then, an expired entry is still served by reads (stale-while-revalidate). */
  readonly staleUntil: number;
  /** Until then, an expired entry still answers a failed load (stale-if-error). */
  readonly errorUntil: number;
  /** The entry's tags, mirrored in the tag index while the entry is stored. */
  readonly tags: readonly string[];
  /**
   * Read since the byte bound last passed over it: such an entry gets a second chance before one
   * that was not (quick-lru does not reorder its newest generation on a read).
   */
  used: boolean;
  /**
   * With a codec that has readers: `undefined` until the entry's first read, `null` after it, and
   * from the second read on the reader that returns each read its own decoded copy.
   */
  reader: StoredReader | null | undefined;
}
