/**
 * Tag → keys of the stored entries carrying it. A tag with no keys has no state at all, and a
 * tag carried by one key (a per-entity tag, typically) is stored as that key, without a `Set`.
 */
export class TagIndex {
  readonly #keysByTag = new Map<string, string | Set<string>>();

  /** Records that `key` carries `tags`. */
  add(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#keysByTag.get(tag);
      if (keys === undefined) this.#keysByTag.set(tag, key);
      else if (typeof keys !== "string") keys.add(key);
      else if (keys !== key) this.#keysByTag.set(tag, new Set([keys, key]));
    }
  }

  /** Forgets that `key` carries `tags`, dropping tags left with no key. */
  remove(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#keysByTag.get(tag);
      if (keys === key || (typeof keys === "object" && keys.delete(key) && keys.size === 0)) {
        this.#keysByTag.delete(tag);
      }
    }
  }

  /** Removes `tag` from the index in one step and returns the keys that carried it. */
  take(tag: string): Iterable<string> {
    const keys = this.#keysByTag.get(tag);
    if (keys === undefined) return [];
    this.#keysByTag.delete(tag);
    return typeof keys === "string" ? [keys] : keys;
  }

  /** Forgets everything. */
  clear(): void {
    this.#keysByTag.clear();
  }

  /** Every (tag, keys) pair, for consistency checks. */
  *entries(): IterableIterator<[string, Iterable<string>]> {
    for (const [tag, keys] of this.#keysByTag) yield [tag, typeof keys === "string" ? [keys] : keys];
  }
}
