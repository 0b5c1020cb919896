import type { HydraCache, Loader } from "./cache.ts";
import { CacheError, describe } from "./errors.ts";
import { CacheKeyBuilder, escapeSegment } from "./key.ts";
import type { EntryOptionsInput } from "./options.ts";
import type { CacheStats } from "./stats.ts";

/**
 * A view of a {@link HydraCache} whose values are `T` and whose keys live under `namespace:`.
 * The namespace is escaped as one key segment, so `typed("a:b")` and `typed("a")` never collide.
 * Tags, `flush` and stats are the shared engine's.
 *
 * @example
 * const users = cache.typed<User>("users");
 * const ada = await users.getOrLoad("42", () => db.loadUser(42)); // key "users:42"
 */
export class TypedCache<T> {
  /** The namespace, as given. */
  readonly namespace: string;
  readonly #cache: HydraCache;
  readonly #prefix: string;

  /** Made by {@link HydraCache.typed}; `namespace` must be a string (`INVALID_OPTIONS`, thrown at once). */
  constructor(cache: HydraCache, namespace: string) {
    if (typeof namespace !== "string") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `typed view namespace must be a string, got ${describe(namespace)}`,
      );
    }
    this.#cache = cache;
    this.namespace = namespace;
    this.#prefix = escapeSegment(namespace);
  }

  /** The physical key of `key` in the shared engine: `namespace:key`. */
  key(key: string): string {
    return `${this.#prefix}:${key}`;
  }

  /** The physical key of a built key; an empty builder gives the namespace itself. */
  keyFrom(builder: CacheKeyBuilder): string {
    if (!(builder instanceof CacheKeyBuilder)) {
      throw new CacheError("INVALID_KEY", `keyFrom needs a CacheKeyBuilder, got ${describe(builder)}`);
    }
    return builder.isEmpty() ? this.#prefix : this.key(builder.build());
  }

  /** See {@link HydraCache.get}. */
  get(key: string): Promise<T | undefined> {
    return this.#cache.get<T>(this.#physical(key));
  }

  /** See {@link HydraCache.put}. */
  put(key: string, value: T, options?: EntryOptionsInput): Promise<void> {
    return this.#cache.put(this.#physical(key), value, options);
  }

  /** See {@link HydraCache.getOrLoad}. */
  getOrLoad(key: string, loader: Loader<T>): Promise<T>;
  getOrLoad(key: string, options: EntryOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  getOrLoad(
    key: string,
    optionsOrLoader: EntryOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.#cache.getOrLoad<T>(
      this.#physical(key),
      optionsOrLoader as EntryOptionsInput,
      loader as Loader<T>,
    );
  }

  /** Alias of {@link TypedCache.getOrLoad}. */
  getOrInsertWith(key: string, loader: Loader<T>): Promise<T>;
  getOrInsertWith(key: string, options: EntryOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  getOrInsertWith(
    key: string,
    optionsOrLoader: EntryOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.getOrLoad(key, optionsOrLoader as EntryOptionsInput, loader as Loader<T>);
  }

  /** Alias of {@link TypedCache.getOrLoad}. */
  tryGetOrInsertWith(key: string, loader: Loader<T>): Promise<T>;
  tryGetOrInsertWith(key: string, options: EntryOptionsInput | undefined, loader: Loader<T>): Promise<T>;
  tryGetOrInsertWith(
    key: string,
    optionsOrLoader: EntryOptionsInput | Loader<T> | undefined,
    loader?: Loader<T>,
  ): Promise<T> {
    return this.getOrLoad(key, optionsOrLoader as EntryOptionsInput, loader as Loader<T>);
  }

  /** See {@link HydraCache.containsKey}. */
  containsKey(key: string): Promise<boolean> {
    return this.#cache.containsKey(this.#physical(key));
  }

  /** See {@link HydraCache.invalidateKey}. */
  invalidateKey(key: string): Promise<boolean> {
    return this.#cache.invalidateKey(this.#physical(key));
  }

  /** Alias of {@link TypedCache.invalidateKey}. */
  remove(key: string): Promise<boolean> {
    return this.invalidateKey(key);
  }

  /** See {@link HydraCache.invalidateTag}; tags are global to the engine. */
  invalidateTag(tag: string): Promise<number> {
    return this.#cache.invalidateTag(tag);
  }

  /** Flushes the whole shared engine, not only this namespace. */
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
