import type { HydraCache } from "./cache.ts";
import { CacheError, describe } from "./errors.ts";
import { engineOf } from "./internal.ts";
import type { EngineInternals } from "./internal-types.ts";
import { CacheKeyBuilder, escapeSegment } from "./key.ts";
import type { Loader } from "./loads.ts";
import {
  type EntryOptionsInput,
  type LoadOptionsInput,
  type ResolvedOptions,
  resolveCall,
  resolveEntry,
} from "./options.ts";
import type { CacheStats } from "./stats.ts";

/**
 * The engine tag every entry and load of a typed view carries, so {@link TypedCache.clear} reaches
 * exactly that namespace (on every instance, through sync). It starts with a NUL character, which
 * no tag built from escaped segments has.
 */
function namespaceTag(prefix: string): string {
  return `\u0000typed:${prefix}`;
}

/**
 * A view of a {@link HydraCache} whose values are `T` and whose keys live under `namespace:`.
 * The namespace is escaped as one key segment, so `typed("a:b")` and `typed("a")` never collide.
 * Tags, `flush` and stats are the shared engine's; `clear` empties only this namespace.
 *
 * @example
 * const users = cache.typed<User>("users");
 * const ada = await users.getOrLoad("42", () => db.loadUser(42)); // key "users:42"
 */
export class TypedCache<T> {
  /** The namespace, as given. */
  readonly namespace: string;
  readonly #cache: HydraCache;
  readonly #engine: EngineInternals;
  readonly #prefix: string;
  readonly #tag: string;
  /** Adds the namespace tag to what a load of this view stores. */
  readonly #tagged: (options: ResolvedOptions) => ResolvedOptions;

  /** Made by {@link HydraCache.typed}; `namespace` must be a string (`INVALID_OPTIONS`, thrown at once). */
  constructor(cache: HydraCache, namespace: string) {
    if (typeof namespace !== "string") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `typed view namespace must be a string, got ${describe(namespace)}`,
      );
    }
    this.#engine = engineOf(cache, "a typed view");
    this.#cache = cache;
    this.namespace = namespace;
    this.#prefix = escapeSegment(namespace);
    const tag = namespaceTag(this.#prefix);
    this.#tag = tag;
    this.#tagged = (options) => ({ ...options, tags: [...options.tags, tag] });
  }

  /** The physical key of `key` in the shared engine: `namespace:key`. */
  key(key: string): string {
    return `${this.#prefix}:${key}`;
  }

  /** The physical key of a built key; an empty builder gives the namespace itself. @throws {CacheError} `INVALID_KEY` (thrown) for anything but a `CacheKeyBuilder`. */
  keyFrom(builder: CacheKeyBuilder): string {
    if (!(builder instanceof CacheKeyBuilder)) {
      throw new CacheError("INVALID_KEY", `keyFrom needs a CacheKeyBuilder, got ${describe(builder)}`);
    }
    return builder.isEmpty() ? this.#prefix : this.key(builder.build());
  }

  /** See {@link HydraCache.get}. @throws {CacheError} (rejects) as {@link HydraCache.get}. */
  get(key: string): Promise<T | undefined> {
    return this.#cache.get<T>(this.#physical(key));
  }

  /**
   * See {@link HydraCache.put}; the entry also carries this view's namespace tag (for {@link TypedCache.clear}).
   * @throws {CacheError} (rejects) as {@link HydraCache.put}.
   */
  async put(key: string, value: T, options?: EntryOptionsInput): Promise<void> {
    const physical = this.#physical(key);
    if (typeof physical !== "string") return this.#cache.put(physical, value, options);
    this.#engine.write(physical, value, this.#tagged(resolveEntry(options)));
  }

  /** See {@link HydraCache.getOrLoad}. @throws {CacheError} (rejects) as {@link HydraCache.getOrLoad}. */
  getOrLoad(key: string, loader: Loader<T>): Promise<T>;
  getOrLoad(key: string, options: LoadOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  getOrLoad(
    key: string,
    optionsOrLoader: LoadOptionsInput | Loader<T> | undefined,
    maybeLoader?: Loader<T>,
  ): Promise<T> {
    const loader =
      maybeLoader === undefined && typeof optionsOrLoader === "function" ? optionsOrLoader : maybeLoader;
    const physical = this.#physical(key);
    if (typeof physical !== "string" || typeof loader !== "function") {
      return this.#cache.getOrLoad<T>(
        physical,
        optionsOrLoader as LoadOptionsInput,
        maybeLoader as Loader<T>,
      );
    }
    try {
      const options =
        optionsOrLoader === loader ? undefined : (optionsOrLoader as LoadOptionsInput | undefined);
      return this.#engine.read(
        physical,
        resolveCall(options),
        loader as Loader<unknown>,
        this.#tagged,
      ) as Promise<T>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Alias of {@link TypedCache.getOrLoad}. @throws {CacheError} (rejects) as {@link HydraCache.getOrLoad}. */
  getOrInsertWith(key: string, loader: Loader<T>): Promise<T>;
  getOrInsertWith(key: string, options: LoadOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  getOrInsertWith(
    key: string,
    optionsOrLoader: LoadOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.getOrLoad(key, optionsOrLoader as LoadOptionsInput, loader as Loader<T>);
  }

  /** Alias of {@link TypedCache.getOrLoad}. @throws {CacheError} (rejects) as {@link HydraCache.getOrLoad}. */
  tryGetOrInsertWith(key: string, loader: Loader<T>): Promise<T>;
  tryGetOrInsertWith(key: string, options: LoadOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  tryGetOrInsertWith(
    key: string,
    optionsOrLoader: LoadOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.getOrLoad(key, optionsOrLoader as LoadOptionsInput, loader as Loader<T>);
  }

  /** See {@link HydraCache.containsKey}. @throws {CacheError} (rejects) `INVALID_KEY`. */
  containsKey(key: string): Promise<boolean> {
    return this.#cache.containsKey(this.#physical(key));
  }

  /** See {@link HydraCache.invalidateKey}. @throws {CacheError} (rejects) `INVALID_KEY`. */
  invalidateKey(key: string): Promise<boolean> {
    return this.#cache.invalidateKey(this.#physical(key));
  }

  /** Alias of {@link TypedCache.invalidateKey}. @throws {CacheError} (rejects) `INVALID_KEY`. */
  remove(key: string): Promise<boolean> {
    return this.invalidateKey(key);
  }

  /** See {@link HydraCache.invalidateTag}; tags are global to the engine. @throws {CacheError} (rejects) `INVALID_OPTIONS`. */
  invalidateTag(tag: string): Promise<number> {
    return this.#cache.invalidateTag(tag);
  }

  /**
   * Removes this namespace's entries (those stored through this view or another view of the same
   * namespace) and makes their loads stale; other namespaces are untouched. Resolves to how many
   * live entries were removed. Never rejects.
   */
  clear(): Promise<number> {
    return this.#cache.invalidateTag(this.#tag);
  }

  /** Flushes the whole shared engine, not only this namespace (see {@link TypedCache.clear}). */
  flush(): Promise<void> {
    return this.#cache.flush();
  }

  /** The shared engine's counters. */
  stats(): CacheStats {
    return this.#cache.stats();
  }

  /** Prefixes string keys; anything else is passed through for the engine to reject as `INVALID_KEY`. */
  #physical(key: string): string {
    return typeof key === "string" ? this.key(key) : key;
  }
}
