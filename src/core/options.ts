import { CacheError, describe } from "./errors.ts";
import type { TagSet } from "./tags.ts";

/**
 * A duration in milliseconds. `Infinity` means "never expires".
 *
 * @example
 * const fiveMinutes: Milliseconds = 5 * 60_000;
 */
export type Milliseconds = number;

/**
 * Tags given as a list or a set: any iterable of strings except a string itself (a string is an
 * iterable of characters, so `tags: "users"` is a type error).
 *
 * @example
 * const tags: TagsInput = ["users", "user:42"];
 */
export type TagsInput = Iterable<string> & { readonly charAt?: never };

/**
 * Per-entry options as a plain object: the shape `put` and `getOrLoad` accept beside
 * {@link CacheOptions}. Unknown keys reject with `INVALID_OPTIONS`.
 *
 * @example
 * await cache.put("user:42", user, { ttl: 60_000, tags: ["users", "user:42"] });
 */
export interface EntryOptions {
  /** Time to live in ms; overrides the cache's default TTL. */
  ttl?: Milliseconds | undefined;
  /** Tags to attach to the entry, for {@link HydraCache.invalidateTag}. */
  tags?: TagsInput | TagSet | undefined;
  /**
   * For this long after its TTL, a read returns the expired value at once and `getOrLoad` refreshes
   * it in the background. An invalidated value is never served. `0` turns it off.
   */
  staleWhileRevalidate?: Milliseconds | undefined;
  /**
   * For this long after its TTL, a failed load answers every waiter with the expired value instead
   * of `LOADER_FAILED`. An invalidated value is never served. `0` turns it off.
   */
  staleIfError?: Milliseconds | undefined;
}

/**
 * Per-call options of `getOrLoad`: the entry options plus how long this caller waits.
 *
 * @example
 * await cache.getOrLoad("user:42", { timeout: 500, signal: request.signal }, loadUser);
 */
export interface LoadOptions extends EntryOptions {
  /**
   * This caller waits at most this long (ms), then gets a usable stale value or rejects
   * `LOADER_TIMEOUT`; the load goes on and is stored unless an invalidation overtakes it.
   */
  timeout?: Milliseconds | undefined;
  /** When it aborts, this caller stops waiting and rejects `ABORTED`; other callers are not affected. */
  signal?: AbortSignal | undefined;
}

/**
 * Options accepted by `put`: a {@link CacheOptions} or a plain {@link EntryOptions}.
 *
 * @example
 * const options: EntryOptionsInput = new CacheOptions().ttl(60_000).tag("users");
 */
export type EntryOptionsInput = CacheOptions | EntryOptions;

/**
 * Options accepted by `getOrLoad`: a {@link CacheOptions} or a plain {@link LoadOptions}.
 *
 * @example
 * const options: LoadOptionsInput = { ttl: 60_000, timeout: 200 };
 */
export type LoadOptionsInput = CacheOptions | LoadOptions;

// A registry symbol, so CacheOptions from another installed copy of hydracache are read by their data.
const BRAND = Symbol.for("hydracache.CacheOptions");

/**
 * Immutable per-entry options: every call returns a new object, so a shared base is never changed.
 *
 * @example
 * const base = new CacheOptions().ttl(60_000);
 * const userOptions = base.tag("users").tag("user:42"); // base still has no tags
 */
export class CacheOptions {
  /** TTL in ms, or `undefined` for the cache's default. */
  readonly ttlMs: Milliseconds | undefined;
  /** The tags, in insertion order, without duplicates. */
  readonly tagList: readonly string[];
  /** The stale-while-revalidate window in ms, or `undefined` for the cache's default. */
  readonly staleWhileRevalidateMs: Milliseconds | undefined;
  /** The stale-if-error window in ms, or `undefined` for the cache's default. */
  readonly staleIfErrorMs: Milliseconds | undefined;
  /** How long a `getOrLoad` caller waits, in ms, or `undefined` for the cache's `loaderTimeout`. */
  readonly timeoutMs: Milliseconds | undefined;
  /** The abort signal of a `getOrLoad` caller, if any. */
  readonly abortSignal: AbortSignal | undefined;

  /** Options from a plain object (validated like one passed to `put`/`getOrLoad`); all optional. */
  constructor(options: LoadOptions = {}) {
    const resolved = resolveCall(options);
    this.ttlMs = resolved.ttlMs;
    this.tagList = Object.freeze([...resolved.tags]);
    this.staleWhileRevalidateMs = resolved.staleWhileRevalidateMs;
    this.staleIfErrorMs = resolved.staleIfErrorMs;
    this.timeoutMs = resolved.timeoutMs;
    this.abortSignal = resolved.signal;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Returns options with this TTL in ms (positive, or `Infinity`). */
  ttl(ms: Milliseconds): CacheOptions {
    return this.#with({ ttl: checkTtl(ms, "ttl") });
  }

  /** Returns options with one more tag. */
  tag(tag: string): CacheOptions {
    checkTag(tag);
    return this.#with({ tags: [...this.tagList, tag] });
  }

  /** Returns options whose tag list is replaced by `tags`. */
  tags(tags: TagsInput): CacheOptions {
    return this.#with({ tags: [...checkIterable(tags, "tags")] });
  }

  /** Returns options whose tag list is replaced by the tags of `set`. */
  tagSet(set: TagSet): CacheOptions {
    return this.tags(set);
  }

  /** Returns options with this stale-while-revalidate window in ms (`0` turns it off). */
  staleWhileRevalidate(ms: Milliseconds): CacheOptions {
    return this.#with({ staleWhileRevalidate: checkWindow(ms, "staleWhileRevalidate") });
  }

  /** Returns options with this stale-if-error window in ms (`0` turns it off). */
  staleIfError(ms: Milliseconds): CacheOptions {
    return this.#with({ staleIfError: checkWindow(ms, "staleIfError") });
  }

  /** Returns options with this per-call wait limit in ms (`getOrLoad` only; positive, or `Infinity`). */
  timeout(ms: Milliseconds): CacheOptions {
    return this.#with({ timeout: checkTtl(ms, "timeout") });
  }

  /** Returns options with this abort signal (`getOrLoad` only). */
  signal(signal: AbortSignal): CacheOptions {
    return this.#with({ signal: checkSignal(signal) });
  }

  #with(change: LoadOptions): CacheOptions {
    return new CacheOptions({
      ttl: this.ttlMs,
      tags: this.tagList,
      staleWhileRevalidate: this.staleWhileRevalidateMs,
      staleIfError: this.staleIfErrorMs,
      timeout: this.timeoutMs,
      signal: this.abortSignal,
      ...change,
    });
  }
}

/** Options reduced to what the engine stores with an entry (`undefined`: the cache's default). */
export interface ResolvedOptions {
  readonly ttlMs: Milliseconds | undefined;
  readonly tags: readonly string[];
  readonly staleWhileRevalidateMs: Milliseconds | undefined;
  readonly staleIfErrorMs: Milliseconds | undefined;
}

/** Entry options plus what one `getOrLoad` caller asked for. */
export interface ResolvedCall extends ResolvedOptions {
  readonly timeoutMs: Milliseconds | undefined;
  readonly signal: AbortSignal | undefined;
}

/** No options: every field the cache's default. */
export const NO_OPTIONS: ResolvedCall = Object.freeze({
  ttlMs: undefined,
  tags: Object.freeze([]),
  staleWhileRevalidateMs: undefined,
  staleIfErrorMs: undefined,
  timeoutMs: undefined,
  signal: undefined,
});

const ENTRY_KEYS = ["ttl", "tags", "staleWhileRevalidate", "staleIfError"];
const CALL_KEYS = [...ENTRY_KEYS, "timeout", "signal"];

/** Validates `getOrLoad` options (a `CacheOptions` from any installed copy, or a plain object). */
export function resolveCall(options: LoadOptionsInput | undefined): ResolvedCall {
  return resolve(options, CALL_KEYS);
}

/** Validates `put` options: like {@link resolveCall}, without the per-call `timeout` and `signal`. */
export function resolveEntry(options: EntryOptionsInput | undefined): ResolvedOptions {
  return resolve(options, ENTRY_KEYS);
}

function resolve(options: LoadOptionsInput | undefined, known: readonly string[]): ResolvedCall {
  if (options === undefined) return NO_OPTIONS;
  if (typeof options !== "object" || options === null) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `options must be a CacheOptions or an object, got ${describe(options)}`,
    );
  }
  if ((options as { [BRAND]?: unknown })[BRAND] === true)
    return fromCacheOptions(options as CacheOptions, known);
  const plain = options as LoadOptions;
  for (const name in plain) {
    if (!known.includes(name)) {
      throw new CacheError(
        "INVALID_OPTIONS",
        `unknown option ${describe(name)}: the known options are ${known.join(", ")}`,
      );
    }
  }
  const { ttl, tags, staleWhileRevalidate, staleIfError, timeout, signal } = plain;
  return {
    ttlMs: ttl === undefined ? undefined : checkTtl(ttl, "ttl"),
    tags: tags === undefined ? NO_OPTIONS.tags : checkTags(tags),
    staleWhileRevalidateMs:
      staleWhileRevalidate === undefined
        ? undefined
        : checkWindow(staleWhileRevalidate, "staleWhileRevalidate"),
    staleIfErrorMs: staleIfError === undefined ? undefined : checkWindow(staleIfError, "staleIfError"),
    timeoutMs: timeout === undefined ? undefined : checkTtl(timeout, "timeout"),
    signal: signal === undefined ? undefined : checkSignal(signal),
  };
}

/** Reads a `CacheOptions` by its data (it may come from another installed copy of hydracache). */
function fromCacheOptions(options: CacheOptions, known: readonly string[]): ResolvedCall {
  const timeoutMs = options.timeoutMs;
  const signal = options.abortSignal;
  if (!known.includes("timeout") && (timeoutMs !== undefined || signal !== undefined)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      "timeout and signal are getOrLoad options: put does not wait for a load",
    );
  }
  return {
    ttlMs: options.ttlMs,
    tags: options.tagList,
    staleWhileRevalidateMs: options.staleWhileRevalidateMs,
    staleIfErrorMs: options.staleIfErrorMs,
    timeoutMs,
    signal,
  };
}

/** Checks a TTL: a positive number of milliseconds, or `Infinity`. */
export function checkTtl(ms: unknown, option: string): Milliseconds {
  if (typeof ms !== "number" || !(ms > 0)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${option} must be a positive number of milliseconds or Infinity, got ${describe(ms)}`,
    );
  }
  return ms;
}

/** Checks a stale window: a non-negative number of milliseconds (`0` is off), or `Infinity`. */
export function checkWindow(ms: unknown, option: string): Milliseconds {
  if (typeof ms !== "number" || !(ms >= 0)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${option} must be a non-negative number of milliseconds (0 is off) or Infinity, got ${describe(ms)}`,
    );
  }
  return ms;
}

function checkSignal(signal: unknown): AbortSignal {
  const candidate = signal as Partial<AbortSignal> | null;
  if (typeof candidate?.aborted !== "boolean" || typeof candidate.addEventListener !== "function") {
    throw new CacheError("INVALID_OPTIONS", `signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return signal as AbortSignal;
}

/** Checks that `value` is an iterable (and not a string), else `INVALID_OPTIONS` naming `option`. */
export function checkIterable<T>(value: Iterable<T>, option: string): Iterable<T> {
  if (typeof value === "string" || typeof (value as Iterable<T> | null)?.[Symbol.iterator] !== "function") {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${option} must be an iterable of strings, got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks a tag list and drops duplicates (first occurrence kept). */
export function checkTags(tags: Iterable<unknown>): readonly string[] {
  const list = [...checkIterable(tags, "tags")];
  for (const tag of list) checkTag(tag);
  return list.length < 2 ? (list as string[]) : [...new Set(list as string[])];
}

/** Checks one tag: a string, else `INVALID_OPTIONS`. */
export function checkTag(tag: unknown): asserts tag is string {
  if (typeof tag !== "string") {
    throw new CacheError("INVALID_OPTIONS", `tag must be a string, got ${describe(tag)}`);
  }
}
