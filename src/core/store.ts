import QuickLRU from "quick-lru";
import type { Entry } from "./entry.ts";

/**
 * quick-lru with `maxCapacity` as a hard bound. quick-lru keeps two generations and so holds up
 * to `2 × maxSize − 1` entries; giving it `maxSize = ⌈capacity / 2⌉` bounds it by `capacity` while
 * it always keeps the `⌈capacity / 2⌉` most recently used entries.
 */
export class EntryStore {
  readonly #lru: QuickLRU<string, Entry>;
  // quick-lru's own `size` is capped at maxSize and walks the old generation: count ourselves.
  #size = 0;

  constructor(capacity: number, onEvict: (key: string, entry: Entry) => void) {
    this.#lru = new QuickLRU({
      maxSize: Math.ceil(capacity / 2),
      onEviction: (key, entry) => {
        this.#size--;
        onEvict(key, entry);
      },
    });
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
    if (!this.#lru.delete(key)) this.#size++;
    this.#lru.set(key, entry);
  }

  /** Removes a key; never reported as an eviction. */
  delete(key: string): void {
    if (this.#lru.delete(key)) this.#size--;
  }

  /** Removes everything. */
  clear(): void {
    this.#lru.clear();
    this.#size = 0;
  }

  /** How many entries are held, expired ones included. */
  get size(): number {
    return this.#size;
  }
}
