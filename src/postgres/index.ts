/**
 * @module hydracache/postgres — cross-instance invalidation over PostgreSQL LISTEN/NOTIFY, for
 * `attachSync`: a transport with heartbeats and resyncs, triggers that notify every write, and
 * helpers to notify from your own transactions. Needs the `postgres` (postgres.js ≥ 3.4) package.
 *
 * @example
 * import postgres from "postgres";
 * import { HydraCache, attachSync } from "hydracache";
 * import { installSyncTriggers, postgresTransport } from "hydracache/postgres";
 *
 * const sql = postgres(process.env.DATABASE_URL);
 * await installSyncTriggers(sql, { tables: ["users", "auth.posts"] });
 * const cache = HydraCache.local().build();
 * const sync = attachSync(cache, postgresTransport({ listen: process.env.DATABASE_URL, notify: sql }));
 * await sync.ready;
 */
export {
  notifyFlush,
  notifyInvalidation,
  type PostgresClient,
  type TableMessage,
  tableInvalidation,
} from "./messages.ts";
export {
  type PostgresTransport,
  type PostgresTransportEvents,
  type PostgresTransportOptions,
  type PostgresTransportStats,
  postgresTransport,
} from "./transport.ts";
export {
  installSyncTriggers,
  type SyncTriggerOptions,
  syncTriggersSql,
  uninstallSyncTriggers,
  verifySyncTriggers,
} from "./triggers.ts";
