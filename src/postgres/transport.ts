import postgres from "postgres";
import { CacheError, describe } from "../core/errors.ts";
import { checkOptionsObject, checkPositiveMs } from "../sync/check.ts";
import type { InvalidationEvent, InvalidationTransport, SyncSink } from "../sync/types.ts";
import {
  checkChannel,
  DEFAULT_CHANNEL,
  decodePayload,
  encodeEvent,
  HEARTBEAT_PREFIX,
  type PostgresClient,
  sendPayloads,
  type TableMessage,
  tableInvalidation,
} from "./messages.ts";

/**
 * Options of {@link postgresTransport}.
 *
 * @example
 * postgresTransport({ listen: process.env.DIRECT_DATABASE_URL, notify: sql, heartbeatIntervalMs: 500 });
 */
export interface PostgresTransportOptions {
  /**
   * Where to LISTEN: a connection URL or postgres.js options. The transport opens its own
   * connection from it (`max: 1`) and recreates it after every failure. Must reach PostgreSQL
   * directly or through a session pooler, never a transaction pooler.
   */
  listen: string | postgres.Options<Record<string, postgres.PostgresType>>;
  /** The postgres.js client heartbeats, published invalidations and queue checks go through (your pool). */
  notify: PostgresClient;
  /**
   * The one channel for data and heartbeats: their order on it is what the staleness bound rests on.
   * @default "hydracache"
   */
  channel?: string;
  /**
   * How often to send a heartbeat (ms).
   * @default 1_000
   */
  heartbeatIntervalMs?: number;
  /**
   * A heartbeat (or a LISTEN) not back within this many ms ends the connection and reconnects,
   * which resyncs. A timer that fired late (an event-loop stall) does not count as a failure.
   * @default 2_000
   */
  heartbeatTimeoutMs?: number;
  /**
   * Reconnect pacing: the n-th consecutive attempt waits `min(maxMs, minMs · 2ⁿ)`, less a random
   * fraction of up to `jitter` of it.
   * @default { minMs: 100, maxMs: 10_000, jitter: 0.5 }
   */
  reconnect?: { minMs?: number; maxMs?: number; jitter?: number };
  /**
   * How often to read `pg_notification_queue_usage()` and emit `queue` (ms).
   * @default 30_000
   */
  queueCheckIntervalMs?: number;
  /**
   * The queue usage (a fraction) from which `queue` events have `level: "warn"`.
   * @default 0.5
   */
  queueWarnAt?: number;
  /**
   * What a trigger message removes.
   * @default the table's `tableTag`: `{ tags: ["table:users"] }`, `{ tags: ["table:auth.posts"] }`
   */
  toInvalidation?: (message: TableMessage) => InvalidationEvent;
  /**
   * Whether local invalidations are published to the other instances (one `pg_notify` each).
   * Turn it off when every write is covered by triggers, to halve notifying transactions.
   * @default true
   */
  publishLocal?: boolean;
}

/**
 * Counters of a {@link PostgresTransport}, from `transport.stats()`.
 *
 * @example
 * const { reconnects, heartbeatRttMs } = transport.stats();
 */
export interface PostgresTransportStats {
  heartbeatsSent: number;
  heartbeatsReceived: number;
  /** Round trips of the latest (up to 256) heartbeats, in ms. */
  heartbeatRttMs: { p50: number; p99: number; max: number };
  /** Connections ended to reconnect (closed, LISTEN failed, or a heartbeat timed out). */
  reconnects: number;
  /** The latest `pg_notification_queue_usage()` read (0 to 1), if any. */
  queueUsage?: number;
  /** The backend process id of the current LISTEN connection, if connected. */
  listenBackendPid?: number;
}

/** Payloads of the events a {@link PostgresTransport} emits. */
export interface PostgresTransportEvents {
  /** A connection was given up; the next attempt comes after `delayMs`. */
  reconnect: { attempt: number; delayMs: number; error: unknown };
  /** A queue usage reading. */
  queue: { usage: number; level: "ok" | "warn" };
  /** A heartbeat or queue check that failed to send (the sync itself reports staleness). */
  error: unknown;
}

/**
 * An {@link InvalidationTransport} over PostgreSQL LISTEN/NOTIFY, with its own events and counters.
 *
 * @example
 * const transport = postgresTransport({ listen: url, notify: sql });
 * transport.on("queue", ({ usage, level }) => level === "warn" && alert(`notify queue ${usage}`));
 */
export interface PostgresTransport extends InvalidationTransport {
  /**
   * Calls `listener` on every `event`; returns the function that removes it.
   *
   * @throws {CacheError} `INVALID_OPTIONS` (thrown) for an unknown event or a non-function listener.
   */
  on<E extends keyof PostgresTransportEvents>(
    event: E,
    listener: (payload: PostgresTransportEvents[E]) => void,
  ): () => void;
  /** A snapshot of the counters. Never throws. */
  stats(): PostgresTransportStats;
}

const OPTION_KEYS = [
  "listen",
  "notify",
  "channel",
  "heartbeatIntervalMs",
  "heartbeatTimeoutMs",
  "reconnect",
  "queueCheckIntervalMs",
  "queueWarnAt",
  "toInvalidation",
  "publishLocal",
] as const;
const RECONNECT_KEYS = ["minMs", "maxMs", "jitter"] as const;
const EVENTS = ["reconnect", "queue", "error"] as const;
const RTT_SAMPLES = 256;
const WHERE = "postgresTransport";

/** A heartbeat on its way: the sink's clock when sent (what a confirm reports) and when, in real time. */
interface Pending {
  readonly sentAt: number;
  readonly sentReal: number;
}

/** One LISTEN connection: the instance that holds it, and whether a heartbeat came back on it yet. */
interface Connection {
  readonly sql: postgres.Sql;
  confirmed: boolean;
}

/**
 * The PostgreSQL transport for `attachSync`: one dedicated LISTEN connection (recreated after any
 * failure, with its own paced, jittered reconnects), heartbeats `hb:<instance>:<seq>` sent through
 * `notify` on the same channel as the trigger messages, a resync on every (re-)LISTEN, and a
 * periodic check of the server's notification queue. Bad options throw `INVALID_OPTIONS`.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for bad options; the transport's `start` rejects `INVALID_OPTIONS` when called twice or after `close` (a failed connection is retried, not rejected).
 *
 * @example
 * import postgres from "postgres";
 * import { HydraCache, attachSync } from "hydracache";
 * import { postgresTransport } from "hydracache/postgres";
 *
 * const sql = postgres(process.env.DATABASE_URL);
 * const cache = HydraCache.local().build();
 * const sync = attachSync(cache, postgresTransport({ listen: process.env.DATABASE_URL, notify: sql }));
 * await sync.ready;
 */
export function postgresTransport(options: PostgresTransportOptions): PostgresTransport {
  const {
    listen,
    notify,
    channel = DEFAULT_CHANNEL,
    heartbeatIntervalMs = 1_000,
    heartbeatTimeoutMs = 2_000,
    reconnect = {},
    queueCheckIntervalMs = 30_000,
    queueWarnAt = 0.5,
    toInvalidation = tableInvalidation,
    publishLocal = true,
  } = checkOptionsObject(options, OPTION_KEYS, WHERE);
  if (typeof listen !== "string" && (typeof listen !== "object" || listen === null)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${WHERE}: listen must be a connection URL or postgres.js options, got ${describe(listen)}`,
    );
  }
  if (typeof notify !== "function" || typeof (notify as { unsafe?: unknown }).unsafe !== "function") {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${WHERE}: notify must be a postgres.js client, got ${describe(notify)}`,
    );
  }
  checkChannel(channel, WHERE);
  checkPositiveMs(heartbeatIntervalMs, `${WHERE}: heartbeatIntervalMs`);
  checkPositiveMs(heartbeatTimeoutMs, `${WHERE}: heartbeatTimeoutMs`);
  checkPositiveMs(queueCheckIntervalMs, `${WHERE}: queueCheckIntervalMs`);
  const {
    minMs = 100,
    maxMs = 10_000,
    jitter = 0.5,
  } = checkOptionsObject(reconnect, RECONNECT_KEYS, `${WHERE}: reconnect`);
  checkPositiveMs(minMs, `${WHERE}: reconnect.minMs`);
  checkPositiveMs(maxMs, `${WHERE}: reconnect.maxMs`);
  if (maxMs < minMs) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${WHERE}: reconnect.maxMs (${maxMs}) is below reconnect.minMs (${minMs})`,
    );
  }
  checkFraction(jitter, `${WHERE}: reconnect.jitter`);
  checkFraction(queueWarnAt, `${WHERE}: queueWarnAt`);
  if (typeof toInvalidation !== "function") {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${WHERE}: toInvalidation must be a function, got ${describe(toInvalidation)}`,
    );
  }
  if (typeof publishLocal !== "boolean") {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${WHERE}: publishLocal must be a boolean, got ${describe(publishLocal)}`,
    );
  }

  const instance = Math.random().toString(36).slice(2, 12);
  const listeners = new Map<string, Set<(payload: never) => void>>();
  const pending = new Map<number, Pending>();
  const rtts: number[] = [];
  const counts = { heartbeatsSent: 0, heartbeatsReceived: 0, reconnects: 0 };
  let queueUsage: number | undefined;
  let backendPid: number | undefined;
  let sink: SyncSink | undefined;
  let current: Connection | undefined;
  let subscribedBefore = false;
  let failures = 0;
  let seq = 0;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  let queueTimer: ReturnType<typeof setTimeout> | undefined;

  const emit = <E extends keyof PostgresTransportEvents>(event: E, payload: PostgresTransportEvents[E]) => {
    for (const listener of listeners.get(event) ?? []) {
      try {
        (listener as (payload: PostgresTransportEvents[E]) => void)(payload);
      } catch {
        // A listener's own failure is its business; it must not stop the transport.
      }
    }
  };

  /** Opens a LISTEN connection; on success resyncs and sends a heartbeat at once. */
  const connect = async (): Promise<void> => {
    retryTimer = undefined;
    const settings = listenSettings(
      listen,
      heartbeatTimeoutMs,
      () => lost(connection, "the LISTEN connection closed"),
      (_, payload) => receive(connection, payload),
    );
    const sql = typeof listen === "string" ? postgres(listen, settings) : postgres(settings);
    const connection: Connection = { sql, confirmed: false };
    current = connection;
    pending.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const result = await Promise.race([
        sql`listen ${sql(channel)}`,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`LISTEN not acknowledged within ${heartbeatTimeoutMs} ms`)),
            heartbeatTimeoutMs,
          );
        }),
      ]);
      if (current !== connection) return;
      backendPid = (result as unknown as { state?: { pid?: number } }).state?.pid;
      sink?.resync(subscribedBefore ? "reconnected" : "subscribed");
      subscribedBefore = true;
      sendHeartbeat();
    } catch (error) {
      lost(connection, error);
    } finally {
      clearTimeout(timer);
    }
  };

  /** Gives up `connection` (if still current) and schedules the next attempt. */
  const lost = (connection: Connection, error: unknown) => {
    if (closed || current !== connection) return;
    current = undefined;
    backendPid = undefined;
    pending.clear();
    connection.sql.end({ timeout: 0 }).catch(() => {});
    counts.reconnects++;
    const base = Math.min(maxMs, minMs * 2 ** failures);
    const delayMs = Math.round(base * (1 - jitter * Math.random()));
    failures++;
    emit("reconnect", {
      attempt: failures,
      delayMs,
      error: typeof error === "string" ? new Error(error) : error,
    });
    retryTimer = setTimeout(connect, delayMs);
  };

  const receive = (connection: Connection, payload: string) => {
    if (current !== connection || sink === undefined) return;
    const message = decodePayload(payload);
    switch (message.kind) {
      case "heartbeat": {
        const sent = message.instance === instance ? pending.get(message.seq) : undefined;
        if (sent === undefined) return;
        for (const seqSent of pending.keys()) if (seqSent <= message.seq) pending.delete(seqSent);
        counts.heartbeatsReceived++;
        rtts.push(performance.now() - sent.sentReal);
        if (rtts.length > RTT_SAMPLES) rtts.shift();
        if (!connection.confirmed) {
          connection.confirmed = true;
          failures = 0;
        }
        sink.confirm(sent.sentAt);
        return;
      }
      case "table": {
        let event: InvalidationEvent | undefined;
        try {
          event = toInvalidation(message.message);
        } catch (error) {
          emit("error", error);
        }
        // The sink resyncs on anything that is not an event, and counts it as a decode error.
        sink.invalidate(event as InvalidationEvent);
        return;
      }
      case "event":
        if (message.origin !== instance) sink.invalidate(message.event);
        return;
      case "flush":
        if (message.origin !== instance) sink.resync("manual");
        return;
      default:
        sink.invalidate(payload as unknown as InvalidationEvent);
    }
  };

  const sendHeartbeat = () => {
    if (sink === undefined) return;
    seq++;
    pending.set(seq, { sentAt: sink.now(), sentReal: performance.now() });
    counts.heartbeatsSent++;
    sendPayloads(notify, channel, [`${HEARTBEAT_PREFIX}${instance}:${seq}`]).catch((error: unknown) =>
      emit("error", error),
    );
  };

  /** Every interval: end the connection if its oldest heartbeat is overdue, else send the next. */
  const tick = (expected: number) => {
    const now = performance.now();
    // A tick this late means the event loop stalled: an overdue heartbeat may be waiting unread.
    const stalled = now - expected > heartbeatIntervalMs;
    const oldest = pending.values().next().value;
    if (
      current !== undefined &&
      !stalled &&
      oldest !== undefined &&
      now - oldest.sentReal > heartbeatTimeoutMs
    ) {
      lost(current, `heartbeat not back within ${heartbeatTimeoutMs} ms`);
    } else if (current !== undefined) {
      sendHeartbeat();
    }
    heartbeatTimer = setTimeout(tick, heartbeatIntervalMs, now + heartbeatIntervalMs);
  };

  const checkQueue = async () => {
    try {
      const [row] = await notify`select pg_notification_queue_usage() as usage`;
      queueUsage = Number(row?.usage);
      emit("queue", { usage: queueUsage, level: queueUsage >= queueWarnAt ? "warn" : "ok" });
    } catch (error) {
      emit("error", error);
    }
    if (!closed) queueTimer = setTimeout(checkQueue, queueCheckIntervalMs);
  };

  const transport: PostgresTransport = {
    async start(given) {
      if (sink !== undefined || closed) {
        throw new CacheError("INVALID_OPTIONS", `${WHERE}: a transport starts only once`);
      }
      sink = given;
      heartbeatTimer = setTimeout(tick, heartbeatIntervalMs, performance.now() + heartbeatIntervalMs);
      queueTimer = setTimeout(checkQueue, queueCheckIntervalMs);
      await connect();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(heartbeatTimer);
      clearTimeout(queueTimer);
      const connection = current;
      current = undefined;
      await connection?.sql.end({ timeout: 0 });
    },
    on(event, listener) {
      if (!EVENTS.includes(event)) {
        throw new CacheError(
          "INVALID_OPTIONS",
          `${WHERE}: unknown event ${describe(event)} (known: ${EVENTS.join(", ")})`,
        );
      }
      if (typeof listener !== "function") {
        throw new CacheError(
          "INVALID_OPTIONS",
          `${WHERE}: listener must be a function, got ${describe(listener)}`,
        );
      }
      let set = listeners.get(event);
      if (set === undefined) {
        set = new Set();
        listeners.set(event, set);
      }
      const own = listener as (payload: never) => void;
      set.add(own);
      return () => {
        set.delete(own);
      };
    },
    stats() {
      const sorted = [...rtts].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return {
        ...counts,
        heartbeatRttMs: { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 },
        ...(queueUsage === undefined ? {} : { queueUsage }),
        ...(backendPid === undefined ? {} : { listenBackendPid: backendPid }),
      };
    },
  };
  if (publishLocal) {
    transport.publish = (event) => sendPayloads(notify, channel, encodeEvent(event, instance));
  }
  return transport;
}

/**
 * The `postgres()` options of one LISTEN connection: the caller's settings, one connection
 * that never idles out or ages out, and hooks for its close and its notifications (postgres.js's
 * own `listen()` would reconnect behind our back, with its own pacing, and hide the close).
 */
function listenSettings(
  listen: PostgresTransportOptions["listen"],
  heartbeatTimeoutMs: number,
  onclose: () => void,
  onnotify: (channel: string, payload: string) => void,
): postgres.Options<Record<string, postgres.PostgresType>> {
  const given = typeof listen === "string" ? {} : listen;
  return {
    connect_timeout: Math.max(1, Math.ceil(heartbeatTimeoutMs / 1000)),
    onnotice: () => {},
    ...given,
    max: 1,
    idle_timeout: 0,
    max_lifetime: 0,
    fetch_types: false,
    onclose,
    // Not in postgres.js's types, but the option its own listen() is built on (3.x).
    onnotify,
  } as postgres.Options<Record<string, postgres.PostgresType>>;
}

function checkFraction(value: unknown, option: string): void {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new CacheError("INVALID_OPTIONS", `${option} must be a number from 0 to 1, got ${describe(value)}`);
  }
}
