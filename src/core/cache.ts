import { HydraCacheBuilder } from "./builder.ts";
import { checkConfig, type EngineConfig } from "./config.ts";
import type { Entry } from "./entry.ts";
import { EntryTable } from "./entry-table.ts";
import { CacheError, describe, messageOf } from "./errors.ts";
import { type CacheEvent, type CacheEventListener, Listeners } from "./events.ts";
import { ENGINE, type EngineInternals, type EngineState } from "./internal-types.ts";
import { type Loader, Loads } from "./loads.ts";
import {
  checkTag,
  checkTags,
  type EntryOptionsInput,
  type LoadOptionsInput,
  type ResolvedCall,
  type ResolvedOptions,
  resolveCall,
  resolveEntry,
} from "./options.ts";
import { type CacheStats, StatsCounter } from "./stats.ts";
import { TypedCache } from "./typed.ts";

/**
 * What {@link HydraCache.applyInvalidation} takes: keys, tags, or everything to remove.
 *
 * @example
 * cache.applyInvalidation({ tags: ["table:users"] });
 */
export interface InvalidationInput {
  readonly keys?: readonly string[] | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly all?: boolean | undefined;
}

/** A read that found an entry it cannot decode: removed, and handled as a miss. */
const UNDECODABLE: unique symbol = Symbol("undecodable");
const NONE: readonly string[] = Object.freeze([]);
const INVALIDATION_FIELDS: readonly string[] = ["keys", "tags", "all", "type", "origin"];

/**
 * The local async cache: typed reads, loads shared by concurrent callers (single-flight),
 * TTLs with stale windows, tags, and invalidation that a running load can never undo.
 *
 * @example
 * const cache = HydraCache.local().defaultTtl(60_000).maxCapacity(10_000).build();
 * const user = await cache.getOrLoad("user:42", { tags: ["users"] }, () => db.loadUser(42));
 * await cache.invalidateTag("users");
 */
export class HydraCache {
  readonly #config: EngineConfig;
  readonly #stats = new StatsCounter();
  readonly #table: EntryTable;
  readonly #loads: Loads;
  readonly #listeners = new Listeners();
  /** Installed by cross-instance sync: while it answers `false`, no stored value is served. */
  #gate: (() => boolean) | undefined;
  /** With the gate closed, a load that started before this time is not joined (it may predate a lost write). */
  #joinableSince: () => number = () => Number.NEGATIVE_INFINITY;

  /**
   * Builds a cache from a configuration object (every field optional, validated like the builder's
   * methods). {@link HydraCache.local} is the usual way in.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) naming the first bad or unknown field.
   *
   * @example
   * const cache = new HydraCache({ maxCapacity: 1_000, defaultTtl: 60_000 });
   */
  constructor(config?: Partial<EngineConfig>) {
    this.#config = checkConfig(config);
    this.#table = new EntryTable(this.#config, this.#stats);
    this.#loads = new Loads(this.#table, this.#stats, () => this.#serving());
    const internals: EngineInternals = {
      read: (key, call, loader, optionsAtStart) => this.#read(key, call, loader, optionsAtStart),
      write: (key, value, options) => this.#write(key, value, options),
      clock: this.#config.clock,
      setServeGate: (gate, joinableSince) => {
        this.#gate = gate;
        this.#joinableSince = joinableSince ?? (() => Number.NEGATIVE_INFINITY);
      },
      inspect: () => this.#inspect(),
    };
    Object.defineProperty(this, ENGINE, { value: internals });
  }

  /**
   * Starts a builder for a process-local cache.
   *
   * @example
   * const cache = HydraCache.local().defaultTtl(300_000).build();
   */
  static local(): HydraCacheBuilder {
    return new HydraCacheBuilder((config) => new HydraCache(config));
  }

  /**
   * The value stored under `key`, or `undefined` when missing or expired; within its
   * `staleWhileRevalidate` window, the expired value (no refresh). A stored `null` is `null`.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY` for a non-string key; `DECODE_FAILED` once for an
   * entry that cannot be decoded (it is removed).
   */
  async get<T>(key: string): Promise<T | undefined> {
    checkKey(key);
    if (!this.#serving()) {
      this.#stats.bypassedReads++;
      return undefined;
    }
    const entry = this.#table.lookup(key);
    if (entry === undefined) {
      this.#stats.misses++;
      return undefined;
    }
    let value: unknown;
    try {
      value = this.#table.decode(key, entry);
    } catch (error) {
      this.#stats.misses++;
      throw error;
    }
    this.#countServed();
    return value as T;
  }

  /**
   * Encodes and stores `value`; a load of the same key already running will not overwrite it.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY`, `INVALID_VALUE` (`undefined`), `INVALID_OPTIONS`,
   * `ENCODE_FAILED`, `ENTRY_TOO_LARGE`.
   */
  async put<T>(key: string, value: T, options?: EntryOptionsInput): Promise<void> {
    checkKey(key);
    this.#write(key, value, resolveEntry(options));
  }

  /**
   * Returns the cached value, or runs `loader` once for all concurrent callers, stores its result
   * with `options` and returns it. Every caller gets its own decoded copy. Within the entry's
   * `staleWhileRevalidate` window the expired value is returned at once and refreshed in the
   * background.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY`, `INVALID_OPTIONS`, `LOADER_FAILED` (cause: the
   * loader's error), `LOADER_TIMEOUT`, `ABORTED` (cause: the signal's reason), `ENCODE_FAILED`,
   * `DECODE_FAILED`.
   *
   * @example
   * const rows = await cache.getOrLoad("users:active", { ttl: 30_000, tags: ["users"] }, () => db.activeUsers());
   */
  getOrLoad<T>(key: string, loader: Loader<T>): Promise<T>;
  getOrLoad<T>(key: string, options: LoadOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  getOrLoad<T>(
    key: string,
    optionsOrLoader: LoadOptionsInput | Loader<T> | undefined,
    maybeLoader?: Loader<T>,
  ): Promise<T> {
    // Not `async`: with 10,000 callers joining one load, an async frame per caller doubles the
    // garbage. Bad input still rejects instead of throwing.
    try {
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
        optionsOrLoader === loader ? undefined : (optionsOrLoader as LoadOptionsInput | undefined);
      return this.#read(key, resolveCall(options), loader as Loader<unknown>, undefined) as Promise<T>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Alias of {@link HydraCache.getOrLoad}, for loaders that cannot fail.
   *
   * @throws {CacheError} (rejects) as {@link HydraCache.getOrLoad}.
   */
  getOrInsertWith<T>(key: string, loader: Loader<T>): Promise<T>;
  getOrInsertWith<T>(key: string, options: LoadOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  getOrInsertWith<T>(
    key: string,
    optionsOrLoader: LoadOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.getOrLoad(key, optionsOrLoader as LoadOptionsInput, loader as Loader<T>);
  }

  /**
   * Alias of {@link HydraCache.getOrLoad}, for fallible loaders.
   *
   * @throws {CacheError} (rejects) as {@link HydraCache.getOrLoad}; a loader's failure is `LOADER_FAILED`.
   */
  tryGetOrInsertWith<T>(key: string, loader: Loader<T>): Promise<T>;
  tryGetOrInsertWith<T>(key: string, options: LoadOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  tryGetOrInsertWith<T>(
    key: string,
    optionsOrLoader: LoadOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.getOrLoad(key, optionsOrLoader as LoadOptionsInput, loader as Loader<T>);
  }

  /**
   * `true` when a read would return a value for `key` (fresh, or within its stale-while-revalidate
   * window); an entry past its windows is removed and reported absent.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY`.
   */
  async containsKey(key: string): Promise<boolean> {
    checkKey(key);
    return this.#serving() && this.#table.has(key);
  }

  /**
   * Removes one key (and makes a load of it that is running stale); `true` if a live entry was
   * removed.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY`.
   */
  async invalidateKey(key: string): Promise<boolean> {
    checkKey(key);
    return this.#invalidate([key], NONE, false, "local") > 0;
  }

  /**
   * Alias of {@link HydraCache.invalidateKey}.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY`.
   */
  remove(key: string): Promise<boolean> {
    return this.invalidateKey(key);
  }

  /**
   * Removes every entry carrying `tag` and makes loads carrying it stale; resolves to how many
   * live entries were removed.
   *
   * @throws {CacheError} (rejects) `INVALID_OPTIONS` for a non-string tag.
   */
  async invalidateTag(tag: string): Promise<number> {
    checkTag(tag);
    return this.#invalidate(NONE, [tag], false, "local");
  }

  /** Removes everything, tag mappings included, and makes every running load stale. Never rejects. */
  async flush(): Promise<void> {
    this.#invalidate(NONE, NONE, true, "local");
  }

  /**
   * Applies an invalidation that came from another instance: the same effect as the local calls
   * (entries removed, covering loads made stale), reported to listeners with `origin: "remote"` so
   * a transport never sends it back. Synchronous.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) for anything but `{ keys?: string[], tags?:
   * string[], all?: boolean }` (a {@link CacheEvent} is accepted too); `INVALID_KEY` for a key that is
   * not a string.
   *
   * @example
   * cache.applyInvalidation({ tags: ["table:users"] }); // a message from another instance
   */
  applyInvalidation(event: InvalidationInput): void {
    if (typeof event !== "object" || event === null) {
      throw new CacheError(
        "INVALID_OPTIONS",
        `applyInvalidation needs { keys?, tags?, all? }, got ${describe(event)}`,
      );
    }
    for (const name in event) {
      // A CacheEvent (with its type and origin) is accepted as is, so events can be forwarded.
      if (!INVALIDATION_FIELDS.includes(name)) {
        throw new CacheError(
          "INVALID_OPTIONS",
          `applyInvalidation: unknown field ${describe(name)}: the known fields are keys, tags, all`,
        );
      }
    }
    const { keys, tags, all } = event;
    if (all !== undefined && typeof all !== "boolean") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `applyInvalidation: all must be a boolean, got ${describe(all)}`,
      );
    }
    const keyList = keys === undefined ? NONE : checkKeys(keys);
    const tagList = tags === undefined ? NONE : checkTags(tags);
    this.#invalidate(keyList, tagList, all === true, "remote");
  }

  /**
   * Calls `listener` synchronously after every invalidation (see {@link CacheEvent}); returns the
   * function that unsubscribes it. A cache with no listener pays nothing for this.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `listener` is not a function.
   *
   * @example
   * const unsubscribe = cache.subscribe((event) => console.log(event));
   */
  subscribe(listener: CacheEventListener): () => void {
    if (typeof listener !== "function") {
      throw new CacheError("INVALID_OPTIONS", `subscribe needs a function, got ${describe(listener)}`);
    }
    return this.#listeners.add(listener);
  }

  /** A snapshot of the counters (a plain object, not live). Never throws. */
  stats(): CacheStats {
    return this.#stats.snapshot(this.#loads.running, this.#table.bytes);
  }

  /**
   * A typed view whose keys live under `namespace:`.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `namespace` is not a string.
   *
   * @example
   * const users = cache.typed<User>("users");
   * await users.put("42", { id: 42, name: "Ada" }); // stored under "users:42"
   */
  typed<T>(namespace: string): TypedCache<T> {
    return new TypedCache<T>(this, namespace);
  }

  #serving(): boolean {
    return this.#gate === undefined || this.#gate();
  }

  /**
   * The one read path of `getOrLoad` and the row helpers: a hit (fresh, or stale within its window,
   * which starts a background refresh), else a join or a new load. `optionsAtStart` (when given)
   * computes the stored options only when a load starts.
   */
  #read(
    key: string,
    call: ResolvedCall,
    loader: Loader<unknown>,
    optionsAtStart: ((call: ResolvedCall) => ResolvedOptions) | undefined,
  ): Promise<unknown> {
    if (call.signal?.aborted) {
      const reason = call.signal.reason;
      throw new CacheError("ABORTED", `stopped waiting for key ${describe(key)}: ${messageOf(reason)}`, {
        cause: reason,
      });
    }
    const serving = this.#serving();
    if (serving) {
      const entry = this.#table.lookup(key);
      if (entry !== undefined) {
        const value = this.#decodeOrMiss(key, entry);
        if (value !== UNDECODABLE) {
          if (!this.#countServed()) this.#refresh(key, call, loader, optionsAtStart);
          return Promise.resolve(value);
        }
      }
      this.#stats.misses++;
    } else {
      this.#stats.bypassedReads++;
    }
    let load = this.#loads.current(key);
    // Sync is down: a load older than the staleness bound may have read rows a lost message covered.
    if (load !== undefined && !serving && load.startedAt < this.#joinableSince()) load = undefined;
    if (load === undefined) {
      load = this.#loads.start(
        key,
        optionsAtStart === undefined ? call : optionsAtStart(call),
        loader,
        !serving,
      );
    } else {
      this.#stats.singleFlightJoins++;
    }
    return this.#loads.wait(load, call.timeoutMs ?? this.#config.loaderTimeout, call.signal);
  }

  /** Starts a background load of a stale entry, unless one is running; its outcome reaches no caller. */
  #refresh(
    key: string,
    call: ResolvedCall,
    loader: Loader<unknown>,
    optionsAtStart: ((call: ResolvedCall) => ResolvedOptions) | undefined,
  ): void {
    if (this.#loads.current(key) !== undefined) return;
    let options: ResolvedOptions;
    try {
      options = optionsAtStart === undefined ? call : optionsAtStart(call);
    } catch {
      return; // the caller already has its stale value; a later read tries again
    }
    this.#loads.start(key, options, loader, false).result.catch(() => {
      // A failed refresh leaves the stale value until its window ends; errors are never cached.
    });
  }

  /** Counts the entry the last lookup found as a hit or a stale hit; returns whether it was fresh. */
  #countServed(): boolean {
    const fresh = this.#table.wasFresh;
    if (fresh) this.#stats.hits++;
    else this.#stats.staleHits++;
    return fresh;
  }

  #decodeOrMiss(key: string, entry: Entry): unknown {
    try {
      return this.#table.decode(key, entry);
    } catch {
      return UNDECODABLE; // removed by decode: loaded again like a missing entry
    }
  }

  /** `put` after its options are resolved (a typed view adds its namespace tag). */
  #write(key: string, value: unknown, options: ResolvedOptions): void {
    if (value === undefined) {
      throw new CacheError(
        "INVALID_VALUE",
        `cannot put undefined under key ${describe(key)}: delete the key instead`,
      );
    }
    const { stored, bytes } = this.#table.encode(key, value);
    if (!this.#table.fits(bytes)) {
      throw new CacheError(
        "ENTRY_TOO_LARGE",
        `value for key ${describe(key)} is ${bytes} bytes, over the ${this.#table.maxEntryBytes}-byte limit (maxEntryBytes, maxTotalBytes)`,
      );
    }
    this.#loads.invalidateKey(key);
    this.#table.write(key, stored, bytes, options);
    if (this.#listeners.active) this.#listeners.emit({ type: "invalidate", keys: [key], origin: "local" });
  }

  /** The one invalidation path: loads made stale, entries removed, listeners told. Returns live entries removed. */
  #invalidate(
    keys: readonly string[],
    tags: readonly string[],
    all: boolean,
    origin: CacheEvent["origin"],
  ): number {
    let removed = 0;
    if (all) {
      this.#loads.invalidateAll();
      this.#table.clear();
    }
    for (const key of keys) {
      this.#loads.invalidateKey(key);
      if (this.#table.removeKey(key)) removed++;
    }
    for (const tag of tags) {
      this.#loads.invalidateTag(tag);
      removed += this.#table.removeTag(tag);
    }
    this.#stats.invalidations += removed;
    if (this.#listeners.active) this.#listeners.emit(eventOf(keys, tags, all, origin));
    return removed;
  }

  #inspect(): EngineState {
    return {
      entries: this.#table.size,
      inFlight: this.#loads.size,
      inFlightTags: this.#loads.tagCount,
      ...this.#table.inspect(),
    };
  }
}

function eventOf(
  keys: readonly string[],
  tags: readonly string[],
  all: boolean,
  origin: CacheEvent["origin"],
): CacheEvent {
  return {
    type: "invalidate",
    ...(keys.length > 0 ? { keys } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(all ? { all: true as const } : {}),
    origin,
  };
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string") {
    throw new CacheError("INVALID_KEY", `key must be a string, got ${describe(key)}`);
  }
}

function checkKeys(keys: unknown): readonly string[] {
  if (!Array.isArray(keys)) {
    throw new CacheError("INVALID_KEY", `keys must be an array of strings, got ${describe(keys)}`);
  }
  for (const key of keys) checkKey(key);
  return keys as string[];
}
