/** What the store holds for one key. */
export interface Entry {
  /** The codec's output (bytes, or the value itself with `referenceCodec`). */
  readonly stored: unknown;
  /** Clock time at which the entry expires; `Infinity` for never. */
  readonly expiresAt: number;
  /** The entry's tags, mirrored in the tag index while the entry is stored. */
  readonly tags: readonly string[];
}
