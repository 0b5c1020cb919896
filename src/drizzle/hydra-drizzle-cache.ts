import { Cache, type MutationOption } from "drizzle-orm/cache/core";
import type { CacheConfig } from "drizzle-orm/cache/core/types";
import type { HydraCache } from "../core/cache.ts";
import { CacheError, describe } from "../core/errors.ts";
import { clockOf, getOrLoadWithOptionsAtStart } from "../core/internal.ts";
import { escapeSegment } from "../core/key.ts";
import { checkTtl, type Milliseconds } from "../core/options.ts";
import { refreshCatalog, withCascades } from "./cascades.ts";
import { brandClass, DERIVED_KEY } from "./drizzle-internals.ts";
import { type StatementLoad, statementContext } from "./statement-context.ts";
import { type TableRef, tableName, tableTag } from "./table-tag.ts";

/** Options of {@link HydraDrizzleCache} and `hydraDrizzle`. */
export interface HydraDrizzleCacheOptions {
  /**
   * `"explicit"`: only queries with `.$withCache()` are cached; `"all"`: every select is.
   * @default "explicit"
   */
  strategy?: "explicit" | "all";
  /** TTL in ms of cached results; a query's `$withCache({ config })` wins. Default: the engine's `defaultTtl`. */
  ttl?: Milliseconds;
  /**
   * Prefix of this cache's keys in the engine: give each database its own, so two databases
   * behind one engine never share entries.
   * @default "drizzle"
   */
  namespace?: string;
}

/**
 * Drizzle's `Cache` over a hydracache engine, correct where Drizzle's bundled caches are not:
 * identical concurrent selects run one query (single-flight) and share its outcome; a result whose
 * tables were invalidated while its query ran is not stored; writes are invalidated again once they
 * complete, with the tables their foreign keys cascade to; transactions never leak into the cache.
 * It caches only in a database built by `hydraDrizzle` (or wrapped by `withHydraCache`): Drizzle's
 * hooks alone cannot see a failed query, the end of a write or a rolled-back transaction, so used
 * bare it passes every statement through to the database, and says so once with `console.warn`.
 *
 * @example
 * const db = hydraDrizzle(drizzle(client), cache, { strategy: "all" }); // builds and installs one
 * await db.select().from(users);               // cached, tagged table:users
 * await db.update(users).set({ name: "Ada" }); // invalidates table:users after the write completes
 */
export class HydraDrizzleCache extends Cache {
  static {
    brandClass(HydraDrizzleCache, "HydraDrizzleCache");
  }

  /** The shared engine. */
  readonly cache: HydraCache;
  /** This cache's key prefix in the engine. */
  readonly namespace: string;
  readonly #strategy: "explicit" | "all";
  readonly #ttl: Milliseconds | undefined;
  #warned = false;

  /**
   * Wraps `cache` with `options` (see {@link HydraDrizzleCacheOptions}).
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `cache` has no `getOrLoad`, or for a bad `strategy`, `namespace` or `ttl`.
   */
  constructor(cache: HydraCache, options: HydraDrizzleCacheOptions = {}) {
    super();
    if (typeof (cache as Partial<HydraCache> | null)?.getOrLoad !== "function") {
      throw new CacheError("INVALID_OPTIONS", `HydraDrizzleCache needs a HydraCache, got ${describe(cache)}`);
    }
    const { strategy = "explicit", ttl, namespace = "drizzle" } = options;
    if (strategy !== "explicit" && strategy !== "all") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `strategy must be "explicit" or "all", got ${describe(strategy)}`,
      );
    }
    if (typeof namespace !== "string") {
      throw new CacheError("INVALID_OPTIONS", `namespace must be a string, got ${describe(namespace)}`);
    }
    this.cache = cache;
    this.namespace = namespace;
    this.#strategy = strategy;
    this.#ttl = ttl === undefined ? undefined : checkTtl(ttl, "ttl");
  }

  /** Which selects Drizzle routes through the cache. Never throws. */
  override strategy(): "explicit" | "all" {
    return this.#strategy;
  }

  /**
   * Drizzle's lookup before a select: a hit returns the stored driver result; a miss joins an
   * identical query in flight (and gets its outcome), or starts a load the statement completes.
   * `$withCache({ autoInvalidate: false })` results live under their own keys, without table tags.
   *
   * @throws {CacheError} (rejects) `INVALID_OPTIONS` (a bad `$withCache` TTL, or `cache` not a `HydraCache` of a compatible copy), `ENCODE_FAILED`, `DECODE_FAILED`; a joined query's failure is the Drizzle driver error itself, passed through (not wrapped in `LOADER_FAILED`).
   */
  override async get(
    key: string,
    tables: string[],
    _isTag: boolean,
    isAutoInvalidate?: boolean,
  ): Promise<unknown[] | undefined> {
    const context = statementContext.getStore();
    if (context === undefined) return this.#passThrough();
    if (context.inTransaction || context.uncached) return undefined;
    const manual = isAutoInvalidate === false;
    const tags = manual ? [] : [...new Set([...tables, ...(context.tablesRead ?? [])].map(tableTag))];
    const logical = key === DERIVED_KEY && context.derivedKey !== undefined ? context.derivedKey : key;
    const { load, started } = startable();
    const outcome = getOrLoadWithOptionsAtStart(
      this.cache,
      this.#physicalKey(logical, manual),
      () => ({ tags, ttl: context.ttl ?? this.#ttl }),
      load.run,
    );
    const first = await Promise.race([started, outcome.then(settled, failed)]);
    if (first === "started") {
      context.load = { ...load, outcome };
      outcome.catch(() => {}); // the statement sees its own failure; put awaits the outcome
      return undefined;
    }
    if ("value" in first) return first.value as unknown[];
    // A failed query reaches its joiners as the driver's error, as it reaches the statement that ran it.
    const error = first.error;
    throw CacheError.is(error) && error.code === "LOADER_FAILED" ? error.cause : error;
  }

  /**
   * Drizzle's store after a miss: completes the load the miss started (stored unless invalidated
   * meanwhile). Rejects as every joiner of the load does: with the `CacheError` (say
   * `ENCODE_FAILED`) when the result cannot be stored.
   *
   * @throws {CacheError} (rejects) `ENCODE_FAILED`, `DECODE_FAILED`.
   */
  override async put(
    _key: string,
    response: unknown,
    _tables?: string[],
    _isTag?: boolean,
    _config?: CacheConfig,
  ): Promise<void> {
    const load = statementContext.getStore()?.load;
    if (load === undefined) return;
    load.deliver(response);
    await load.outcome;
  }

  /**
   * Drizzle's hook on writes (and `db.$cache.invalidate`): removes every result of the tables and
   * of the tables their foreign keys cascade to, and each custom `$withCache({ tag })` key both as
   * a key and as an engine tag. Inside a wrapped database, the same happens again once the write
   * or transaction completes, with the foreign keys declared in the database's catalog too (read
   * then, at most once a minute).
   *
   * @throws {CacheError} (rejects) `INVALID_KEY` for a table that is neither a Drizzle table nor a string, `INVALID_OPTIONS` for a non-string tag; a failed catalog read is only warned about.
   */
  override async onMutate(params: MutationOption): Promise<void> {
    const context = statementContext.getStore();
    context?.written.push(() => this.#invalidate(params, true));
    await this.#invalidate(params, false);
  }

  /**
   * Removes every result that read `table` (`tableTag(table)`), across all namespaces.
   *
   * @throws {CacheError} (rejects) `INVALID_KEY` when `table` is neither a Drizzle table nor a string.
   */
  invalidateTable(table: TableRef): Promise<number> {
    return this.cache.invalidateTag(tableTag(table));
  }

  /** Once the write has `completed` (never inside a transaction), the catalog's foreign keys count too. */
  async #invalidate({ tables, tags }: MutationOption, completed: boolean): Promise<void> {
    if (completed && tables !== undefined) await refreshCatalog(this, clockOf(this.cache)());
    for (const table of withCascades(asList(tables).map(tableName))) {
      await this.cache.invalidateTag(tableTag(table));
    }
    for (const tag of asList(tags)) {
      await this.cache.invalidateKey(this.#physicalKey(tag, false));
      await this.cache.invalidateKey(this.#physicalKey(tag, true));
      await this.cache.invalidateTag(tag);
    }
  }

  /** `namespace:` + `a:` (auto-invalidated, tagged by table) or `m:` (`autoInvalidate: false`) + the key. */
  #physicalKey(key: string, manual: boolean): string {
    const logical = `${manual ? "m" : "a"}:${key}`;
    return this.namespace === "" ? logical : `${escapeSegment(this.namespace)}:${logical}`;
  }

  /** Outside a wrapped database: no lookup, nothing stored, and one warning saying why. */
  #passThrough(): undefined {
    if (!this.#warned) {
      this.#warned = true;
      console.warn(
        "hydracache: this HydraDrizzleCache caches nothing: its database was not built with hydraDrizzle(drizzle(client), cache) (or wrapped by withHydraCache), and Drizzle's cache hooks alone cannot see a failed query, the end of a write or a rolled-back transaction",
      );
    }
    return undefined;
  }
}

/** A load whose loader only waits for the statement's result, and a promise saying it started. */
function startable(): {
  load: Omit<StatementLoad, "outcome"> & { run: () => Promise<unknown> };
  started: Promise<"started">;
} {
  let start!: (value: "started") => void;
  const started = new Promise<"started">((resolve) => {
    start = resolve;
  });
  let deliver!: (result: unknown) => void;
  let fail!: (error: unknown) => void;
  const arrival = new Promise((resolve, reject) => {
    deliver = resolve;
    fail = reject;
  });
  const run = () => {
    start("started");
    return arrival;
  };
  return { load: { deliver, fail, run }, started };
}

const settled = (value: unknown) => ({ value });
const failed = (error: unknown) => ({ error });

/** The TTL a query's `$withCache({ config })` asks for, in ms from now (`pxat`/`exat` by the wall clock). Never throws (the TTL is checked where it is used). */
export function ttlOf(config: object | undefined): Milliseconds | undefined {
  const { px, ex, pxat, exat } = (config ?? {}) as { px?: number; ex?: number; pxat?: number; exat?: number };
  if (px !== undefined) return px;
  if (ex !== undefined) return ex * 1000;
  if (pxat !== undefined) return pxat - Date.now();
  if (exat !== undefined) return exat * 1000 - Date.now();
  return undefined;
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
