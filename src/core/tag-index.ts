/** Tag → keys of the stored entries carrying it. A tag with no keys has no state at all. */
export class TagIndex {
  readonly #keysByTag = new Map<string, Set<string>>();

  /** Records that `key` carries `tags`. */
  add(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#keysByTag.get(tag);
      if (keys === undefined) this.#keysByTag.set(tag, new Set([key]));
      else keys.add(key);
    }
  }

  /** Forgets that `key` carries `tags`, dropping tags left with no key. */
  remove(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#keysByTag.get(tag);
      if (keys?.delete(key) && keys.size === 0) this.#keysByTag.delete(tag);
    }
  }

  /** A snapshot of the keys carrying `tag`. */
  keysOf(tag: string): string[] {
    const keys = this.#keysByTag.get(tag);
    return keys === undefined ? [] : [...keys];
  }

  /** Forgets everything. */
  clear(): void {
    this.#keysByTag.clear();
  }

  /** Every (tag, keys) pair, for consistency checks. */
  entries(): IterableIterator<[string, Set<string>]> {
    return this.#keysByTag.entries();
  }
}
