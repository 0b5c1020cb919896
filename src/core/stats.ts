/**
 * A snapshot of the engine's counters, as returned by {@link HydraCache.stats}.
 *
 * Every `get`/`getOrLoad` call is counted once in `hits`, `staleHits` (a stale-while-revalidate
 * read), `misses` or `bypassedReads`. A miss either starts a load (`loads`) or joins one
 * (`singleFlightJoins`); a miss answered by a stale value after a timeout or a failed load also
 * counts in `staleHits`.
 *
 * @example
 * const s = cache.stats();
 * const hitRatio = (s.hits + s.staleHits) / (s.hits + s.staleHits + s.misses); // reads answered without waiting
 * const dbRatio = 1 - s.loads / (s.hits + s.staleHits + s.misses + s.bypassedReads); // reads that cost no load
 */
export interface CacheStats {
  /** Lookups (`get`, `getOrLoad`) answered from the store with a fresh value. */
  hits: number;
  /** Lookups that found nothing usable (missing, expired or undecodable). */
  misses: number;
  /** Loader executions (background refreshes included). */
  loads: number;
  /** `getOrLoad` misses that joined a load already in flight instead of starting one. */
  singleFlightJoins: number;
  /** Loads whose result was returned but not stored because an invalidation overtook them. */
  staleLoadDiscards: number;
  /** Entries removed by `invalidateKey`/`remove`/`invalidateTag`/`applyInvalidation`. */
  invalidations: number;
  /** Entries the store evicted to stay within `maxCapacity` and `maxTotalBytes`. */
  evictions: number;
  /** Loads running now. */
  inFlight: number;
  /** Expired values served under `staleWhileRevalidate`, `staleIfError` or a `timeout`. */
  staleHits: number;
  /** `get`/`getOrLoad` calls that did not use the store because cross-instance sync was down. */
  bypassedReads: number;
  /** The sum of the stored entries' sizes (encoded bytes, or `sizeOf`). */
  bytes: number;
  /** Loaded values not stored because they exceeded `maxEntryBytes`. */
  oversizeSkips: number;
}

/** The engine's live counters; {@link StatsCounter.snapshot} hands out copies. */
export class StatsCounter {
  hits = 0;
  misses = 0;
  loads = 0;
  singleFlightJoins = 0;
  staleLoadDiscards = 0;
  invalidations = 0;
  evictions = 0;
  staleHits = 0;
  bypassedReads = 0;
  oversizeSkips = 0;

  /** The counters with the gauges the engine reads at the time (`inFlight`, `bytes`). */
  snapshot(inFlight: number, bytes: number): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      loads: this.loads,
      singleFlightJoins: this.singleFlightJoins,
      staleLoadDiscards: this.staleLoadDiscards,
      invalidations: this.invalidations,
      evictions: this.evictions,
      inFlight,
      staleHits: this.staleHits,
      bypassedReads: this.bypassedReads,
      bytes,
      oversizeSkips: this.oversizeSkips,
    };
  }
}
