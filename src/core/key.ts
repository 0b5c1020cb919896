import { CacheError, describe } from "./errors.ts";

/**
 * Escapes one key or tag segment: `%` becomes `%25` and `:` becomes `%3A`, so segments joined
 * with `:` can never be confused with one another.
 *
 * @example
 * escapeSegment("tenant:7"); // "tenant%3A7"
 * escapeSegment(42);         // "42"
 */
export function escapeSegment(segment: unknown): string {
  const text = String(segment);
  return text.includes("%") || text.includes(":") ? text.replaceAll("%", "%25").replaceAll(":", "%3A") : text;
}

/**
 * Builds a cache key from escaped segments joined with `:`. Immutable: every call returns a new builder.
 *
 * @example
 * new CacheKeyBuilder().tenant(7).entity("user", 42).build(); // "tenant:7:user:42"
 * new CacheKeyBuilder().segment("tenant:7").build();           // "tenant%3A7"
 */
export class CacheKeyBuilder {
  #segments: readonly string[] = [];

  /** A builder holding one segment. */
  static fromSegment(segment: unknown): CacheKeyBuilder {
    return new CacheKeyBuilder().segment(segment);
  }

  /** Appends one segment (escaped). */
  segment(segment: unknown): CacheKeyBuilder {
    return this.#with([escapeSegment(segment)]);
  }

  /** Appends several segments (each escaped). */
  segments(segments: Iterable<unknown>): CacheKeyBuilder {
    if (typeof (segments as Iterable<unknown> | null)?.[Symbol.iterator] !== "function") {
      throw new CacheError("INVALID_KEY", `segments must be an iterable, got ${describe(segments)}`);
    }
    return this.#with(Array.from(segments, escapeSegment));
  }

  /** Appends `tenant:<id>`. */
  tenant(id: unknown): CacheKeyBuilder {
    return this.segment("tenant").segment(id);
  }

  /** Appends `<kind>:<id>`. */
  entity(kind: unknown, id: unknown): CacheKeyBuilder {
    return this.segment(kind).segment(id);
  }

  /** `true` when no segment has been added. */
  isEmpty(): boolean {
    return this.#segments.length === 0;
  }

  /** The key: the escaped segments joined with `:`. */
  build(): string {
    return this.#segments.join(":");
  }

  /** Same as {@link CacheKeyBuilder.build}. */
  buildString(): string {
    return this.build();
  }

  /** Same as {@link CacheKeyBuilder.build}, so a builder can stand where a string is expected. */
  toString(): string {
    return this.build();
  }

  #with(escaped: readonly string[]): CacheKeyBuilder {
    const next = new CacheKeyBuilder();
    next.#segments = [...this.#segments, ...escaped];
    return next;
  }
}
