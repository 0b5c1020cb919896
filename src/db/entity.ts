import { CacheError, describe } from "../core/errors.ts";
import { CacheKeyBuilder, escapeSegment } from "../core/key.ts";

/**
 * An entity id: a string, a finite number or a bigint (`42`, `42n` and `"42"` name the same entity).
 *
 * @example
 * queries.entity("user", 42n).physicalKey; // "db:user:42"
 */
export type EntityId = string | number | bigint;

/**
 * What {@link defineEntity} takes: the entity kind and, optionally, the collection it belongs to.
 *
 * @example
 * const definition: EntityDefinition = { entity: "user", collection: "users" };
 */
export interface EntityDefinition {
  /** The entity kind, the first segment of its keys and tags (`"user"` → `user:42`). */
  readonly entity: string;
  /** The collection tag shared by every entity of this kind (`"users"`), if any. */
  readonly collection?: string | undefined;
}

/**
 * Cache metadata for one kind of entity, made by {@link defineEntity}: its kind, collection, keys
 * and tags. `Row` is the row type `forEntity` queries return; `Id` its id type.
 *
 * @example
 * const User: EntityDescriptor<UserRow, number> = defineEntity({ entity: "user", collection: "users" });
 * User.key(42); // "user:42"
 */
export interface EntityDescriptor<Row = unknown, Id extends EntityId = EntityId> {
  /** The entity kind, as given. */
  readonly entity: string;
  /** The collection, as given, or `undefined`. */
  readonly collection: string | undefined;
  /** The collection tag (the collection escaped as one segment), or `undefined` without a collection. */
  readonly collectionTag: string | undefined;
  /** The logical cache key of one entity: `user:42`. @throws {CacheError} `INVALID_KEY` (thrown) for a bad id. */
  key(id: Id): string;
  /** The entity tag of one entity: `user:42`, the same string as its key. @throws {CacheError} `INVALID_KEY` (thrown) for a bad id. */
  tag(id: Id): string;
  /** Type-only, like Drizzle's `$inferSelect`: `typeof User.$inferRow` is the row type. Never set at run time. */
  readonly $inferRow?: Row;
}

/**
 * Describes an entity kind once, so queries and invalidations never repeat its names.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for a non-object definition, or an `entity` or `collection` that is not a non-empty string.
 *
 * @example
 * const User = defineEntity<UserRow, number>({ entity: "user", collection: "users" });
 * User.key(42);      // "user:42"
 * User.tag(42);      // "user:42"
 * User.collectionTag; // "users"
 * await queries.forEntity(User, 42).fetchWith(() => repo.load(42)); // key db:user:42, tags user:42 and users
 */
export function defineEntity<Row = unknown, Id extends EntityId = EntityId>(
  definition: EntityDefinition,
): EntityDescriptor<Row, Id> {
  if (typeof definition !== "object" || definition === null) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `defineEntity needs { entity, collection? }, got ${describe(definition)}`,
    );
  }
  const { entity, collection } = definition;
  if (!isName(entity)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `defineEntity: entity must be a non-empty string, got ${describe(entity)}`,
    );
  }
  if (collection !== undefined && !isName(collection)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `defineEntity: collection of entity ${describe(entity)} must be a non-empty string or undefined, got ${describe(collection)}`,
    );
  }
  return Object.freeze({
    entity,
    collection,
    collectionTag: collection === undefined ? undefined : escapeSegment(collection),
    key: (id: Id): string => entityKey(entity, id),
    tag: (id: Id): string => entityKey(entity, id),
  });
}

/**
 * `<kind>:<id>` with both segments escaped: the key and the tag of one entity. Throws `INVALID_KEY` on bad input.
 *
 * @throws {CacheError} `INVALID_KEY` (thrown) for an empty or non-string kind, or an id that is not a non-empty string, a finite number or a bigint.
 */
export function entityKey(kind: unknown, id: unknown): string {
  if (!isName(kind)) {
    throw new CacheError("INVALID_KEY", `entity kind must be a non-empty string, got ${describe(kind)}`);
  }
  if (!isEntityId(id)) {
    throw new CacheError(
      "INVALID_KEY",
      `id of entity ${describe(kind)} must be a non-empty string, a finite number or a bigint, got ${describe(id)}`,
    );
  }
  return new CacheKeyBuilder().entity(kind, id).build();
}

/**
 * A collection name escaped as one segment: the key and the tag of a collection. Throws `INVALID_KEY` on bad input.
 *
 * @throws {CacheError} `INVALID_KEY` (thrown) when `name` is not a non-empty string.
 */
export function collectionKey(name: unknown): string {
  if (!isName(name)) {
    throw new CacheError("INVALID_KEY", `collection name must be a non-empty string, got ${describe(name)}`);
  }
  return CacheKeyBuilder.fromSegment(name).build();
}

/** `true` for a descriptor-shaped value (what {@link defineEntity} returns, or any `{ entity }` object). Never throws. */
export function isEntityDescriptor(value: unknown): value is EntityDefinition {
  return typeof value === "object" && value !== null;
}

function isName(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function isEntityId(id: unknown): id is EntityId {
  return isName(id) || typeof id === "bigint" || (typeof id === "number" && Number.isFinite(id));
}
