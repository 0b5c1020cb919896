import type { CacheCodec } from "../codec/codec.ts";
import { type StoredReader, storedReader } from "../codec/stored.ts";
import type { EngineConfig } from "./config.ts";
import type { Entry } from "./entry.ts";
import { CacheError, describe, messageOf } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import type { StatsCounter } from "./stats.ts";
import { EntryStore } from "./store.ts";
import { TagIndex } from "./tag-index.ts";

/** Which stale window a fallback may use: reads and timeouts, or failed loads. */
export type StaleWindow = "read" | "error";

/**
 * The stored entries and everything that describes them: the store (with its bounds and byte
 * accounting), the tag index, the codec and the clock. It answers the one question every read
 * asks (`lookup`: fresh, stale but usable, or absent) and keeps the store and the tag index in
 * step on every write and removal.
 */
export class EntryTable {
  readonly #config: EngineConfig;
  readonly #codec: CacheCodec<unknown>;
  /** Makes an entry's reader, when the codec has readers for stored bytes (see stored.ts). */
  readonly #reader: ((stored: unknown) => StoredReader) | undefined;
  readonly #store: EntryStore;
  readonly #tagIndex = new TagIndex();
  /** The largest entry that can be stored: `maxEntryBytes`, and never more than `maxTotalBytes`. */
  readonly #maxEntryBytes: number;
  /** Whether the entry the last lookup returned was within its TTL (one clock read per lookup). */
  #fresh = false;

  constructor(config: EngineConfig, stats: StatsCounter) {
    this.#config = config;
    this.#codec = config.codec;
    this.#reader = storedReader(config.codec);
    this.#maxEntryBytes = Math.min(config.maxEntryBytes, config.maxTotalBytes);
    this.#store = new EntryStore(config.maxCapacity, config.maxTotalBytes, (key, entry) => {
      this.#tagIndex.remove(key, entry.tags);
      stats.evictions++;
    });
  }

  /** The engine's clock. */
  now(): number {
    return this.#config.clock();
  }

  /**
   * The entry under `key` if a read may serve it: fresh, or expired but within its
   * stale-while-revalidate window (see {@link EntryTable.wasFresh}). An entry past every window is
   * removed; one still inside its stale-if-error window is kept for a failed load.
   */
  lookup(key: string): Entry | undefined {
    return this.#usable(key, this.#store.get(key));
  }

  /** Whether the entry the last {@link EntryTable.lookup} returned is within its TTL (else stale but usable). */
  get wasFresh(): boolean {
    return this.#fresh;
  }

  /**
   * A value of `key` that no invalidation has removed and that may stand in for a load: for a
   * timeout ("read"), one a read would serve (fresh, or within its stale-while-revalidate window);
   * for a failed load ("error"), one stored with a stale-if-error window that has not ended.
   */
  fallback(key: string, window: StaleWindow): Entry | undefined {
    const entry = this.#store.peek(key);
    if (entry === undefined) return undefined;
    const until =
      window === "read" ? entry.staleUntil : entry.errorUntil > entry.expiresAt ? entry.errorUntil : 0;
    return until > this.#config.clock() ? entry : undefined;
  }

  /**
   * Decodes a stored value for one caller; one that cannot be decoded is removed (`DECODE_FAILED`).
   * From its second read on, an entry is read through a reader (when the codec has them), which
   * keeps what it decoded and copies it for each later read.
   */
  decode(key: string, entry: Entry): unknown {
    try {
      const read = entry.reader;
      if (read) return read();
      const makeReader = this.#reader;
      if (makeReader === undefined) return this.#codec.decode(entry.stored);
      if (read === undefined) {
        entry.reader = null; // read once: the next read makes the reader
        return this.#codec.decode(entry.stored);
      }
      const reader = makeReader(entry.stored);
      entry.reader = reader;
      return reader();
    } catch (error) {
      if (this.#store.peek(key) === entry) this.#remove(key, entry);
      throw decodeFailed(key, error);
    }
  }

  /** Decodes what a load produced: one copy per caller (`DECODE_FAILED` when it cannot). */
  decodeLoaded(key: string, stored: unknown, callers: number): unknown[] {
    try {
      const copies = new Array<unknown>(callers);
      if (callers === 1 || this.#reader === undefined) {
        for (let i = 0; i < callers; i++) copies[i] = this.#codec.decode(stored);
      } else {
        // Many callers: decode once, then copy (see stored.ts).
        const read = this.#reader(stored);
        for (let i = 0; i < callers; i++) copies[i] = read();
      }
      return copies;
    } catch (error) {
      throw decodeFailed(key, error);
    }
  }

  /**
   * Encodes a value and measures it: its length, or `sizeOf(value)` for a codec that stores no bytes
   * (0 without `sizeOf`). Throws `ENCODE_FAILED` naming the key.
   */
  encode(key: string, value: unknown): { stored: unknown; bytes: number } {
    try {
      const stored = this.#codec.encode(value);
      const bytes =
        stored instanceof Uint8Array
          ? stored.byteLength
          : this.#config.sizeOf === undefined
            ? 0
            : this.#config.sizeOf(value);
      return { stored, bytes };
    } catch (error) {
      throw new CacheError(
        "ENCODE_FAILED",
        `cannot encode the value for key ${describe(key)}: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Whether an entry of this size may be stored. */
  fits(bytes: number): boolean {
    return bytes <= this.#maxEntryBytes;
  }

  /** The largest entry that may be stored, for messages. */
  get maxEntryBytes(): number {
    return this.#maxEntryBytes;
  }

  /** Stores an encoded value with `options` (TTL and windows default to the cache's). */
  write(key: string, stored: unknown, bytes: number, options: ResolvedOptions): void {
    const config = this.#config;
    const expiresAt = config.clock() + (options.ttlMs ?? config.defaultTtl);
    const previous = this.#store.peek(key);
    if (previous !== undefined) this.#tagIndex.remove(key, previous.tags);
    this.#store.set(key, {
      stored,
      bytes,
      expiresAt,
      staleUntil: expiresAt + (options.staleWhileRevalidateMs ?? config.staleWhileRevalidate),
      errorUntil: expiresAt + (options.staleIfErrorMs ?? config.staleIfError),
      tags: options.tags,
      used: false,
      reader: undefined,
    });
    this.#tagIndex.add(key, options.tags);
  }

  /** Whether a read may serve something under `key` (recency untouched); an entry past every window is removed. */
  has(key: string): boolean {
    return this.#usable(key, this.#store.peek(key)) !== undefined;
  }

  /** Removes `key`; resolves whether a live (unexpired) entry was removed. */
  removeKey(key: string): boolean {
    const entry = this.#store.peek(key);
    if (entry === undefined) return false;
    this.#remove(key, entry);
    return entry.expiresAt > this.#config.clock();
  }

  /** Removes every entry carrying `tag`; returns how many of them had not expired. */
  removeTag(tag: string): number {
    const now = this.#config.clock();
    let removed = 0;
    for (const key of this.#tagIndex.take(tag)) {
      const entry = this.#store.delete(key) as Entry;
      this.#tagIndex.remove(key, entry.tags);
      if (entry.expiresAt > now) removed++;
    }
    return removed;
  }

  /** Removes everything, tag mappings included. */
  clear(): void {
    this.#store.clear();
    this.#tagIndex.clear();
  }

  /** How many entries are held, and their total size. */
  get size(): number {
    return this.#store.size;
  }

  /** The sum of the held entries' sizes. */
  get bytes(): number {
    return this.#store.bytes;
  }

  /** Tag-index consistency, for tests: how many tags, and keys indexed under a tag their entry lacks. */
  inspect(): { tags: number; danglingTagKeys: number } {
    let danglingTagKeys = 0;
    let tags = 0;
    for (const [tag, keys] of this.#tagIndex.entries()) {
      tags++;
      for (const key of keys) if (!this.#store.peek(key)?.tags.includes(tag)) danglingTagKeys++;
    }
    return { tags, danglingTagKeys };
  }

  #usable(key: string, entry: Entry | undefined): Entry | undefined {
    if (entry === undefined) return undefined;
    if (entry.expiresAt === Number.POSITIVE_INFINITY) {
      this.#fresh = true;
      return entry;
    }
    const now = this.#config.clock();
    this.#fresh = entry.expiresAt > now;
    if (entry.staleUntil > now) return entry; // fresh, or within its stale-while-revalidate window
    if (entry.errorUntil <= now) this.#remove(key, entry);
    return undefined;
  }

  #remove(key: string, entry: Entry): void {
    this.#store.delete(key);
    this.#tagIndex.remove(key, entry.tags);
  }
}

function decodeFailed(key: string, error: unknown): CacheError {
  return new CacheError(
    "DECODE_FAILED",
    `cannot decode the value for key ${describe(key)}: ${messageOf(error)}`,
    {
      cause: error,
    },
  );
}
