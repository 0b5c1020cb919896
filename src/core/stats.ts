/**
 * A snapshot of the engine's counters, as returned by {@link HydraCache.stats}.
 *
 * @example
 * const { hits, misses } = cache.stats();
 * console.log(`hit ratio ${(hits / (hits + misses)).toFixed(2)}`);
 */
export interface CacheStats {
  /** Lookups (`get`, `getOrLoad`) answered from the store. */
  hits: number;
  /** Lookups that found nothing usable (missing, expired or undecodable). */
  misses: number;
  /** Loader executions. */
  loads: number;
  /** `getOrLoad` misses that joined a load already in flight instead of starting one. */
  singleFlightJoins: number;
  /** Loads whose result was returned but not stored because an invalidation overtook them. */
  staleLoadDiscards: number;
  /** Entries removed by `invalidateKey`/`remove`/`invalidateTag`. */
  invalidations: number;
  /** Entries the store evicted to stay within `maxCapacity`. */
  evictions: number;
}

/** The engine's live counters; {@link StatsCounter.snapshot} hands out copies. */
export class StatsCounter implements CacheStats {
  hits = 0;
  misses = 0;
  loads = 0;
  singleFlightJoins = 0;
  staleLoadDiscards = 0;
  invalidations = 0;
  evictions = 0;

  snapshot(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      loads: this.loads,
      singleFlightJoins: this.singleFlightJoins,
      staleLoadDiscards: this.staleLoadDiscards,
      invalidations: this.invalidations,
      evictions: this.evictions,
    };
  }
}
