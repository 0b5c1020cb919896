import QuickLRU from "quick-lru";
import type { Entry } from "./entry.ts";

/**
 * quick-lru with `maxCapacity` as a hard bound. quick-lru keeps two generations and so holds up
 * to `2 × maxSize − 1` entries; giving it `maxSize = ⌈capacity / 2⌉` bounds it by `capacity` while
 * it always keeps the `⌈capacity / 2⌉` most recently used entries.
 */
export class EntryStore {
  readonly #lru: QuickLRU<string, Entry>;

  constructor(capacity: number, onEvict: (key: string, entry: Entry) => void) {
    this.#lru = new QuickLRU({ maxSize: Math.ceil(capacity / 2), onEviction: onEvict });
  }

  /** The entry, marked as recently used. */
  get(key: string): Entry | undefined {
    return this.#lru.get(key);
  }

  /** The entry, without touching its recency. */
  peek(key: string): Entry | undefined {
    return this.#lru.peek(key);
  }

  /** Stores an entry, replacing any previous one for the key. */
  set(key: string, entry: Entry): void {
    // quick-lru keeps a key's old value in its old generation when the key is set again, and
    // later reports it as evicted although the key is still stored. Deleting first means every
    // eviction it reports is a real one.
    this.#lru.delete(key);
    this.#lru.set(key, entry);
  }

  /** Removes a key; never reported as an eviction. */
  delete(key: string): void {
    this.#lru.delete(key);
  }

  /** Removes everything. */
  clear(): void {
    this.#lru.clear();
  }

  /** How many entries are held, expired ones included. */
  get size(): number {
    return this.#lru.size;
  }

  /** The held keys, least recently used first. */
  keys(): IterableIterator<string> {
    return this.#lru.keys();
  }
}
