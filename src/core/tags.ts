import { escapeSegment } from "./key.ts";
import { checkIterable, checkTag } from "./options.ts";

/**
 * An ordered set of tags, built up call by call. Immutable: every call returns a new set.
 *
 * @example
 * new TagSet().tag("users").entity("user", 42).tenant(7).toArray(); // ["users", "user:42", "tenant:7"]
 */
export class TagSet implements Iterable<string> {
  readonly #tags: readonly string[];

  /** A set of `tags` (strings; duplicates dropped, first occurrence kept). */
  constructor(tags: Iterable<string> = []) {
    const list = [...checkIterable(tags, "tags")];
    for (const tag of list) checkTag(tag);
    this.#tags = [...new Set(list)];
  }

  /** A set holding one tag. */
  static fromTag(tag: string): TagSet {
    return new TagSet([tag]);
  }

  /** Adds one tag, as given. */
  tag(tag: string): TagSet {
    return new TagSet([...this.#tags, tag]);
  }

  /** Adds several tags, as given (appends; a tag set is built up). */
  tags(tags: Iterable<string>): TagSet {
    return new TagSet([...this.#tags, ...tags]);
  }

  /** Adds the entity tag `<kind>:<id>` (segments escaped like keys). */
  entity(kind: unknown, id: unknown): TagSet {
    return this.tag(`${escapeSegment(kind)}:${escapeSegment(id)}`);
  }

  /** Adds the tenant tag `tenant:<id>`. */
  tenant(id: unknown): TagSet {
    return this.entity("tenant", id);
  }

  /** `true` when the set holds no tag. */
  isEmpty(): boolean {
    return this.#tags.length === 0;
  }

  /** How many tags the set holds. */
  get size(): number {
    return this.#tags.length;
  }

  /** The tags, in insertion order. */
  toArray(): string[] {
    return [...this.#tags];
  }

  [Symbol.iterator](): Iterator<string> {
    return this.#tags[Symbol.iterator]();
  }
}
