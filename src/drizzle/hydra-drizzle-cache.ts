import { Cache, type MutationOption } from "drizzle-orm/cache/core";
import type { CacheConfig } from "drizzle-orm/cache/core/types";
import type { HydraCache } from "../core/cache.ts";
import { CacheError, describe } from "../core/errors.ts";
import { acquireEntry, type ExternalLoad } from "../core/internal.ts";
import { escapeSegment } from "../core/key.ts";
import { checkTtl, type Milliseconds } from "../core/options.ts";
import { DERIVED_KEY } from "./drizzle-internals.ts";
import { type StatementContext, statementContext } from "./statement-context.ts";
import { type TableRef, tableTag } from "./table-tag.ts";

/** Options of {@link HydraDrizzleCache}. */
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
  /**
   * Without `withHydraCache`, Drizzle never reports a failed query, so a caller waiting on another
   * caller's identical query waits at most this long (ms), then queries itself.
   * @default 2_000
   */
  joinTimeout?: Milliseconds;
}

/** Raised inside a load that was abandoned, so joiners query for themselves. */
class AbandonedLoad extends Error {}

/**
 * Drizzle's `Cache` over a hydracache engine, correct where Drizzle's bundled caches are not:
 * identical concurrent selects run one query (single-flight); a result whose tables were
 * invalidated while its query ran is not stored; and with {@link withHydraCache}, writes are
 * invalidated again once they complete and transactions never leak into the cache.
 *
 * @example
 * const cache = HydraCache.local().build();
 * const db = withHydraCache(drizzle(client, { cache: new HydraDrizzleCache(cache, { strategy: "all" }) }));
 * await db.select().from(users);               // cached, tagged table:users
 * await db.update(users).set({ name: "Ada" }); // invalidates table:users after the write completes
 */
export class HydraDrizzleCache extends Cache {
  /** The shared engine. */
  readonly cache: HydraCache;
  /** This cache's key prefix in the engine. */
  readonly namespace: string;
  readonly #strategy: "explicit" | "all";
  readonly #ttl: Milliseconds | undefined;
  readonly #joinTimeout: Milliseconds;
  /** Loads started by statements that run without `withHydraCache`, by physical key. */
  readonly #unowned = new Map<string, { load: ExternalLoad; timer: ReturnType<typeof setTimeout> }>();
  /**
   * Outside `withHydraCache`, per key: how many gets answered "miss" (so their statement queries and
   * then calls `put`) whose `put` has not come yet, and when the last one did. A `put` carries
   * nothing that says which miss it answers, so a new load is only adopted when none is pending.
   */
  readonly #unanswered = new Map<string, { count: number; since: number }>();

  constructor(cache: HydraCache, options: HydraDrizzleCacheOptions = {}) {
    super();
    if (typeof (cache as Partial<HydraCache> | null)?.getOrLoad !== "function") {
      throw new CacheError("INVALID_OPTIONS", `HydraDrizzleCache needs a HydraCache, got ${describe(cache)}`);
    }
    const { strategy = "explicit", ttl, namespace = "drizzle", joinTimeout = 2_000 } = options;
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
    this.#joinTimeout = checkTtl(joinTimeout, "joinTimeout");
  }

  /** Which selects Drizzle routes through the cache. */
  override strategy(): "explicit" | "all" {
    return this.#strategy;
  }

  /**
   * Drizzle's lookup before a select: a hit returns the stored driver result; a miss joins an
   * identical query in flight, or starts a load that {@link HydraDrizzleCache.put} completes.
   */
  override async get(
    key: string,
    tables: string[],
    _isTag: boolean,
    isAutoInvalidate?: boolean,
  ): Promise<unknown[] | undefined> {
    const context = statementContext.getStore();
    if (context?.inTransaction) return undefined;
    const tags = isAutoInvalidate === false ? [] : [...tables, ...(context?.tablesRead ?? [])].map(tableTag);
    const physicalKey = this.#physicalKey(key, context);
    const acquired = acquireEntry(this.cache, physicalKey, [...new Set(tags)], this.#ttl);
    if (acquired.kind === "hit") return acquired.value as unknown[];
    if (acquired.kind === "join") return this.#join(acquired.result, context, physicalKey);
    if (context !== undefined) context.load = acquired.load;
    else this.#adopt(physicalKey, acquired.load);
    return undefined;
  }

  /** Drizzle's store after a miss: completes the load the miss started (stored unless invalidated meanwhile). */
  override async put(
    key: string,
    response: unknown,
    _tables: string[],
    _isTag: boolean,
    config?: CacheConfig,
  ): Promise<void> {
    const context = statementContext.getStore();
    if (context?.inTransaction) return;
    const physicalKey = this.#physicalKey(key, context);
    let load = context?.load;
    if (context === undefined) {
      this.#answered(physicalKey);
      const unowned = this.#unowned.get(physicalKey);
      this.#unowned.delete(physicalKey);
      clearTimeout(unowned?.timer);
      load = unowned?.load;
    }
    const ttl = ttlOf(config);
    // An absolute expiry already past (`pxat`/`exat`), or a non-positive TTL: nothing to store.
    if (ttl !== undefined && !(ttl > 0)) load?.fail(new AbandonedLoad("its TTL had already run out"));
    else load?.complete(response, ttl);
  }

  /**
   * Drizzle's hook on writes (and `db.$cache.invalidate`): removes every result of the tables,
   * and each custom `$withCache({ tag })` key both as a key and as an engine tag. Inside
   * `withHydraCache`, the same happens again once the write or transaction completes.
   */
  override async onMutate(params: MutationOption): Promise<void> {
    const context = statementContext.getStore();
    context?.written.push(() => this.#invalidate(params));
    await this.#invalidate(params);
  }

  /** Removes every result that read `table` (`tableTag(table)`), across all namespaces. */
  invalidateTable(table: TableRef): Promise<number> {
    return this.cache.invalidateTag(tableTag(table));
  }

  async #invalidate({ tables, tags }: MutationOption): Promise<void> {
    for (const table of asList(tables)) await this.cache.invalidateTag(tableTag(table));
    for (const tag of asList(tags)) {
      await this.cache.invalidateKey(this.#physicalKey(tag, undefined));
      await this.cache.invalidateTag(tag);
    }
  }

  #physicalKey(key: string, context: StatementContext | undefined): string {
    const logical = key === DERIVED_KEY && context?.derivedKey !== undefined ? context.derivedKey : key;
    return this.namespace === "" ? logical : `${escapeSegment(this.namespace)}:${logical}`;
  }

  /** Waits for an identical query's result; without the wrapper a failure or timeout means "query yourself". */
  async #join(
    result: Promise<unknown>,
    context: StatementContext | undefined,
    physicalKey: string,
  ): Promise<unknown[] | undefined> {
    try {
      return (await result) as unknown[];
    } catch (error) {
      const cause = (error as CacheError).cause;
      if (context === undefined) {
        this.#missed(physicalKey); // this caller now queries, and will put
        return undefined;
      }
      if (cause instanceof AbandonedLoad) return undefined;
      throw cause;
    }
  }

  /** Counts a get outside `withHydraCache` that answered "miss"; resolves to whether others were pending. */
  #missed(physicalKey: string): boolean {
    const now = Date.now();
    // A statement that never puts has failed; after this window its miss stops counting.
    const window = Math.max(UNANSWERED_WINDOW, 2 * this.#joinTimeout);
    if (this.#unanswered.size >= 1024) {
      for (const [key, { since }] of this.#unanswered)
        if (now - since >= window) this.#unanswered.delete(key);
    }
    const pending = this.#unanswered.get(physicalKey);
    const live = pending !== undefined && now - pending.since < window;
    this.#unanswered.set(physicalKey, { count: live ? pending.count + 1 : 1, since: now });
    return live;
  }

  /** Counts a put outside `withHydraCache`: one pending miss fewer. */
  #answered(physicalKey: string): void {
    const pending = this.#unanswered.get(physicalKey);
    if (pending === undefined) return;
    if (pending.count <= 1) this.#unanswered.delete(physicalKey);
    else pending.count--;
  }

  /**
   * Tracks a load started outside `withHydraCache`. Drizzle calls `put` only when the query
   * succeeds, so the load is abandoned after `joinTimeout`. A load for a key with any earlier miss
   * still unanswered (a load not completed yet, or abandoned by the timeout while its statement
   * still runs) is abandoned at once: its `put` could not be told from the earlier ones', and an
   * earlier statement may have read the rows before a write this load started after.
   */
  #adopt(physicalKey: string, load: ExternalLoad): void {
    if (this.#missed(physicalKey)) {
      load.fail(new AbandonedLoad("an earlier miss of this key is still unanswered"));
      return;
    }
    const timer = setTimeout(() => {
      this.#unowned.delete(physicalKey);
      load.fail(new AbandonedLoad(`no result within ${this.#joinTimeout} ms`));
    }, this.#joinTimeout);
    (timer as { unref?: () => void }).unref?.();
    this.#unowned.set(physicalKey, { load, timer });
  }
}

/** How long (ms) a miss outside `withHydraCache` whose `put` never came keeps new loads of its key unstored. */
const UNANSWERED_WINDOW = 60_000;

/** The TTL a query's `$withCache({ config })` asks for, in ms from now (`pxat`/`exat` by the wall clock). */
function ttlOf(config: CacheConfig | undefined): Milliseconds | undefined {
  if (config?.px !== undefined) return config.px;
  if (config?.ex !== undefined) return config.ex * 1000;
  if (config?.pxat !== undefined) return config.pxat - Date.now();
  if (config?.exat !== undefined) return config.exat * 1000 - Date.now();
  return undefined;
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
