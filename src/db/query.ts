import type { HydraCache } from "../core/cache.ts";
import { CacheError, describe, messageOf } from "../core/errors.ts";
import { getOrLoadWithOptionsAtStart } from "../core/internal.ts";
import { type CacheKeyBuilder, escapeSegment } from "../core/key.ts";
import type { Loader } from "../core/loads.ts";
import { CacheOptions, checkTtl, type Milliseconds } from "../core/options.ts";
import type { TagSet } from "../core/tags.ts";
import {
  collectionKey,
  type EntityDescriptor,
  type EntityId,
  entityKey,
  isEntityDescriptor,
} from "./entity.ts";
import {
  checkRowSource,
  type RowHelper,
  type RowResult,
  type RowSource,
  type RowSourceDefaults,
  type RowsFor,
  readRows,
} from "./rows.ts";

/** What every {@link DbQuery} shares with the `DbCache` that made it. */
export interface QueryContext {
  /** The one shared engine. */
  readonly cache: HydraCache;
  /** The namespace of physical keys (`""`: none). */
  readonly namespace: string;
  /** The adapter hook behind `DbCache.runLoad`: runs every load (a `fetchWith` loader, a row helper's source). */
  readonly runLoad: <T>(load: () => Promise<T>) => Promise<T>;
  /** The adapter hook behind `DbCache.resolveRowSource`: a default key and extra tags for a row source. */
  readonly resolveRowSource: (
    source: RowSource<unknown>,
    query: DbQuery<unknown>,
    helper: RowHelper,
  ) => RowSourceDefaults | undefined;
}

/**
 * An immutable description of one cached query result: its key, tags, TTL and a diagnostic name.
 * Every builder call returns a new query, so a shared base is never changed. Made by `DbCache`;
 * adapters customise row helpers through `DbCache.resolveRowSource`, not by subclassing this.
 *
 * @example
 * const user = await queries
 *   .entity<User>("user", 42)      // key db:user:42, tag user:42
 *   .collectionTag("users")        // + tag users
 *   .ttl(60_000)
 *   .fetchWith(() => repo.load(42)); // runs only on a miss
 */
export class DbQuery<T> {
  /** The diagnostic name given to `named`/`withName`, or `undefined`. */
  readonly name: string | undefined;
  readonly #context: QueryContext;
  readonly #key: string | undefined;
  readonly #options: CacheOptions;

  /** Queries are made by `DbCache` (`cached`, `named`, `entity`, `collection`, `forEntity`). Never throws. */
  constructor(
    context: QueryContext,
    name: string | undefined = undefined,
    key: string | undefined = undefined,
    options: CacheOptions = new CacheOptions(),
  ) {
    this.#context = context;
    this.name = name;
    this.#key = key;
    this.#options = options;
    // Immutable at run time too (`name` cannot be reassigned); subclasses freeze themselves if they wish.
    if (new.target === DbQuery) Object.freeze(this);
  }

  /** The namespace of the `DbCache` this query belongs to. */
  get namespace(): string {
    return this.#context.namespace;
  }

  /** The key in the shared engine: `namespace:key` (namespace escaped as one segment), `key` for the empty namespace, `undefined` without a key. */
  get physicalKey(): string | undefined {
    return this.#key === undefined ? undefined : this.#physical(this.#key);
  }

  /**
   * The tags, in order, without duplicates (a frozen array; also `tags()` with no argument). Tags
   * are never namespaced. (`tags` itself is the builder method, as on `CacheOptions`, whose read-only
   * list is `tagList` too.)
   */
  get tagList(): readonly string[] {
    return this.#options.tagList;
  }

  /** The per-query TTL in ms, or `undefined` for the engine's default TTL. */
  get ttlMs(): Milliseconds | undefined {
    return this.#options.ttlMs;
  }

  /**
   * Sets the logical key (a non-empty string, used as is); replaces any key set before.
   *
   * @throws {CacheError} `INVALID_KEY` (thrown) when `key` is not a non-empty string.
   */
  key(key: string): DbQuery<T> {
    if (typeof key !== "string" || key.length === 0) {
      throw new CacheError(
        "INVALID_KEY",
        `query ${describe(this.#label())}: key must be a non-empty string, got ${describe(key)}`,
      );
    }
    return this.#with({ key });
  }

  /**
   * Sets the logical key from a {@link CacheKeyBuilder} (segments escaped); an empty builder is `INVALID_KEY`.
   *
   * @throws {CacheError} `INVALID_KEY` (thrown) for anything but a non-empty `CacheKeyBuilder`.
   */
  keyBuilder(builder: CacheKeyBuilder): DbQuery<T> {
    if (typeof (builder as { build?: unknown } | null)?.build !== "function") {
      throw new CacheError(
        "INVALID_KEY",
        `query ${describe(this.#label())}: keyBuilder needs a CacheKeyBuilder, got ${describe(builder)}`,
      );
    }
    const key = builder.build();
    if (key.length === 0) {
      throw new CacheError(
        "INVALID_KEY",
        `query ${describe(this.#label())}: keyBuilder got an empty CacheKeyBuilder`,
      );
    }
    return this.#with({ key });
  }

  /**
   * Appends one tag (as given).
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) for a non-string tag.
   */
  tag(tag: string): DbQuery<T> {
    return this.#with({ options: this.#options.tag(tag) });
  }

  /**
   * With an argument, returns a query whose tag list is replaced by `tags` (as on `CacheOptions`).
   * Without one, returns the tags (the frozen {@link DbQuery.tagList}).
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `tags` is a string, not iterable, or holds a non-string.
   */
  tags(): readonly string[];
  tags(tags: Iterable<string>): DbQuery<T>;
  tags(...args: [tags?: Iterable<string>]): DbQuery<T> | readonly string[] {
    if (args.length === 0) return this.#options.tagList;
    return this.#with({ options: this.#options.tags(args[0] as Iterable<string>) });
  }

  /**
   * Replaces the tag list with the tags of `set`.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `set` is not an iterable of strings.
   */
  tagSet(set: TagSet): DbQuery<T> {
    return this.#with({ options: this.#options.tagSet(set) });
  }

  /**
   * Appends the collection tag of `name` (escaped as one segment: `users`).
   *
   * @throws {CacheError} `INVALID_KEY` (thrown) when `name` is not a non-empty string.
   */
  collectionTag(name: string): DbQuery<T> {
    return this.#with({ options: this.#options.tag(collectionKey(name)) });
  }

  /**
   * Sets the key to the entity's (`user:42`) and appends its entity tag, plus its collection tag
   * when a descriptor has a collection. Tags set before are kept; a later `key()` overrides the key.
   *
   * @throws {CacheError} `INVALID_KEY` (thrown) for a bad kind, id or collection name.
   */
  forEntity<Id extends EntityId>(entity: EntityDescriptor<unknown, Id>, id: Id): DbQuery<T>;
  forEntity(kind: string, id: EntityId): DbQuery<T>;
  forEntity(kindOrEntity: string | EntityDescriptor<unknown, EntityId>, id: EntityId): DbQuery<T> {
    const descriptor = isEntityDescriptor(kindOrEntity) ? kindOrEntity : undefined;
    const key = entityKey(descriptor === undefined ? kindOrEntity : descriptor.entity, id);
    let options = this.#options.tag(key);
    if (descriptor?.collection !== undefined) options = options.tag(collectionKey(descriptor.collection));
    return this.#with({ key, options });
  }

  /**
   * Sets the per-query TTL in ms (positive, or `Infinity`); overrides the engine's default TTL.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) for anything but a positive number of ms or `Infinity`.
   */
  ttl(ms: Milliseconds): DbQuery<T> {
    return this.#with({ options: this.#options.ttl(checkTtl(ms, "ttl")) });
  }

  /**
   * Sets the diagnostic name used in error messages.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `label` is not a non-empty string.
   */
  withName(label: string): DbQuery<T> {
    return this.#with({ name: checkLabel(label) });
  }

  /**
   * Returns the cached value, or runs `loader` once for all concurrent callers and caches its result
   * under {@link DbQuery.physicalKey} with this query's tags and TTL (through the engine's `getOrLoad`).
   * Rejects `MISSING_KEY` without calling the loader when the query has no key.
   *
   * @throws {CacheError} (rejects) `MISSING_KEY`, `INVALID_OPTIONS` (`loader` not a function),
   * `LOADER_FAILED` (cause: the loader's error), `ENCODE_FAILED`, `DECODE_FAILED`.
   *
   * @example
   * const user = await queries.cached<User>().key("user:42").tag("users").fetchWith(() => repo.load(42));
   */
  async fetchWith(loader: Loader<T>): Promise<T> {
    const key = this.#requireKey(this.#key);
    if (typeof loader !== "function") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `query ${describe(this.#label())}: fetchWith needs a loader function, got ${describe(loader)}`,
      );
    }
    return this.#context.cache.getOrLoad<T>(key, this.#options, (context) =>
      this.#context.runLoad(async () => loader(context)),
    );
  }

  /**
   * The single row of `query`, cached. Zero rows rejects `ROW_NOT_FOUND` (for every waiter) and
   * caches nothing; more than one row resolves to the first (like `sqlx::fetch_one`). The row's
   * type is `T` when the query has one (`entity<User>(…)`; the source's rows must be assignable
   * to it), else the source's row type. A key holding another helper's array of rows rejects
   * `INVALID_VALUE`.
   *
   * @throws {CacheError} (rejects) `MISSING_KEY`, `INVALID_OPTIONS` (a bad source, or an adapter's non-string tag), `INVALID_KEY` (an adapter's derived key that is not a non-empty string), `LOADER_FAILED` (cause: the source's error, on a miss or a bypass), `ROW_NOT_FOUND`, `INVALID_VALUE`, `ENCODE_FAILED`, `DECODE_FAILED`; what an adapter's `resolveRowSource` throws, as is.
   *
   * @example
   * const user: User = await queries.entity<User>("user", 42).fetchOne(db.select().from(users).where(eq(users.id, 42)));
   */
  async fetchOne<R extends RowsFor<T>>(query: RowSource<R>): Promise<RowResult<T, R>> {
    // Zero rows loads `undefined`, which the engine never stores; a joined or cached `null` is no row too.
    const { key, value: row } = await this.#fetch(query, "fetchOne", (rows) => rows[0] ?? undefined);
    if (row === undefined || row === null) {
      throw new CacheError(
        "ROW_NOT_FOUND",
        `query ${describe(this.#label())}: fetchOne found no row for key ${describe(key)}`,
      );
    }
    return row as RowResult<T, R>;
  }

  /**
   * The first row of `query`, or `null` when there is none; the `null` is cached too, so repeated
   * misses stay off the database. Typed and checked like {@link DbQuery.fetchOne}.
   *
   * @throws {CacheError} (rejects) as {@link DbQuery.fetchOne}, except `ROW_NOT_FOUND`.
   *
   * @example
   * const maybeUser = await queries.entity<User>("user", 42).fetchOptional(() => repo.rowsById(42)); // User | null
   */
  async fetchOptional<R extends RowsFor<T>>(query: RowSource<R>): Promise<RowResult<T, R> | null> {
    const { value: row } = await this.#fetch(query, "fetchOptional", (rows) => rows[0] ?? null);
    return (row ?? null) as RowResult<T, R> | null;
  }

  /**
   * Every row of `query`, as an array; an empty result is cached as `[]`. Rows are typed like
   * {@link DbQuery.fetchOne}'s; a key holding another helper's single row rejects `INVALID_VALUE`.
   *
   * @throws {CacheError} (rejects) as {@link DbQuery.fetchOne}, except `ROW_NOT_FOUND`.
   *
   * @example
   * const all: User[] = await queries.collection<User>("users").fetchAll(db.select().from(users));
   */
  async fetchAll<R extends RowsFor<T>>(query: RowSource<R>): Promise<RowResult<T, R>[]> {
    return (await this.#fetch(query, "fetchAll", (rows) => rows)).value as RowResult<T, R>[];
  }

  /**
   * Checks the source, asks the adapter for its defaults, and loads through the one engine: the
   * source runs only on a miss, and `pick` shapes what is cached. The adapter's key is read only
   * without an explicit key, its tags only when a load starts; a `bypass` runs the source alone.
   */
  async #fetch(
    source: RowSource<unknown>,
    helper: RowHelper,
    pick: (rows: unknown[]) => unknown,
  ): Promise<{ key: string; value: unknown }> {
    checkRowSource(source, helper);
    const defaults = this.#context.resolveRowSource(source, this as DbQuery<unknown>, helper);
    const key = this.#requireKey(this.#key ?? checkDefaultKey(defaults?.key, this.#label()));
    const run = defaults?.source ?? source;
    let loadedHere = false;
    const load = () => {
      loadedHere = true;
      return this.#context.runLoad(async () => pick(await readRows(run)));
    };
    if (defaults?.bypass === true) return { key, value: await bypassing(key, load) };
    const base = this.#options;
    const optionsAtStart = () => {
      const extra = defaults?.tags;
      return extra === undefined ? base : base.tags([...base.tagList, ...extra]);
    };
    const value = await getOrLoadWithOptionsAtStart(this.#context.cache, key, optionsAtStart, load);
    // A hit or a joined load may hold what another helper (or fetchWith) cached under the key.
    if (!loadedHere && Array.isArray(value) !== (helper === "fetchAll")) {
      throw new CacheError(
        "INVALID_VALUE",
        `query ${describe(this.#label())}: ${helper} found ${Array.isArray(value) ? "an array of rows" : "a single row"} under key ${describe(key)}, cached by another row helper or fetchWith; give each helper its own key`,
      );
    }
    return { key, value };
  }

  #requireKey(key: string | undefined): string {
    if (key === undefined) {
      throw new CacheError(
        "MISSING_KEY",
        `query ${describe(this.#label())} has no cache key: set one with key(), keyBuilder() or forEntity(), or start from entity() or collection()`,
      );
    }
    return this.#physical(key);
  }

  #physical(key: string): string {
    return this.#context.namespace === "" ? key : `${escapeSegment(this.#context.namespace)}:${key}`;
  }

  /** The name for messages: the query's name, else `namespace:unnamed` (`unnamed` for the empty namespace). */
  #label(): string {
    if (this.name !== undefined) return this.name;
    return this.#context.namespace === "" ? "unnamed" : `${this.#context.namespace}:unnamed`;
  }

  #with(change: { name?: string; key?: string; options?: CacheOptions }): DbQuery<T> {
    return new DbQuery<T>(
      this.#context,
      change.name ?? this.name,
      change.key ?? this.#key,
      change.options ?? this.#options,
    );
  }
}

/**
 * Checks a diagnostic name: a non-empty string, else `INVALID_OPTIONS`.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `label` is not a non-empty string.
 */
export function checkLabel(label: unknown): string {
  if (typeof label !== "string" || label.length === 0) {
    throw new CacheError("INVALID_OPTIONS", `query name must be a non-empty string, got ${describe(label)}`);
  }
  return label;
}

/** Runs a row helper's load outside the cache; a failing source rejects `LOADER_FAILED`, as on a miss. */
async function bypassing(key: string, load: () => Promise<unknown>): Promise<unknown> {
  try {
    return await load();
  } catch (error) {
    throw new CacheError(
      "LOADER_FAILED",
      `loader for key ${describe(key)} failed (the cache was bypassed): ${messageOf(error)}`,
      { cause: error },
    );
  }
}

function checkDefaultKey(key: unknown, label: string): string | undefined {
  if (key === undefined || (typeof key === "string" && key.length > 0)) return key;
  throw new CacheError(
    "INVALID_KEY",
    `query ${describe(label)}: the key derived from the row source must be a non-empty string, got ${describe(key)}`,
  );
}
