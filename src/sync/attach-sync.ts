import type { HydraCache } from "../core/cache.ts";
import { CacheError, describe, messageOf } from "../core/errors.ts";
import { clockOf, engineOf, setServeGate } from "../core/internal.ts";
import { checkOptionsObject, checkPositiveMs, isInvalidationEvent } from "./check.ts";
import type {
  CacheSync,
  InvalidationEvent,
  InvalidationTransport,
  ResyncReason,
  SyncOptions,
  SyncSink,
  SyncState,
  SyncStats,
} from "./types.ts";

const OPTION_KEYS = ["maxStalenessMs", "whenUnsynced"] as const;
const EVENTS = ["state", "resync", "error"] as const;
type SyncEventName = (typeof EVENTS)[number];
const REASONS: readonly ResyncReason[] = ["subscribed", "reconnected", "gap", "decode-error", "manual"];

/** Caches with a sync attached: a second one would replace the first's gate. */
const attached = new WeakSet<HydraCache>();

/**
 * Attaches `cache` to a transport: remote invalidations are applied as they arrive, local ones
 * are published (when the transport can publish), every (re)subscription flushes the cache, and
 * stored values are served only while the transport confirmed the stream at most
 * `maxStalenessMs` ago. Throws `INVALID_OPTIONS` for a bad argument, or for a cache that already
 * has a sync attached.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) when `cache` is not a `HydraCache`, for a bad transport or option, or when `cache` already has a sync attached; `ready` rejects `SYNC_NOT_CONFIRMED`.
 *
 * @example
 * import { HydraCache, attachSync, memoryBus } from "hydracache";
 *
 * const bus = memoryBus();
 * const a = HydraCache.local().build();
 * const b = HydraCache.local().build();
 * const syncA = attachSync(a, bus.transport());
 * const syncB = attachSync(b, bus.transport(), { maxStalenessMs: 1_000 });
 * await Promise.all([syncA.ready, syncB.ready]);
 * await a.invalidateTag("users"); // b drops its "users" entries too
 */
export function attachSync(
  cache: HydraCache,
  transport: InvalidationTransport,
  options?: SyncOptions,
): CacheSync {
  engineOf(cache, "attachSync");
  const candidate = transport as Partial<InvalidationTransport> | null;
  if (
    typeof candidate?.start !== "function" ||
    typeof candidate.close !== "function" ||
    (candidate.publish !== undefined && typeof candidate.publish !== "function")
  ) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `attachSync: transport must have start and close functions (and publish, if any), got ${describe(transport)}`,
    );
  }
  const { maxStalenessMs = 3_000, whenUnsynced = "bypass" } = checkOptionsObject(
    options,
    OPTION_KEYS,
    "attachSync",
  );
  checkPositiveMs(maxStalenessMs, "attachSync: maxStalenessMs");
  if (whenUnsynced !== "bypass" && whenUnsynced !== "serve") {
    throw new CacheError(
      "INVALID_OPTIONS",
      `attachSync: whenUnsynced must be "bypass" or "serve", got ${describe(whenUnsynced)}`,
    );
  }
  if (attached.has(cache)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      "attachSync: this cache already has a sync attached; close it first",
    );
  }
  return new Sync(cache, transport, maxStalenessMs, whenUnsynced === "bypass");
}

class Sync implements CacheSync {
  readonly ready: Promise<void>;
  readonly #cache: HydraCache;
  readonly #transport: InvalidationTransport;
  readonly #clock: () => number;
  readonly #maxStalenessMs: number;
  readonly #listeners = new Map<SyncEventName, Set<(event: unknown) => void>>();
  readonly #counts = {
    messages: 0,
    invalidations: 0,
    resyncs: 0,
    decodeErrors: 0,
    confirms: 0,
    published: 0,
  };
  #lastResyncReason: ResyncReason | undefined;
  #state: SyncState = "starting";
  /** The greatest confirmed time: every message published before it has been applied. */
  #horizon = Number.NEGATIVE_INFINITY;
  /** When the gate last closed (clock time), and the closed time accumulated before that. */
  #unsyncedSince: number;
  #unsyncedTotal = 0;
  #closed: Promise<void> | undefined;
  #expiry: ReturnType<typeof setTimeout> | undefined;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;
  #settleReady: ((error?: CacheError) => void) | undefined;
  readonly #unsubscribe: (() => void) | undefined;

  constructor(cache: HydraCache, transport: InvalidationTransport, maxStalenessMs: number, bypass: boolean) {
    this.#cache = cache;
    this.#transport = transport;
    this.#clock = clockOf(cache);
    this.#maxStalenessMs = maxStalenessMs;
    this.#unsyncedSince = this.#clock();
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (error) => {
        this.#settleReady = undefined;
        clearTimeout(this.#readyTimer);
        if (error) reject(error);
        else resolve();
      };
    });
    // `ready` is there to be awaited; a sync nobody awaits must not crash the process when it rejects.
    this.ready.catch(() => {});
    this.#readyTimer = setTimeout(
      () => this.#failReady(`no confirmation from the transport within ${2 * maxStalenessMs} ms`),
      2 * maxStalenessMs,
    );
    attached.add(cache);
    if (bypass) {
      // A load older than F may have read rows whose message was lost: while unsynced, no caller joins it.
      setServeGate(
        cache,
        () => this.#refresh() === "synced",
        () => this.#clock() - maxStalenessMs,
      );
    }
    this.#unsubscribe =
      transport.publish === undefined
        ? undefined
        : cache.subscribe((event) => {
            if (event.origin === "local") this.#publish(event);
          });
    const sink = this.#sink();
    Promise.resolve()
      .then(() => transport.start(sink))
      .catch((error: unknown) => {
        this.#emit("error", error);
        this.#failReady(`the transport failed to start: ${messageOf(error)}`, error);
      });
  }

  get state(): SyncState {
    return this.#refresh();
  }

  stats(): SyncStats {
    const state = this.#refresh();
    const now = this.#clock();
    return {
      ...this.#counts,
      bypassedReads: this.#cache.stats().bypassedReads,
      horizonAgeMs: now - this.#horizon,
      unsyncedMs:
        this.#unsyncedTotal + (state === "starting" || state === "unsynced" ? now - this.#unsyncedSince : 0),
      ...(this.#lastResyncReason === undefined ? {} : { lastResyncReason: this.#lastResyncReason }),
    };
  }

  on(event: "state" | "resync" | "error", listener: (event: unknown) => void): () => void {
    if (!EVENTS.includes(event)) {
      throw new CacheError(
        "INVALID_OPTIONS",
        `CacheSync.on: unknown event ${describe(event)} (known: ${EVENTS.join(", ")})`,
      );
    }
    if (typeof listener !== "function") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `CacheSync.on: listener must be a function, got ${describe(listener)}`,
      );
    }
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const own = (value: unknown) => listener(value);
    set.add(own);
    return () => {
      set.delete(own);
    };
  }

  close(): Promise<void> {
    if (this.#closed === undefined) {
      this.#refresh();
      if (this.#state !== "synced") this.#unsyncedTotal += this.#clock() - this.#unsyncedSince;
      this.#unsyncedSince = Number.POSITIVE_INFINITY;
      clearTimeout(this.#expiry);
      this.#failReady("the sync was closed before the first confirmation");
      setServeGate(this.#cache, undefined);
      this.#unsubscribe?.();
      attached.delete(this.#cache);
      this.#setState("closed");
      this.#closed = Promise.resolve().then(() => this.#transport.close());
    }
    return this.#closed;
  }

  /** What the transport drives. Every method is total: it never throws, and does nothing once closed. */
  #sink(): SyncSink {
    return Object.freeze({
      invalidate: (event: InvalidationEvent) => {
        if (this.#closed) return;
        this.#counts.messages++;
        try {
          if (!isInvalidationEvent(event)) throw new TypeError("not an InvalidationEvent");
          this.#cache.applyInvalidation(event);
          this.#counts.invalidations++;
        } catch {
          // What cannot be applied (not an event, or keys/tags the engine refuses) may have
          // covered anything: forget everything instead.
          this.#counts.decodeErrors++;
          this.#resync("decode-error");
        }
      },
      resync: (reason: ResyncReason) => {
        if (this.#closed) return;
        this.#resync(REASONS.includes(reason) ? reason : "manual");
      },
      confirm: (sentAt: number) => {
        if (this.#closed || typeof sentAt !== "number" || Number.isNaN(sentAt)) return;
        this.#counts.confirms++;
        // A confirmation from the future (a transport bug) must not hold the gate open.
        this.#horizon = Math.max(this.#horizon, Math.min(sentAt, this.#clock()));
        if (this.#refresh() === "synced") {
          this.#settleReady?.();
          this.#watchExpiry();
        }
      },
      now: () => this.#clock(),
    });
  }

  /** Flushes (reported to listeners as remote, so never published) and tells `resync` listeners. */
  #resync(reason: ResyncReason): void {
    this.#counts.resyncs++;
    this.#lastResyncReason = reason;
    this.#cache.applyInvalidation({ all: true });
    this.#emit("resync", { reason });
  }

  #publish(event: InvalidationEvent): void {
    const { keys, tags, all } = event;
    this.#counts.published++;
    Promise.resolve()
      .then(() =>
        this.#transport.publish?.({
          ...(keys === undefined ? {} : { keys }),
          ...(tags === undefined ? {} : { tags }),
          ...(all === undefined ? {} : { all }),
        }),
      )
      .catch((error: unknown) => this.#emit("error", error));
  }

  /** The state as of now, emitting `state` when it changed since last looked at. */
  #refresh(): SyncState {
    if (this.#closed) return this.#state;
    const now = this.#clock();
    const next: SyncState =
      this.#horizon === Number.NEGATIVE_INFINITY
        ? "starting"
        : now - this.#horizon <= this.#maxStalenessMs
          ? "synced"
          : "unsynced";
    if (next !== this.#state) {
      // The gate closed exactly when the horizon got older than F, however late this is noticed.
      if (this.#state === "synced") this.#unsyncedSince = this.#horizon + this.#maxStalenessMs;
      if (next === "synced") this.#unsyncedTotal += Math.max(0, now - this.#unsyncedSince);
      this.#setState(next);
    }
    return next;
  }

  #setState(state: SyncState): void {
    this.#state = state;
    this.#emit("state", state);
  }

  /** Wakes up when the horizon would expire, so `state` listeners hear of it without a read. */
  #watchExpiry(): void {
    if (this.#expiry !== undefined) return;
    const delay = this.#horizon + this.#maxStalenessMs - this.#clock() + 1;
    this.#expiry = setTimeout(() => {
      this.#expiry = undefined;
      if (this.#refresh() === "synced") this.#watchExpiry();
    }, delay);
    unref(this.#expiry);
  }

  #failReady(message: string, cause?: unknown): void {
    this.#settleReady?.(
      new CacheError("SYNC_NOT_CONFIRMED", `attachSync: ${message}`, cause === undefined ? {} : { cause }),
    );
  }

  #emit(event: SyncEventName, value: unknown): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        listener(value);
      } catch (error) {
        if (event !== "error") this.#emit("error", error);
      }
    }
  }
}

/** Lets the process exit while a timer waits, where the runtime can (Node, Bun, Deno's Node compat). */
function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
