import type { HydraCache } from "../core/cache.ts";
import { CacheError, describe } from "../core/errors.ts";
import { engineOf } from "../core/internal.ts";
import {
  collectionKey,
  type EntityDescriptor,
  type EntityId,
  entityKey,
  isEntityDescriptor,
} from "./entity.ts";
import { checkLabel, DbQuery, type QueryContext } from "./query.ts";
import type { RowHelper, RowSource, RowSourceDefaults } from "./rows.ts";

/**
 * Database query-result caching over one shared {@link HydraCache}: describes each result as a
 * {@link DbQuery} (key, tags, TTL) whose `fetchWith`/row helpers go through the engine's
 * `getOrLoad`. Keys live under `namespace:`; tags are global, so `cache.invalidateTag("user:42")`
 * reaches db results too. No second store, stats or in-flight map.
 *
 * @example
 * const cache = HydraCache.local().build();
 * const queries = new DbCache(cache, "db");
 * const user = await queries.entity<User>("user", 42).collectionTag("users").fetchWith(() => repo.load(42));
 * await queries.invalidateEntity("user", 42); // = cache.invalidateTag("user:42")
 */
export class DbCache {
  readonly #context: QueryContext;

  /**
   * Wraps `cache`; `namespace` prefixes every physical key (`""` for none).
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `cache` is not a `HydraCache` or `namespace` is not a string.
   */
  constructor(cache: HydraCache, namespace: string) {
    engineOf(cache, "DbCache"); // INVALID_OPTIONS now, not a TypeError at the first fetch
    if (typeof namespace !== "string") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `DbCache namespace must be a string ("" for none), got ${describe(namespace)}`,
      );
    }
    this.#context = Object.freeze({
      cache,
      namespace,
      resolveRowSource: (source: RowSource<unknown>, query: DbQuery<unknown>, helper: RowHelper) =>
        this.resolveRowSource(source, query, helper),
      runLoad: <T>(load: () => Promise<T>) => this.runLoad(load),
    });
  }

  /** The one shared engine (read-only). */
  get cache(): HydraCache {
    return this.#context.cache;
  }

  /** The namespace of physical keys, as given (`""`: keys are used bare; read-only). */
  get namespace(): string {
    return this.#context.namespace;
  }

  /** A query with no key, tag or name yet: set a key before fetching. Never throws. */
  cached<T>(): DbQuery<T> {
    return new DbQuery<T>(this.#context);
  }

  /**
   * A query with a diagnostic name (used in error messages), and no key yet.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `label` is not a non-empty string.
   */
  named<T>(label: string): DbQuery<T> {
    return new DbQuery<T>(this.#context, checkLabel(label));
  }

  /**
   * A query for one entity: key and tag `<kind>:<id>` (escaped segments, e.g. `user:42`).
   *
   * @throws {CacheError} `INVALID_KEY` (thrown) for an empty or non-string kind, or an id that is not a non-empty string, a finite number or a bigint.
   */
  entity<T>(kind: string, id: EntityId): DbQuery<T> {
    return this.cached<T>().forEntity(kind, id);
  }

  /**
   * A query for a collection: key and tag `<name>` (escaped as one segment, e.g. `users`).
   *
   * @throws {CacheError} `INVALID_KEY` (thrown) when `name` is not a non-empty string.
   */
  collection<T>(name: string): DbQuery<T> {
    const key = collectionKey(name);
    return this.cached<T>().key(key).tag(key);
  }

  /**
   * A query for one entity of a described kind: key and entity tag `user:42`, plus the collection
   * tag when the entity has one; the row type comes from the descriptor.
   *
   * @throws {CacheError} `INVALID_KEY` (thrown) for a bad kind, id or collection name (as {@link DbCache.entity}).
   *
   * @example
   * const User = defineEntity<UserRow, number>({ entity: "user", collection: "users" });
   * const user = await queries.forEntity(User, 42).fetchOne(() => repo.rowsById(42)); // tags user:42, users
   */
  forEntity<Row, Id extends EntityId>(entity: EntityDescriptor<Row, Id>, id: Id): DbQuery<Row>;
  forEntity<T = unknown>(kind: string, id: EntityId): DbQuery<T>;
  forEntity(kindOrEntity: string | EntityDescriptor<unknown, EntityId>, id: EntityId): DbQuery<unknown> {
    return this.cached().forEntity(kindOrEntity as string, id);
  }

  /**
   * Removes every result tagged with the entity tag (`user:42`); resolves to how many were removed.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY` for a bad kind or id (as {@link DbCache.entity}).
   */
  invalidateEntity<Id extends EntityId>(entity: EntityDescriptor<unknown, Id>, id: Id): Promise<number>;
  invalidateEntity(kind: string, id: EntityId): Promise<number>;
  async invalidateEntity(
    kindOrEntity: string | EntityDescriptor<unknown, EntityId>,
    id: EntityId,
  ): Promise<number> {
    const kind = isEntityDescriptor(kindOrEntity) ? kindOrEntity.entity : kindOrEntity;
    return this.cache.invalidateTag(entityKey(kind, id));
  }

  /**
   * Removes every result tagged with the collection tag (`users`), by name or through a descriptor with a collection.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY` for an empty or non-string name, or a descriptor without a collection.
   */
  async invalidateCollection(collection: string | EntityDescriptor<unknown, never>): Promise<number> {
    if (isEntityDescriptor(collection) && collection.collection === undefined) {
      throw new CacheError(
        "INVALID_KEY",
        `entity ${describe(collection.entity)} has no collection to invalidate`,
      );
    }
    return this.cache.invalidateTag(
      collectionKey(isEntityDescriptor(collection) ? collection.collection : collection),
    );
  }

  /**
   * Hook for adapters: runs every load of this cache's queries, a `fetchWith` loader or a row
   * helper's source, on a miss and on a bypass. The base class just calls `load`. `DrizzleDbCache`
   * runs it outside the Drizzle cache hook: the query's result is cached once, under the query's
   * key and with its TTL.
   *
   * @example
   * class TracedDbCache extends DbCache {
   *   protected override runLoad<T>(load: () => Promise<T>): Promise<T> {
   *     return tracer.startActiveSpan("db-cache load", () => load());
   *   }
   * }
   */
  protected runLoad<T>(load: () => Promise<T>): Promise<T> {
    return load();
  }

  /**
   * Hook for adapters, consulted by the row helpers (`fetchOne`/`fetchOptional`/`fetchAll`) of every
   * query this cache makes, on every call and before the cache lookup. It must be cheap and must not
   * run the source: it returns `undefined` or a `RowSourceDefaults` whose fields the helpers read only
   * when they need them, so an adapter computes the costly ones in getters:
   * - `bypass` (read first, on every call): `true` runs the source outside the cache (no lookup, no
   *   load, nothing stored; for Drizzle, a query inside a transaction);
   * - `source` (read on every call): what runs instead of the given source on a miss or a bypass;
   * - `key` (read only when the query has no explicit key): the default logical key;
   * - `tags` (read only when a load starts, never on a hit or a join): tags added beside the query's.
   * The base class returns `undefined`; `DrizzleDbCache` derives the key from a Drizzle query's SQL,
   * parameters and result mapping, and the table tags from a walk of the query. `helper` names the
   * row helper asking: the helpers cache different shapes (a row, a row or `null`, an array), so a
   * key derived from the source alone must tell them apart. What the hook or its `key` throws
   * rejects the helper's promise before the lookup; what `tags` throws rejects it before any load is
   * registered, so nothing stays in flight.
   *
   * @example
   * class SqlDbCache extends DbCache {
   *   protected override resolveRowSource(source: RowSource<unknown>, _query: DbQuery<unknown>, helper: RowHelper) {
   *     if (!(source instanceof SqlQuery)) return undefined;
   *     return { key: `${helper}:${source.text}`, get tags() { return source.tables.map((t) => `table:${t}`); } };
   *   }
   * }
   */
  protected resolveRowSource(
    _source: RowSource<unknown>,
    _query: DbQuery<unknown>,
    _helper: RowHelper,
  ): RowSourceDefaults | undefined {
    return undefined;
  }
}
