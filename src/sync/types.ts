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
