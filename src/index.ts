/**
 * @module hydracache — a local async cache for services in front of a database: single-flight
 * loads, TTLs, tags, and invalidation that a load running at the time can never undo.
 *
 * @example
 * import { HydraCache } from "hydracache";
 *
 * const cache = HydraCache.local().defaultTtl(60_000).build();
 * const user = await cache.getOrLoad("user:42", { tags: ["users"] }, () => loadUser(42));
 * await cache.invalidateTag("users");
 */
export { cborCodec } from "./codec/cbor.ts";
export { type CacheCodec, referenceCodec } from "./codec/codec.ts";
export { HydraCacheBuilder } from "./core/builder.ts";
export { HydraCache, type InvalidationInput } from "./core/cache.ts";
export { DEFAULT_CONFIG, type EngineConfig } from "./core/config.ts";
export { CacheError, type CacheErrorCode } from "./core/errors.ts";
export type { CacheEvent, CacheEventListener } from "./core/events.ts";
export { CacheKeyBuilder, escapeSegment } from "./core/key.ts";
export type { Loader, LoaderContext } from "./core/loads.ts";
export {
  CacheOptions,
  type EntryOptions,
  type EntryOptionsInput,
  type LoadOptions,
  type LoadOptionsInput,
  type Milliseconds,
  type TagsInput,
} from "./core/options.ts";
export type { CacheStats } from "./core/stats.ts";
export { TagSet } from "./core/tags.ts";
export { TypedCache } from "./core/typed.ts";
export { attachSync } from "./sync/attach-sync.ts";
export { type MemoryBus, memoryBus } from "./sync/memory-bus.ts";
export type {
  CacheSync,
  InvalidationEvent,
  InvalidationTransport,
  ResyncReason,
  SyncOptions,
  SyncResyncEvent,
  SyncSink,
  SyncState,
  SyncStats,
} from "./sync/types.ts";
