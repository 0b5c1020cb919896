// Type tests for the published sync declarations: attachSync and memoryBus in "hydracache", the
// PostgreSQL transport and helpers in "hydracache/postgres" (run `node build.mjs` first).
import {
  attachSync,
  type CacheSync,
  HydraCache,
  type InvalidationTransport,
  memoryBus,
  type SyncResyncEvent,
  type SyncState,
  type SyncStats,
} from "hydracache";
import {
  installSyncTriggers,
  notifyFlush,
  notifyInvalidation,
  type PostgresTransport,
  postgresTransport,
  syncTriggersSql,
  verifySyncTriggers,
} from "hydracache/postgres";
import postgres from "postgres";

const cache = HydraCache.local().build();
const sync: CacheSync = attachSync(cache, memoryBus().transport(), { maxStalenessMs: 1_000 });
const ready: Promise<void> = sync.ready;
const state: SyncState = sync.state;
const stats: SyncStats = sync.stats();
const horizonAgeMs: number = stats.horizonAgeMs;
const off: () => void = sync.on("resync", (event) => (event as SyncResyncEvent).reason);
// @ts-expect-error whenUnsynced is "bypass" or "serve"
attachSync(cache, memoryBus().transport(), { whenUnsynced: "fail" });
// @ts-expect-error an unknown event name
sync.on("closed", () => {});

const own: InvalidationTransport = {
  async start(sink) {
    sink.resync("subscribed");
    sink.confirm(sink.now());
    // @ts-expect-error a resync reason is one of the five
    sink.resync("because");
  },
  async close() {},
};

const sql = postgres("postgres://localhost/app");
const transport: PostgresTransport = postgresTransport({ listen: "postgres://localhost/app", notify: sql });
transport.on("queue", ({ usage, level }) => {
  const fraction: number = usage;
  const warned: "ok" | "warn" = level;
  return [fraction, warned];
});
const rtt: number = transport.stats().heartbeatRttMs.p99;
// @ts-expect-error listen is required
postgresTransport({ notify: sql });

await sql.begin((tx) => notifyInvalidation(tx, { keys: ["user:1"], tags: ["table:users"] }));
// @ts-expect-error an event has keys, tags or all
await notifyInvalidation(sql, { tag: "users" });
await notifyFlush(sql, { channel: "hydracache" });
await installSyncTriggers(sql, { tables: ["users", "auth.posts"] });
const text: string = syncTriggersSql({ tables: ["users"] });
const missing: string[] = await verifySyncTriggers(sql, { schemas: ["public"] });

export { horizonAgeMs, missing, off, own, ready, rtt, state, text };
