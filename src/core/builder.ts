import type { CacheCodec } from "../codec/codec.ts";
import type { HydraCache } from "./cache.ts";
import { checkConfigField, DEFAULT_CONFIG, type EngineConfig } from "./config.ts";
import type { Milliseconds } from "./options.ts";

/**
 * Configures a {@link HydraCache}. Immutable: every call returns a new builder, and every call
 * validates its argument at once (`INVALID_OPTIONS`, thrown synchronously), so a misconfigured
 * cache fails at start-up.
 *
 * @example
 * const cache = HydraCache.local().defaultTtl(60_000).maxCapacity(50_000).build();
 */
export class HydraCacheBuilder {
  #config: EngineConfig = DEFAULT_CONFIG;
  readonly #create: (config: EngineConfig) => HydraCache;

  /** @internal Made by `HydraCache.local()`, which starts from the defaults. */
  constructor(create: (config: EngineConfig) => HydraCache) {
    this.#create = create;
  }

  /**
   * TTL in ms for entries stored without one (positive, or `Infinity`).
   * @default 300_000
   */
  defaultTtl(ms: Milliseconds): HydraCacheBuilder {
    return this.#with("defaultTtl", ms);
  }

  /**
   * The most entries the cache ever holds (a positive integer). The least recently used go first;
   * at least the `⌈n/2⌉` most recently used are always kept.
   * @default 10_000
   */
  maxCapacity(entries: number): HydraCacheBuilder {
    return this.#with("maxCapacity", entries);
  }

  /**
   * The largest size, in bytes, of one entry (a positive integer, or `Infinity`): the encoded size,
   * or what `sizeOf` says for a codec that stores no bytes. A loaded value over it is returned but
   * not stored (`stats().oversizeSkips`); `put` rejects `ENTRY_TOO_LARGE`.
   * @default 16 MiB
   */
  maxEntryBytes(bytes: number): HydraCacheBuilder {
    return this.#with("maxEntryBytes", bytes);
  }

  /**
   * A hard bound on the sum of entry sizes (a positive integer, or `Infinity`); least recently used
   * entries are evicted first (`stats().evictions`). `referenceCodec` stores no bytes: its entries
   * count 0 unless `sizeOf` is given.
   * @default 256 MiB
   */
  maxTotalBytes(bytes: number): HydraCacheBuilder {
    return this.#with("maxTotalBytes", bytes);
  }

  /**
   * How values are stored: `cborCodec` (copies, the default), `referenceCodec` (shares) or your own.
   * @default cborCodec
   */
  // biome-ignore lint/suspicious/noExplicitAny: a codec's stored form is its own business.
  codec(codec: CacheCodec<any>): HydraCacheBuilder {
    return this.#with("codec", codec);
  }

  /**
   * The size in bytes of a value, for codecs whose stored form is not bytes (`referenceCodec`):
   * what `maxEntryBytes`, `maxTotalBytes` and `stats().bytes` count for it.
   *
   * @example
   * HydraCache.local().codec(referenceCodec).sizeOf((value) => JSON.stringify(value).length).build();
   */
  sizeOf(sizeOf: (value: unknown) => number): HydraCacheBuilder {
    return this.#with("sizeOf", sizeOf);
  }

  /**
   * The one time source (ms) for TTLs, stale windows and sync staleness; tests pass a fake one to
   * move time by hand. Only timeouts wait in real time.
   * @default Date.now
   */
  clock(now: () => number): HydraCacheBuilder {
    return this.#with("clock", now);
  }

  /**
   * The default stale-while-revalidate window in ms for entries stored without one (`0`: off).
   * @default 0
   */
  staleWhileRevalidate(ms: Milliseconds): HydraCacheBuilder {
    return this.#with("staleWhileRevalidate", ms);
  }

  /**
   * The default stale-if-error window in ms for entries stored without one (`0`: off).
   * @default 0
   */
  staleIfError(ms: Milliseconds): HydraCacheBuilder {
    return this.#with("staleIfError", ms);
  }

  /**
   * How long a `getOrLoad` caller waits for a load by default, in ms (positive, or `Infinity`).
   * @default Infinity
   */
  loaderTimeout(ms: Milliseconds): HydraCacheBuilder {
    return this.#with("loaderTimeout", ms);
  }

  /** Builds the cache. The builder can be reused. */
  build(): HydraCache {
    return this.#create(this.#config);
  }

  #with<Field extends keyof EngineConfig>(field: Field, value: unknown): HydraCacheBuilder {
    const next = new HydraCacheBuilder(this.#create);
    next.#config = Object.freeze({ ...this.#config, [field]: checkConfigField[field](value) });
    return next;
  }
}
