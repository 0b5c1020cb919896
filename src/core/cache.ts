import type { CacheCodec } from "../codec/codec.ts";
import { HydraCacheBuilder } from "./builder.ts";
import type { Entry } from "./entry.ts";
import { CacheError, describe, messageOf } from "./errors.ts";
import { InFlightLoads, type Load } from "./inflight.ts";
import {
  checkOptions,
  checkTag,
  type EntryOptionsInput,
  type Milliseconds,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import { type CacheStats, StatsCounter } from "./stats.ts";
import { EntryStore } from "./store.ts";
import { TagIndex } from "./tag-index.ts";
import { TypedCache } from "./typed.ts";

/**
 * A loader: computes the value for a missing key. May return a value or a promise.
 *
 * @example
 * const loadUser: Loader<User> = () => db.users.findById(42);
 */
export type Loader<T> = () => T | Promise<T>;

/** Everything a {@link HydraCache} is built from; see {@link HydraCacheBuilder}. */
export interface EngineConfig {
  readonly defaultTtl: Milliseconds;
  readonly maxCapacity: number;
  readonly maxEntryBytes: number;
  // biome-ignore lint/suspicious/noExplicitAny: a codec's stored form is its own business.
  readonly codec: CacheCodec<any>;
  readonly clock: () => number;
}

/** Internal counts, for tests and soak runs that check the engine is clean at rest. */
export interface EngineState {
  /** Entries held by the store, expired ones included. */
  readonly entries: number;
  /** Loads currently in flight. */
  readonly inFlight: number;
  /** Tags carried by in-flight loads. */
  readonly inFlightTags: number;
  /** Tag-index keys that no stored entry backs (must always be 0). */
  readonly danglingTagKeys: number;
  /** Tags in the tag index. */
  readonly tags: number;
}

/** Reads a cache's internal counts; not part of the public API. */
export let inspectEngine: (cache: HydraCache) => EngineState;

/** The engine's clock (the builder's `.clock`); not part of the public API. */
export let clockOf: (cache: HydraCache) => () => number;

/**
 * A load whose value arrives from outside, for adapters whose host runs the query between a
 * `get` and a `put` hook (Drizzle's `Cache`). It is a real engine load: callers join it, and an
 * invalidation that overtakes it keeps its value out of the store.
 */
export interface ExternalLoad {
  /** Delivers the value; `ttlMs` (when given) replaces the TTL chosen when the load started. */
  complete(value: unknown, ttlMs?: number): void;
  /** Fails the load: every waiter rejects with `LOADER_FAILED` whose `cause` is `error`. */
  fail(error: unknown): void;
}

/** What {@link acquireEntry} found: a hit, a load to join, or a new load the caller must complete. */
export type Acquired =
  | { readonly kind: "hit"; readonly value: unknown }
  | { readonly kind: "join"; readonly result: Promise<unknown> }
  | { readonly kind: "start"; readonly load: ExternalLoad };

/**
 * Looks `key` up synchronously and, on a miss with no load in flight, starts an external load.
 * For adapters inside this package; not part of the public API.
 */
export let acquireEntry: (
  cache: HydraCache,
  key: string,
  tags: readonly string[],
  ttlMs: number | undefined,
) => Acquired;

/**
 * `cache.getOrLoad(key, options, loader)` where the options are computed by `optionsAtStart()`,
 * called only when a load starts: a hit or a join never computes them, and what it throws rejects
 * the call before any load is registered. For adapters inside this package (the row helpers, whose
 * table tags cost a walk of the query); not part of the public API.
 */
export let getOrLoadWithOptionsAtStart: (
  cache: HydraCache,
  key: string,
  optionsAtStart: () => EntryOptionsInput | undefined,
  loader: Loader<unknown>,
) => Promise<unknown>;

/**
 * The local async cache: typed reads, loads shared by concurrent callers (single-flight),
 * TTLs, tags, and invalidation that a running load can never undo.
 *
 * @example
 * const cache = HydraCache.local().defaultTtl(60_000).maxCapacity(10_000).build();
 * const user = await cache.getOrLoad("user:42", { tags: ["users"] }, () => db.loadUser(42));
 * await cache.invalidateTag("users");
 */
export class HydraCache {
  readonly #config: EngineConfig;
  readonly #stats = new StatsCounter();
  readonly #tagIndex = new TagIndex();
  readonly #inFlight = new InFlightLoads();
  readonly #store: EntryStore;
  readonly #codec: CacheCodec<unknown>;

  /** Use {@link HydraCache.local} to build one. */
  constructor(config: EngineConfig) {
    this.#config = config;
    this.#codec = config.codec;
    this.#store = new EntryStore(config.maxCapacity, (key, entry) => {
      this.#tagIndex.remove(key, entry.tags);
      this.#stats.evictions++;
    });
  }

  /**
   * Starts a builder for a process-local cache.
   *
   * @example
   * const cache = HydraCache.local().defaultTtl(300_000).build();
   */
  static local(): HydraCacheBuilder {
    return new HydraCacheBuilder();
  }

  static {
    inspectEngine = (cache) => cache.#inspect();
    clockOf = (cache) => cache.#config.clock;
    acquireEntry = (cache, key, tags, ttlMs) => cache.#acquire(key, tags, ttlMs);
    getOrLoadWithOptionsAtStart = (cache, key, optionsAtStart, loader) => {
      try {
        checkKey(key);
        return cache.#lookupOrLoad(key, undefined, optionsAtStart, loader);
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }

  /** The value stored under `key`, or `undefined` when missing or expired. A stored `null` is `null`. */
  async get<T>(key: string): Promise<T | undefined> {
    checkKey(key);
    const entry = this.#store.get(key);
    if (entry !== undefined) {
      if (this.#isLive(entry)) {
        const value = this.#decodeEntry(key, entry);
        this.#stats.hits++;
        return value as T;
      }
      this.#remove(key, entry);
    }
    this.#stats.misses++;
    return undefined;
  }

  /** Encodes and stores `value`; a load of the same key already running will not overwrite it. */
  async put<T>(key: string, value: T, options?: EntryOptionsInput): Promise<void> {
    checkKey(key);
    if (value === undefined) {
      throw new CacheError(
        "INVALID_VALUE",
        `cannot put undefined under key ${describe(key)}: delete the key instead`,
      );
    }
    const resolved = resolveOptions(options);
    const stored = this.#encode(key, value);
    if (this.#exceedsMaxBytes(stored)) {
      throw new CacheError(
        "ENTRY_TOO_LARGE",
        `value for key ${describe(key)} encodes to ${(stored as Uint8Array).byteLength} bytes, over maxEntryBytes ${this.#config.maxEntryBytes}`,
      );
    }
    this.#inFlight.invalidateKey(key);
    this.#write(key, stored, resolved);
  }

  /**
   * Returns the cached value, or runs `loader` once for all concurrent callers, stores its result
   * with `options` and returns it. Every caller gets its own decoded copy.
   *
   * @example
   * const rows = await cache.getOrLoad("users:active", { ttl: 30_000, tags: ["users"] }, () => db.activeUsers());
   */
  getOrLoad<T>(key: string, loader: Loader<T>): Promise<T>;
  getOrLoad<T>(key: string, options: EntryOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  getOrLoad<T>(
    key: string,
    optionsOrLoader: EntryOptionsInput | Loader<T> | undefined,
    maybeLoader?: Loader<T>,
  ): Promise<T> {
    // Not `async`: with 10,000 callers joining one load, an async frame per caller doubles the
    // garbage. Bad input still rejects instead of throwing.
    try {
      return this.#getOrLoad(key, optionsOrLoader, maybeLoader) as Promise<T>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #getOrLoad(
    key: string,
    optionsOrLoader: EntryOptionsInput | Loader<unknown> | undefined,
    maybeLoader: Loader<unknown> | undefined,
  ): Promise<unknown> {
    checkKey(key);
    const loader =
      maybeLoader === undefined && typeof optionsOrLoader === "function" ? optionsOrLoader : maybeLoader;
    if (typeof loader !== "function") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `loader for key ${describe(key)} must be a function, got ${describe(loader)}`,
      );
    }
    const options =
      optionsOrLoader === loader ? undefined : (optionsOrLoader as EntryOptionsInput | undefined);
    checkOptions(options);
    return this.#lookupOrLoad(key, options, undefined, loader);
  }

  /**
   * A hit, a join, or a new load with `options` (or, when given, what `optionsAtStart()` returns:
   * called only when a load starts, so a hit or a join never computes them).
   */
  #lookupOrLoad(
    key: string,
    options: EntryOptionsInput | undefined,
    optionsAtStart: (() => EntryOptionsInput | undefined) | undefined,
    loader: Loader<unknown>,
  ): Promise<unknown> {
    const entry = this.#store.get(key);
    if (entry !== undefined) {
      if (this.#isLive(entry)) {
        try {
          const value = this.#codec.decode(entry.stored);
          this.#stats.hits++;
          return Promise.resolve(value);
        } catch {
          // An undecodable entry is a miss like an expired one: removed, then loaded again.
        }
      }
      this.#remove(key, entry);
    }
    let load = this.#inFlight.get(key);
    if (load === undefined) {
      load = this.#startLoad(key, resolveOptions(optionsAtStart?.() ?? options), loader);
    } else {
      this.#stats.singleFlightJoins++;
    }
    this.#stats.misses++;
    return load.result.then(load.toCaller);
  }

  /** Alias of {@link HydraCache.getOrLoad}, for loaders that cannot fail. */
  getOrInsertWith<T>(key: string, loader: Loader<T>): Promise<T>;
  getOrInsertWith<T>(key: string, options: EntryOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  getOrInsertWith<T>(
    key: string,
    optionsOrLoader: EntryOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.getOrLoad(key, optionsOrLoader as EntryOptionsInput, loader as Loader<T>);
  }

  /** Alias of {@link HydraCache.getOrLoad}, for fallible loaders (failures reject with `LOADER_FAILED`). */
  tryGetOrInsertWith<T>(key: string, loader: Loader<T>): Promise<T>;
  tryGetOrInsertWith<T>(key: string, options: EntryOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  tryGetOrInsertWith<T>(
    key: string,
    optionsOrLoader: EntryOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.getOrLoad(key, optionsOrLoader as EntryOptionsInput, loader as Loader<T>);
  }

  /** `true` when a usable value is stored under `key`; an expired entry is removed and reported absent. */
  async containsKey(key: string): Promise<boolean> {
    checkKey(key);
    const entry = this.#store.peek(key);
    if (entry === undefined) return false;
    if (this.#isLive(entry)) return true;
    this.#remove(key, entry);
    return false;
  }

  /** Removes one key (and makes a load of it that is running stale); `true` if a live entry was removed. */
  async invalidateKey(key: string): Promise<boolean> {
    checkKey(key);
    this.#inFlight.invalidateKey(key);
    const entry = this.#store.peek(key);
    if (entry === undefined) return false;
    this.#remove(key, entry);
    if (!this.#isLive(entry)) return false;
    this.#stats.invalidations++;
    return true;
  }

  /** Alias of {@link HydraCache.invalidateKey}. */
  remove(key: string): Promise<boolean> {
    return this.invalidateKey(key);
  }

  /** Removes every entry carrying `tag` and makes loads carrying it stale; resolves to how many live entries were removed. */
  async invalidateTag(tag: string): Promise<number> {
    checkTag(tag);
    this.#inFlight.invalidateTag(tag);
    const now = this.#config.clock();
    let removed = 0;
    for (const key of this.#tagIndex.take(tag)) {
      const entry = this.#store.peek(key) as Entry;
      this.#remove(key, entry);
      if (entry.expiresAt > now) removed++;
    }
    this.#stats.invalidations += removed;
    return removed;
  }

  /** Removes everything, tag mappings included, and makes every running load stale. */
  async flush(): Promise<void> {
    this.#inFlight.invalidateAll();
    this.#store.clear();
    this.#tagIndex.clear();
  }

  /** A snapshot of the counters (a plain object, not live). */
  stats(): CacheStats {
    return this.#stats.snapshot();
  }

  /**
   * A typed view whose keys live under `namespace:`.
   *
   * @example
   * const users = cache.typed<User>("users");
   * await users.put("42", { id: 42, name: "Ada" }); // stored under "users:42"
   */
  typed<T>(namespace: string): TypedCache<T> {
    return new TypedCache<T>(this, namespace);
  }

  #startLoad(key: string, options: ResolvedOptions, loader: Loader<unknown>): Load {
    const load = this.#inFlight.start(key, options.tags, (stored) => this.#decodeLoaded(key, stored));
    this.#stats.loads++;
    // `result` exists before the loader runs, so a loader that asks for its own key joins its load.
    let run!: (outcome: unknown) => void;
    load.result = new Promise((resolve) => {
      run = resolve;
    }).then(
      (value) => {
        this.#inFlight.finish(load);
        return this.#storeLoaded(load, options, value);
      },
      (error: unknown) => {
        this.#inFlight.finish(load);
        throw new CacheError("LOADER_FAILED", `loader for key ${describe(key)} failed: ${messageOf(error)}`, {
          cause: error,
        });
      },
    );
    try {
      run(loader());
    } catch (error) {
      run(Promise.reject(error)); // a synchronous throw fails the load like a rejection
    }
    return load;
  }

  #acquire(key: string, tags: readonly string[], ttlMs: number | undefined): Acquired {
    const entry = this.#store.get(key);
    if (entry !== undefined) {
      if (this.#isLive(entry)) {
        const value = this.#decodeEntry(key, entry);
        this.#stats.hits++;
        return { kind: "hit", value };
      }
      this.#remove(key, entry);
    }
    this.#stats.misses++;
    const current = this.#inFlight.get(key);
    if (current !== undefined) {
      this.#stats.singleFlightJoins++;
      return { kind: "join", result: current.result.then(current.toCaller) };
    }
    const options = { ttlMs, tags };
    let deliver!: (value: unknown) => void;
    let fail!: (error: unknown) => void;
    const arrival = new Promise((resolve, reject) => {
      deliver = resolve;
      fail = reject;
    });
    this.#startLoad(key, options, () => arrival).result.catch(() => {
      // Waiters see the failure through their own joins; the load itself needs no handler.
    });
    return {
      kind: "start",
      load: {
        complete(value, lateTtlMs) {
          if (lateTtlMs !== undefined) options.ttlMs = lateTtlMs;
          deliver(value);
        },
        fail,
      },
    };
  }

  #storeLoaded(load: Load, options: ResolvedOptions, value: unknown): unknown {
    if (value === undefined) return undefined;
    const stored = this.#encode(load.key, value);
    if (load.stale) this.#stats.staleLoadDiscards++;
    else if (!this.#exceedsMaxBytes(stored)) this.#write(load.key, stored, options);
    return stored;
  }

  #decodeLoaded(key: string, stored: unknown): unknown {
    if (stored === undefined) return undefined;
    try {
      return this.#codec.decode(stored);
    } catch (error) {
      throw decodeFailed(key, error);
    }
  }

  #write(key: string, stored: unknown, options: ResolvedOptions): void {
    const ttl = options.ttlMs ?? this.#config.defaultTtl;
    const previous = this.#store.peek(key);
    if (previous !== undefined) this.#tagIndex.remove(key, previous.tags);
    this.#store.set(key, { stored, expiresAt: this.#config.clock() + ttl, tags: options.tags });
    this.#tagIndex.add(key, options.tags);
  }

  #remove(key: string, entry: Entry): void {
    this.#store.delete(key);
    this.#tagIndex.remove(key, entry.tags);
  }

  #isLive(entry: Entry): boolean {
    return entry.expiresAt === Number.POSITIVE_INFINITY || entry.expiresAt > this.#config.clock();
  }

  #exceedsMaxBytes(stored: unknown): boolean {
    return stored instanceof Uint8Array && stored.byteLength > this.#config.maxEntryBytes;
  }

  #encode(key: string, value: unknown): unknown {
    try {
      return this.#codec.encode(value);
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

  /** Decodes a stored entry; one that cannot be decoded is removed and counted as a miss. */
  #decodeEntry(key: string, entry: Entry): unknown {
    try {
      return this.#codec.decode(entry.stored);
    } catch (error) {
      this.#remove(key, entry);
      this.#stats.misses++;
      throw decodeFailed(key, error);
    }
  }

  #inspect(): EngineState {
    let danglingTagKeys = 0;
    let tags = 0;
    for (const [tag, keys] of this.#tagIndex.entries()) {
      tags++;
      for (const key of keys) if (!this.#store.peek(key)?.tags.includes(tag)) danglingTagKeys++;
    }
    return {
      entries: this.#store.size,
      inFlight: this.#inFlight.size,
      inFlightTags: this.#inFlight.tagCount,
      danglingTagKeys,
      tags,
    };
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string") {
    throw new CacheError("INVALID_KEY", `key must be a string, got ${describe(key)}`);
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
