import QuickLRU from "quick-lru";
import type { Entry } from "./entry.ts";

/**
 * quick-lru with `maxCapacity` and `maxTotalBytes` as hard bounds that the store actually fills.
 *
 * quick-lru keeps two generations of `maxSize` and drops the older one whole when the newer one
 * fills, so it holds up to `2 × maxSize − 1` entries. With `maxSize = ⌈capacity / 2⌉` that is
 * within `capacity`, and the `⌈capacity / 2⌉` most recently used entries are always kept. But a
 * dropped generation would leave the store between half and fully used. So what quick-lru drops
 * is not evicted: it moves to `older`, a third generation in least-recently-used order, which is
 * trimmed (oldest first, counted as evictions) only as far as the bounds require. A hit there moves
 * the entry back into quick-lru. When `older` is empty and the byte bound is still exceeded,
 * quick-lru's least recently used entries go next.
 */
export class EntryStore {
  readonly #capacity: number;
  readonly #maxBytes: number;
  readonly #onEvict: (key: string, entry: Entry) => void;
  readonly #lru: QuickLRU<string, Entry>;
  /** What quick-lru dropped, oldest first; never holds a key quick-lru holds. */
  readonly #older = new Map<string, Entry>();
  /**
   * Where trimming has got to in `older`. A new iterator per eviction would walk again past every
   * entry deleted at the front (a Map keeps them as holes until it is rehashed), which made an
   * evicting `set` cost microseconds; so one iterator serves many evictions. But a live iterator
   * keeps the Map's old backing table (and every entry it held) reachable after V8 rehashes the
   * Map, until the iterator moves. So it is replaced once `older` has changed more than it holds
   * since the iterator was made, or is empty: old tables live no longer than it takes to churn
   * through them once.
   */
  #oldest: Iterator<[string, Entry]> = this.#older.entries();
  /** Sets and deletes in `older` since `oldest` was made. */
  #churn = 0;
  // quick-lru's own `size` is capped at maxSize and walks the old generation: count ourselves.
  #lruSize = 0;
  #bytes = 0;

  constructor(capacity: number, maxBytes: number, onEvict: (key: string, entry: Entry) => void) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
    this.#onEvict = onEvict;
    this.#lru = new QuickLRU({
      maxSize: Math.ceil(capacity / 2),
      onEviction: (key, entry) => {
        this.#lruSize--;
        this.#older.set(key, entry);
        this.#changedOlder();
      },
    });
  }

  /** The entry, marked as recently used. */
  get(key: string): Entry | undefined {
    const recent = this.#lru.get(key);
    if (recent !== undefined) {
      recent.used = true;
      return recent;
    }
    const entry = this.#older.get(key);
    if (entry !== undefined) {
      this.#deleteOlder(key);
      this.#insert(key, entry);
    }
    return entry;
  }

  /** The entry, without touching its recency. */
  peek(key: string): Entry | undefined {
    return this.#lru.peek(key) ?? this.#older.get(key);
  }

  /** Stores an entry, replacing any previous one for the key, then evicts down to the bounds. */
  set(key: string, entry: Entry): void {
    // quick-lru keeps a key's old value in its old generation when the key is set again, and
    // later drops it although the key is still stored. Deleting first means every entry it drops
    // is the one stored for its key.
    this.delete(key);
    this.#bytes += entry.bytes;
    this.#insert(key, entry);
    this.#trim(key);
  }

  /** Removes a key and returns its entry; never reported as an eviction. */
  delete(key: string): Entry | undefined {
    const recent = this.#lru.peek(key);
    let removed: Entry | undefined;
    if (recent !== undefined) {
      this.#lru.delete(key);
      this.#lruSize--;
      removed = recent;
    } else {
      removed = this.#older.get(key);
      if (removed !== undefined) this.#deleteOlder(key);
    }
    if (removed !== undefined) this.#bytes -= removed.bytes;
    return removed;
  }

  /** Removes everything. */
  clear(): void {
    this.#lru.clear();
    this.#older.clear();
    this.#changedOlder();
    this.#lruSize = 0;
    this.#bytes = 0;
  }

  /** How many entries are held, expired ones included. */
  get size(): number {
    return this.#lruSize + this.#older.size;
  }

  /** The sum of the held entries' sizes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Puts a key that no generation holds into quick-lru (which may drop a generation into `older`). */
  #insert(key: string, entry: Entry): void {
    this.#lruSize++;
    this.#lru.set(key, entry);
  }

  #deleteOlder(key: string): void {
    this.#older.delete(key);
    this.#changedOlder();
  }

  /** Replaces the trimming iterator once `older` has churned through more than it holds. */
  #changedOlder(): void {
    if (++this.#churn > this.#older.size) {
      this.#oldest = this.#older.entries();
      this.#churn = 0;
    }
  }

  /**
   * The entry of quick-lru to evict for the byte bound when `older` is empty: the oldest not read
   * since the last pass (second chance), else the oldest; never `kept` (the entry being stored)
   * while another is left.
   */
  #leastUsedRecent(kept: string): [string, Entry] {
    let oldest: [string, Entry] | undefined;
    for (const pair of this.#lru.entriesAscending()) {
      if (pair[0] === kept) continue;
      oldest ??= pair;
      if (!pair[1].used) return pair;
      pair[1].used = false;
    }
    // Never undefined: an entry that fits maxTotalBytes alone is stored, so another one is left.
    return oldest as [string, Entry];
  }

  /** Evicts the least recently used entries until both bounds hold, `kept` (just stored) last. */
  #trim(kept: string): void {
    while (this.size > this.#capacity || this.#bytes > this.#maxBytes) {
      // Whatever `older` holds lies ahead of the iterator (everything before it was evicted
      // through it, and a new one starts at the front), appended entries too.
      const next = this.#older.size > 0 ? this.#oldest.next().value : this.#leastUsedRecent(kept);
      const [key, entry] = next as [string, Entry];
      this.delete(key);
      this.#onEvict(key, entry);
    }
  }
}
