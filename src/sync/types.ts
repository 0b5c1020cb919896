/**
 * What an invalidation message asks every instance to remove: keys, tags, or everything. A message
 * can only ever remove entries; it never adds or changes a value.
 *
 * @example
 * const event: InvalidationEvent = { tags: ["table:users"] };
 */
export interface InvalidationEvent {
  /** Keys to remove (physical keys, as the engine stores them). */
  readonly keys?: readonly string[];
  /** Tags whose entries to remove. */
  readonly tags?: readonly string[];
  /** Remove everything (a flush). */
  readonly all?: boolean;
}

/**
 * Why a transport asks for a resync: the stream of messages may have a gap, so the cache must
 * forget everything it holds before serving again.
 *
 * @example
 * sink.resync("reconnected");
 */
export type ResyncReason = "subscribed" | "reconnected" | "gap" | "decode-error" | "manual";

/**
 * What `attachSync` hands a transport: every call applies at once, synchronously and in call
 * order, and none ever throws. After the sync is closed they do nothing.
 *
 * @example
 * sink.invalidate({ tags: ["table:users"] });
 * sink.confirm(sentAt); // every message published before sentAt has been delivered
 */
export interface SyncSink {
  /** Applies a remote invalidation now. An argument that is not an `InvalidationEvent` causes a resync. */
  invalidate(event: InvalidationEvent): void;
  /** Continuity was lost: flush, and make every load in flight stale, before anything is served again. */
  resync(reason: ResyncReason): void;
  /** Every message published before `sentAt` (a time from {@link SyncSink.now}) has been delivered. */
  confirm(sentAt: number): void;
  /** The attached cache's clock (ms): the one timescale for heartbeats and the staleness gate. */
  now(): number;
}

/**
 * Carries invalidations between instances: PostgreSQL LISTEN/NOTIFY (`hydracache/postgres`), the
 * in-memory bus (`memoryBus()`), or your own.
 *
 * @example
 * const transport: InvalidationTransport = {
 *   async start(sink) { sink.resync("subscribed"); sink.confirm(sink.now()); },
 *   async close() {},
 * };
 */
export interface InvalidationTransport {
  /** Starts delivery; calls `sink.resync("subscribed")` once its first subscription is live. */
  start(sink: SyncSink): Promise<void>;
  /** Publishes a local invalidation to the other instances (optional). */
  publish?(event: InvalidationEvent): Promise<void>;
  /** Stops delivery and releases connections. */
  close(): Promise<void>;
}

/**
 * Where a {@link CacheSync} stands: `"starting"` until the transport's first confirmation,
 * `"synced"` while the latest confirmation is at most `maxStalenessMs` old, `"unsynced"` past it,
 * `"closed"` after `close()`. Stored values are served only while `"synced"` (unless
 * `whenUnsynced: "serve"`).
 *
 * @example
 * if (sync.state !== "synced") metrics.increment("cache.unsynced");
 */
export type SyncState = "starting" | "synced" | "unsynced" | "closed";

/**
 * Options of `attachSync`.
 *
 * @example
 * attachSync(cache, transport, { maxStalenessMs: 1_000, whenUnsynced: "bypass" });
 */
export interface SyncOptions {
  /**
   * F, in ms: a stored value is served only while the latest confirmation from the transport is
   * at most this old, so no value is served more than F after a covered write committed.
   * @default 3_000
   */
  maxStalenessMs?: number;
  /**
   * What reads do while unsynced: `"bypass"` (fail closed: `get` misses, `getOrLoad` runs its
   * loader, still single-flight, and stores nothing) or `"serve"` (serve stored values anyway,
   * giving up the staleness bound).
   * @default "bypass"
   */
  whenUnsynced?: "bypass" | "serve";
}

/**
 * Counters of a {@link CacheSync}, from `sync.stats()` (a snapshot).
 *
 * @example
 * const { resyncs, horizonAgeMs } = sync.stats();
 */
export interface SyncStats {
  /** Calls of `sink.invalidate`, well-formed or not. */
  messages: number;
  /** Well-formed invalidations applied to the cache. */
  invalidations: number;
  /** Resyncs (each a flush), whatever the reason. */
  resyncs: number;
  /** Malformed messages (each caused a resync). */
  decodeErrors: number;
  /** Calls of `sink.confirm`. */
  confirms: number;
  /** Reads the gate turned away (the engine's `stats().bypassedReads`). */
  bypassedReads: number;
  /** ms since the latest confirmed time (the horizon); `Infinity` before the first confirmation. */
  horizonAgeMs: number;
  /** Total ms spent not synced (starting or unsynced) since `attachSync`. */
  unsyncedMs: number;
  /** Local invalidations handed to `transport.publish`. */
  published: number;
  /** Why the latest resync happened. */
  lastResyncReason?: ResyncReason;
}

/**
 * The event `on("resync", listener)` receives.
 *
 * @example
 * sync.on("resync", (e) => console.warn("cache flushed:", (e as SyncResyncEvent).reason));
 */
export interface SyncResyncEvent {
  readonly reason: ResyncReason;
}

/**
 * A cache attached to a transport by `attachSync`: applies remote invalidations, publishes local
 * ones, resyncs on every discontinuity and serves stored values only while synced.
 *
 * @example
 * const sync = attachSync(cache, memoryBus().transport());
 * await sync.ready;
 * sync.on("state", (state) => console.log("sync is", state));
 * await sync.close();
 */
export interface CacheSync {
  /** Resolves at the first confirmation; rejects `SYNC_NOT_CONFIRMED` if none comes in time. */
  readonly ready: Promise<void>;
  /** Where the sync stands now. */
  readonly state: SyncState;
  /** A snapshot of the counters. Never throws. */
  stats(): SyncStats;
  /**
   * Calls `listener` on every state change (with the new {@link SyncState}), every resync (with a
   * {@link SyncResyncEvent}) or every error (a transport that failed to start or publish, a
   * throwing listener). Returns the function that removes it.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) for an unknown event or a non-function listener.
   */
  on(event: "state" | "resync" | "error", listener: (event: unknown) => void): () => void;
  /**
   * Detaches from the cache (which then serves as an ordinary local cache) and closes the transport.
   * Rejects no `CacheError` of its own: only with what the transport's `close` rejects, as is.
   */
  close(): Promise<void>;
}
