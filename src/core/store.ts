import QuickLRU from "quick-lru";
import type { Entry } from "./entry.ts";

/**
 * quick-lru with `maxCapacity` as a hard bound that the store actually fills.
 *
 * quick-lru keeps two generations of `maxSize` and drops the older one whole when the newer one
 * fills, so it holds up to `2 × maxSize − 1` entries. With `maxSize = ⌈capacity / 2⌉` that is
 * within `capacity`, and the `⌈capacity / 2⌉` most recently used entries are always kept. But a
 * dropped generation would leave the store between half and fully used. So what quick-lru drops
 * is not evicted: it moves to `older`, a third generation in least-recently-used order, which is
 * trimmed (oldest first, counted as evictions) only as far as the bound requires. A hit there moves
 * the entry back into quick-lru.
 */
export class EntryStore {
  readonly #capacity: number;
  readonly #onEvict: (key: string, entry: Entry) => void;
  readonly #lru: QuickLRU<string, Entry>;
  /** What quick-lru dropped, oldest first; never holds a key quick-lru holds. */
  readonly #older = new Map<string, Entry>();
  /**
   * Where trimming has got to in `older`. One live iterator for as long as it lasts: a new one per
   * eviction would walk again past every entry deleted at the front (a Map keeps them as holes
   * until it is rehashed), which made an evicting `set` cost microseconds.
   */
  #oldest: Iterator<[string, Entry]> = this.#older.entries();
  // quick-lru's own `size` is capped at maxSize and walks the old generation: count ourselves.
  #lruSize = 0;

  constructor(capacity: number, onEvict: (key: string, entry: Entry) => void) {
    this.#capacity = capacity;
    this.#onEvict = onEvict;
    this.#lru = new QuickLRU({
      maxSize: Math.ceil(capacity / 2),
      onEviction: (key, entry) => {
        this.#lruSize--;
        this.#older.set(key, entry);
      },
    });
  }

  /** The entry, marked as recently used. */
  get(key: string): Entry | undefined {
    const recent = this.#lru.get(key);
    if (recent !== undefined) return recent;
    const entry = this.#older.get(key);
    if (entry !== undefined) {
      this.#older.delete(key);
      this.#insert(key, entry);
    }
    return entry;
  }

  /** The entry, without touching its recency. */
  peek(key: string): Entry | undefined {
    return this.#lru.peek(key) ?? this.#older.get(key);
  }

  /** Stores an entry, replacing any previous one for the key. */
  set(key: string, entry: Entry): void {
    // quick-lru keeps a key's old value in its old generation when the key is set again, and
    // later drops it although the key is still stored. Deleting first means every entry it drops
    // is the one stored for its key.
    this.delete(key);
    this.#insert(key, entry);
    this.#trim();
  }

  /** Removes a key; never reported as an eviction. */
  delete(key: string): void {
    if (this.#lru.delete(key)) this.#lruSize--;
    else this.#older.delete(key);
  }

  /** Removes everything. */
  clear(): void {
    this.#lru.clear();
    this.#older.clear();
    this.#oldest = this.#older.entries();
    this.#lruSize = 0;
  }

  /** How many entries are held, expired ones included. */
  get size(): number {
    return this.#lruSize + this.#older.size;
  }

  /** Puts a key that no generation holds into quick-lru (which may drop a generation into `older`). */
  #insert(key: string, entry: Entry): void {
    this.#lruSize++;
    this.#lru.set(key, entry);
  }

  /** Evicts the oldest entries of `older` until the bound holds (quick-lru alone never exceeds it). */
  #trim(): void {
    while (this.size > this.#capacity) {
      // Never finished: everything before it was evicted through it, so whatever `older` holds
      // (and it holds something while the bound is exceeded) lies ahead of it, appended entries too.
      const [key, entry] = this.#oldest.next().value as [string, Entry];
      this.#older.delete(key);
      this.#onEvict(key, entry);
    }
  }
}
