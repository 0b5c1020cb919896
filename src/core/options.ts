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
 * Per-entry options as a plain object: the shape `getOrLoad` and `put` accept beside {@link CacheOptions}.
 *
 * @example
 * await cache.put("user:42", user, { ttl: 60_000, tags: ["users", "user:42"] });
 */
export interface EntryOptions {
  /** Time to live in ms; overrides the cache's default TTL. */
  ttl?: Milliseconds;
  /** Tags to attach to the entry, for {@link HydraCache.invalidateTag}. */
  tags?: Iterable<string> | TagSet;
}

/**
 * Options accepted by `put` and `getOrLoad`: a {@link CacheOptions} or a plain {@link EntryOptions}.
 *
 * @example
 * const options: EntryOptionsInput = new CacheOptions().ttl(60_000).tag("users");
 */
export type EntryOptionsInput = CacheOptions | EntryOptions;

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

  constructor(ttlMs?: Milliseconds, tagList: readonly string[] = []) {
    this.ttlMs = ttlMs === undefined ? undefined : checkTtl(ttlMs, "ttl");
    this.tagList = Object.freeze(checkTags(tagList));
  }

  /** Returns options with this TTL in ms (positive, or `Infinity`). */
  ttl(ms: Milliseconds): CacheOptions {
    return new CacheOptions(checkTtl(ms, "ttl"), this.tagList);
  }

  /** Returns options with one more tag. */
  tag(tag: string): CacheOptions {
    return new CacheOptions(this.ttlMs, [...this.tagList, tag]);
  }

  /** Returns options whose tag list is replaced by `tags`. */
  tags(tags: Iterable<string>): CacheOptions {
    return new CacheOptions(this.ttlMs, [...checkIterable(tags, "tags")]);
  }

  /** Returns options whose tag list is replaced by the tags of `set`. */
  tagSet(set: TagSet): CacheOptions {
    return this.tags(set);
  }
}

/** Options reduced to what the engine stores. */
export interface ResolvedOptions {
  readonly ttlMs: Milliseconds | undefined;
  readonly tags: readonly string[];
}

const NO_OPTIONS: ResolvedOptions = Object.freeze({ ttlMs: undefined, tags: Object.freeze([]) });

/** Validates `put`/`getOrLoad` options; throws `INVALID_OPTIONS` naming the bad field. */
export function resolveOptions(options: EntryOptionsInput | undefined): ResolvedOptions {
  if (options === undefined) return NO_OPTIONS;
  if (options instanceof CacheOptions) return { ttlMs: options.ttlMs, tags: options.tagList };
  checkObject(options);
  const ttlMs = options.ttl === undefined ? undefined : checkTtl(options.ttl, "ttl");
  const tags =
    options.tags === undefined ? NO_OPTIONS.tags : checkTags([...checkIterable(options.tags, "tags")]);
  return { ttlMs, tags };
}

/**
 * Validates options without building anything, for calls that may not need them (a `getOrLoad`
 * hit or join): bad options reject on every call, not only on a miss. `CacheOptions` are valid by
 * construction.
 */
export function checkOptions(options: EntryOptionsInput | undefined): void {
  if (options === undefined || options instanceof CacheOptions) return;
  checkObject(options);
  if (options.ttl !== undefined) checkTtl(options.ttl, "ttl");
  if (options.tags !== undefined) for (const tag of checkIterable(options.tags, "tags")) checkTag(tag);
}

function checkObject(options: unknown): void {
  if (typeof options !== "object" || options === null) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `options must be a CacheOptions or an object, got ${describe(options)}`,
    );
  }
}

/** Checks a TTL: a positive finite number of ms, or `Infinity`. */
export function checkTtl(ms: unknown, option: string): Milliseconds {
  if (typeof ms !== "number" || !(ms > 0)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${option} must be a positive number of milliseconds or Infinity, got ${describe(ms)}`,
    );
  }
  return ms;
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

function checkTags(tags: readonly unknown[]): string[] {
  for (const tag of tags) checkTag(tag);
  return [...new Set(tags as string[])];
}

/** Checks one tag: a string, else `INVALID_OPTIONS`. */
export function checkTag(tag: unknown): asserts tag is string {
  if (typeof tag !== "string") {
    throw new CacheError("INVALID_OPTIONS", `tag must be a string, got ${describe(tag)}`);
  }
}
