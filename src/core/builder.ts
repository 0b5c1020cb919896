import { cborCodec } from "../codec/cbor.ts";
import type { CacheCodec } from "../codec/codec.ts";
import { type EngineConfig, HydraCache } from "./cache.ts";
import { CacheError, describe } from "./errors.ts";
import { checkTtl, type Milliseconds } from "./options.ts";

const DEFAULTS: EngineConfig = Object.freeze({
  defaultTtl: 300_000,
  maxCapacity: 10_000,
  maxEntryBytes: 16 << 20,
  codec: cborCodec,
  clock: Date.now,
});

/**
 * Configures a {@link HydraCache}. Immutable: every call returns a new builder, and every call
 * validates its argument at once (`INVALID_OPTIONS`), so a misconfigured cache fails at start-up.
 *
 * @example
 * const cache = HydraCache.local().defaultTtl(60_000).maxCapacity(50_000).build();
 */
export class HydraCacheBuilder {
  readonly #config: EngineConfig;

  constructor(config: EngineConfig = DEFAULTS) {
    this.#config = config;
  }

  /**
   * TTL in ms for entries stored without one (positive, or `Infinity`).
   * @default 300_000
   */
  defaultTtl(ms: Milliseconds): HydraCacheBuilder {
    return this.#with({ defaultTtl: checkTtl(ms, "defaultTtl") });
  }

  /**
   * The most entries the cache ever holds (a positive integer). The least recently used go first;
   * at least the `⌈n/2⌉` most recently used are always kept.
   * @default 10_000
   */
  maxCapacity(entries: number): HydraCacheBuilder {
    if (!Number.isSafeInteger(entries) || entries < 1) {
      throw new CacheError(
        "INVALID_OPTIONS",
        `maxCapacity must be a positive integer, got ${describe(entries)}`,
      );
    }
    return this.#with({ maxCapacity: entries });
  }

  /**
   * The largest encoded size, in bytes, of one entry (a positive integer, or `Infinity`).
   * @default 16 MiB
   */
  maxEntryBytes(bytes: number): HydraCacheBuilder {
    if (!(Number.isSafeInteger(bytes) || bytes === Number.POSITIVE_INFINITY) || !(bytes > 0)) {
      throw new CacheError(
        "INVALID_OPTIONS",
        `maxEntryBytes must be a positive integer or Infinity, got ${describe(bytes)}`,
      );
    }
    return this.#with({ maxEntryBytes: bytes });
  }

  /**
   * How values are stored: `cborCodec` (copies, the default), `referenceCodec` (shares) or your own.
   * @default cborCodec
   */
  // biome-ignore lint/suspicious/noExplicitAny: a codec's stored form is its own business.
  codec(codec: CacheCodec<any>): HydraCacheBuilder {
    if (typeof codec?.encode !== "function" || typeof codec.decode !== "function") {
      throw new CacheError("INVALID_OPTIONS", "codec must have encode and decode functions");
    }
    return this.#with({ codec });
  }

  /**
   * The clock TTLs are measured against, in ms. Tests pass a fake one to move time by hand.
   * @default Date.now
   */
  clock(now: () => number): HydraCacheBuilder {
    if (typeof now !== "function") {
      throw new CacheError("INVALID_OPTIONS", `clock must be a function returning ms, got ${describe(now)}`);
    }
    return this.#with({ clock: now });
  }

  /** Builds the cache. The builder can be reused. */
  build(): HydraCache {
    return new HydraCache(this.#config);
  }

  #with(change: Partial<EngineConfig>): HydraCacheBuilder {
    return new HydraCacheBuilder({ ...this.#config, ...change });
  }
}
