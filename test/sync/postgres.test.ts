// The PostgreSQL transport under injected faults, on loopback: G1 (bounded staleness) through a
// killed listener backend, a dropped and a black-holed TCP path, refused connections, an
// event-loop stall and a restart-like disconnect of every connection, with the channel fuzzed
// (G5); G4 (a write in the gap is never served after the resync); G7 (recovery within
// reconnect.maxMs + a heartbeat); and `ready` when heartbeats never come back.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { sql as drizzleSql, eq } from "drizzle-orm";
import { integer, pgSchema } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HydraDrizzleCache, withHydraCache } from "../../src/drizzle/index.ts";
import { attachSync, type CacheSync, HydraCache } from "../../src/index.ts";
import {
  installSyncTriggers,
  notifyFlush,
  type PostgresTransport,
  type PostgresTransportOptions,
  postgresTransport,
} from "../../src/postgres/index.ts";
import { gate, rejectsWith, sleep, waitFor } from "../core/helpers.ts";
import { type FaultProxy, faultProxy, openSyncDatabase, uniqueName } from "./pg.ts";

const database = await openSyncDatabase("sync/postgres");

if (database) {
  const { admin } = database;
  // One name for the channel and for every connection these tests open (so a restart-like fault
  // terminates only them, never another test file's connections).
  const app = uniqueName("hc_sync_pg");
  const channel = app;
  const schema = uniqueName("sync_pg");
  const tag = `table:${schema}.versions`;
  const withApp = (url: string) => {
    const parsed = new URL(url);
    parsed.searchParams.set("application_name", app);
    return parsed.toString();
  };
  await admin.unsafe(`
    create schema ${schema};
    create table ${schema}.versions (id int primary key, version int not null);
    insert into ${schema}.versions values (1, 0);`);
  await installSyncTriggers(admin, { tables: [`${schema}.versions`], channel });

  const cleanups: Array<() => Promise<unknown>> = [];
  const pool = (max = 2) => {
    const sql = postgres(withApp(database.url), { max, onnotice: () => {}, fetch_types: false });
    cleanups.push(() => sql.end({ timeout: 1 }));
    return sql;
  };
  const proxy = async () => {
    const started = await faultProxy(database);
    cleanups.push(() => started.close());
    return started;
  };

  /** One service instance: its own pool, cache (on a monotonic clock) and transport. */
  const instance = (
    maxStalenessMs: number,
    transportOptions: Partial<PostgresTransportOptions> & { via?: FaultProxy } = {},
  ) => {
    const { via, ...rest } = transportOptions;
    const sql = pool();
    const cache = HydraCache.local()
      .clock(() => performance.now())
      .build();
    const transport: PostgresTransport = postgresTransport({
      listen: withApp(via ? database.via(via.port) : database.url),
      notify: sql,
      channel,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 300,
      reconnect: { minMs: 50, maxMs: 500 },
      ...rest,
    });
    const sync: CacheSync = attachSync(cache, transport, { maxStalenessMs });
    cleanups.push(() => sync.close());
    const load = async () => {
      const [row] = await sql`select version from ${sql(schema)}.versions where id = 1`;
      return row?.version as number;
    };
    return { sql, cache, transport, sync, read: () => cache.getOrLoad("row", { tags: [tag] }, load) };
  };

  const setVersion = async (sql: postgres.Sql) => {
    const [row] =
      await sql`update ${sql(schema)}.versions set version = version + 1 where id = 1 returning version`;
    return row?.version as number;
  };

  test.after.each(async () => {
    for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) await cleanup();
  });
  test.after(async () => {
    await admin.unsafe(`drop schema ${schema} cascade`);
    await database.close();
  });

  test("G1 bounded staleness under faults, with the channel fuzzed (G5)", async () => {
    const F = 600;
    const EPSILON = 50;
    const proxies = [await proxy(), await proxy()] as const;
    const instances = [instance(F, { via: proxies[0] }), instance(F, { via: proxies[1] })] as const;
    await Promise.all(instances.map(({ sync }) => sync.ready));
    const writer = pool();
    const fuzzer = pool(1);

    // Commit acks by version, on the same monotonic clock as the caches.
    const acks = new Map<number, number>();
    const reads = instances.map(() => [] as Array<{ at: number; version: number }>);
    let running = true;
    let errors = 0;
    const writing = (async () => {
      while (running) {
        const version = await setVersion(writer).catch(() => undefined);
        if (version !== undefined) acks.set(version, performance.now());
        await sleep(20);
      }
    })();
    const reading = instances.map(async ({ read }, index) => {
      while (running) {
        const at = performance.now();
        const version = await read().catch(() => {
          errors++;
          return undefined;
        });
        if (version !== undefined) reads[index]?.push({ at, version });
        await sleep(4);
      }
    });

    // Duplicates and spoofs are valid (at most extra misses); malformed payloads each cause a resync.
    const valid = [
      JSON.stringify({ v: 1, s: schema, t: "versions" }),
      JSON.stringify({ v: 1, s: "public", t: "spoofed" }),
      JSON.stringify({ v: 1, tags: ["unrelated"], keys: ["nothing"] }),
      "hb:someone-else:7",
    ];
    const malformed = [
      "not json",
      "",
      "[1,2]",
      '{"v":2,"s":"a","t":"b"}',
      '{"v":1,"s":1,"t":2}',
      "hb:spoof:x",
      "null",
    ];
    const [a, b] = instances;
    const [proxyA, proxyB] = proxies;
    let seed = 0x5eed;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    /** Sends random payloads for `ms`; returns how many malformed ones were sent. */
    const fuzz = async (ms: number, withMalformed: boolean) => {
      let malformedSent = 0;
      const until = performance.now() + ms;
      while (performance.now() < until) {
        const pool = withMalformed && random() < 0.5 ? malformed : valid;
        const payload = pool[Math.floor(random() * pool.length)] as string;
        // Faults may end this connection too (only while no malformed payload is sent).
        const sent = await fuzzer`select pg_notify(${channel}, ${payload})`.then(
          () => true,
          () => false,
        );
        if (sent && pool === malformed) malformedSent++;
        await sleep(30);
      }
      return malformedSent;
    };
    /**
     * G5, exactly: fuzzes malformed payloads while both listeners stay connected, then waits for a
     * heartbeat sent after the last one: each instance counted each malformed payload once. A
     * phase cut by a reconnect (a loaded machine) proves nothing, and is run again.
     */
    const quietFuzz = async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        await bothSynced();
        const before = instances.map(({ transport, sync }) => [
          transport.stats().reconnects,
          sync.stats().decodeErrors,
        ]);
        const sent = await fuzz(500, true);
        const mark = performance.now();
        await waitFor("a heartbeat sent after the fuzz", () =>
          instances.every(({ sync }) => sync.stats().horizonAgeMs < performance.now() - mark),
        );
        if (instances.some(({ transport }, index) => transport.stats().reconnects !== before[index]?.[0]))
          continue;
        for (const [index, { sync }] of instances.entries()) {
          assert.is(
            sync.stats().decodeErrors - (before[index]?.[1] ?? 0),
            sent,
            "G5: one decode error per malformed payload",
          );
        }
        return sent;
      }
      throw new Error("three fuzz phases in a row were cut by reconnects");
    };
    const bothSynced = () =>
      waitFor("both instances synced", () => a.sync.state === "synced" && b.sync.state === "synced");

    let malformedDecoded = await quietFuzz();
    const faults = fuzz(6_600, false);
    await sleep(200);
    await admin`select pg_terminate_backend(${a.transport.stats().listenBackendPid ?? 0})`;
    await sleep(800);
    proxyB.drop();
    await sleep(800);
    proxyA.set("blackhole");
    await sleep(1_500);
    proxyA.set("pass");
    await sleep(500);
    proxyB.set("refuse");
    proxyB.drop();
    await sleep(1_200);
    proxyB.set("pass");
    await sleep(600);
    const stallUntil = performance.now() + 900;
    while (performance.now() < stallUntil) {
      // The event loop is stalled: no timer, no socket read, nothing.
    }
    await sleep(600);
    await admin`
      select pg_terminate_backend(pid) from pg_stat_activity
       where application_name = ${app} and pid <> pg_backend_pid()`;
    await faults;
    malformedDecoded += await quietFuzz();
    running = false;
    await Promise.all([writing, ...reading]);
    // A heartbeat late on a loaded host ends a connection (by design); both must come back.
    await bothSynced();

    for (const [index, { sync, transport }] of instances.entries()) {
      const versions = [...acks.keys()].sort((x, y) => x - y);
      let worst = Number.NEGATIVE_INFINITY;
      for (const { at, version } of reads[index] ?? []) {
        // The first acknowledged write this value does not reflect.
        const newer = versions.find((acked) => acked > version);
        const ack = newer === undefined ? undefined : acks.get(newer);
        if (ack !== undefined) worst = Math.max(worst, at - ack);
      }
      const stats = sync.stats();
      console.log(
        `  [G1] instance ${index}: ${reads[index]?.length} reads, max staleness ${worst.toFixed(1)} ms (F = ${F}), ` +
          `${stats.bypassedReads} bypassed, ${stats.resyncs} resyncs, ${transport.stats().reconnects} reconnects, ` +
          `${malformedDecoded} malformed payloads decoded, ${acks.size} commits, ${errors} read errors`,
      );
      assert.ok(
        worst <= F + EPSILON,
        `instance ${index} served a value ${worst.toFixed(1)} ms after a newer commit's ack`,
      );
      assert.ok((reads[index]?.length ?? 0) > 300, "the readers kept reading");
      assert.ok(stats.bypassedReads > 0, "the gate closed at least once");
      assert.ok(transport.stats().reconnects >= 2, "the faults forced reconnects");
      assert.is(sync.state, "synced");
    }
    assert.ok(acks.size > 100, "the writer kept writing");
    assert.ok(malformedDecoded > 0, "malformed payloads were sent");
  });

  test("G4 resync: a write committed while the listener was away is never served once resynced; a straddling load is not stored", async () => {
    const { cache, sync, transport, read, sql } = instance(10_000, {
      reconnect: { minMs: 300, maxMs: 300, jitter: 0 },
    });
    await sync.ready;
    const before = await read();
    assert.is(await cache.get("row"), before);
    const straddling = gate<string>();
    const load = cache.getOrLoad("slow", { tags: ["other"] }, () => straddling.promise);
    const invalidations = sync.stats().invalidations;
    const resynced = new Promise((resolve) => sync.on("resync", resolve));
    await admin`select pg_terminate_backend(${transport.stats().listenBackendPid ?? 0})`;
    const written = await setVersion(sql);
    assert.is(sync.state, "synced", "F is long: only the resync can protect the reader");
    assert.equal(await resynced, { reason: "reconnected" });
    assert.is(sync.stats().invalidations, invalidations, "the write's message was lost in the gap");
    straddling.open("old");
    assert.is(await load, "old");
    assert.is(await cache.get("slow"), undefined);
    await waitFor("synced", () => sync.stats().horizonAgeMs < 200);
    assert.is(await read(), written);
  });

  test("G6: a write through Drizzle on one instance is read by the other instance's cached Drizzle select within F", async () => {
    const F = 1_000;
    const versions = pgSchema(schema).table("versions", {
      id: integer("id").primaryKey(),
      version: integer("version"),
    });
    const [a, b] = [instance(F), instance(F)];
    await Promise.all([a.sync.ready, b.sync.ready]);
    const [dbA, dbB] = [a, b].map(({ sql, cache }) =>
      withHydraCache(drizzle(sql, { cache: new HydraDrizzleCache(cache, { strategy: "all" }) })),
    ) as [ReturnType<typeof drizzle>, ReturnType<typeof drizzle>];
    const select = (db: ReturnType<typeof drizzle>) =>
      db.select({ version: versions.version }).from(versions).where(eq(versions.id, 1));
    const [before] = await select(dbB);
    assert.equal(await select(dbB), [before], "B serves its cached result");
    assert.ok(b.cache.stats().hits > 0);
    const applied = b.sync.stats().invalidations;
    await dbA
      .update(versions)
      .set({ version: drizzleSql`${versions.version} + 1` })
      .where(eq(versions.id, 1));
    const written = (before?.version ?? 0) + 1;
    assert.equal(await select(dbA), [{ version: written }], "A reads its own write at once");
    const start = performance.now();
    await waitFor("B to apply the write's message", () => b.sync.stats().invalidations > applied, F);
    assert.equal(await select(dbB), [{ version: written }]);
    console.log(
      `  [G6] B dropped its cached select ${(performance.now() - start).toFixed(1)} ms after A's write returned`,
    );
  });

  test("G7 recovery: synced again within reconnect.maxMs + a heartbeat once connections are accepted; attempts are paced", async () => {
    const via = await proxy();
    let attempts = 0;
    const maxMs = 800;
    const { sync, transport } = instance(300, { via, reconnect: { minMs: 50, maxMs } });
    transport.on("reconnect", () => attempts++);
    await sync.ready;
    via.set("refuse");
    via.drop();
    await waitFor("unsynced", () => sync.state === "unsynced");
    await sleep(2_500);
    assert.ok(attempts <= 15, `${attempts} attempts in 2.8 s: the transport paces its reconnects`);
    const synced = new Promise<number>((resolve) =>
      sync.on("state", (state) => state === "synced" && resolve(performance.now())),
    );
    // What the machine made timers late by (a loaded CI host) is added to the bound, once for the
    // reconnect timer and once for the heartbeat's.
    const lateness = monitorEventLoopDelay({ resolution: 5 });
    lateness.enable();
    const back = performance.now();
    via.set("pass");
    const took = (await synced) - back;
    lateness.disable();
    const lateMs = lateness.max / 1e6;
    console.log(
      `  [G7] synced ${took.toFixed(0)} ms after connections were accepted again (${attempts} attempts, ` +
        `timers up to ${lateMs.toFixed(0)} ms late)`,
    );
    assert.ok(
      took <= maxMs + 100 + 200 + 2 * lateMs,
      `synced ${took.toFixed(0)} ms after recovery (timers up to ${lateMs.toFixed(0)} ms late)`,
    );
  });

  test("ready: a LISTEN that never hears its own heartbeats (as behind a transaction pooler) rejects SYNC_NOT_CONFIRMED", async () => {
    const elsewhere = new URL(database.url);
    elsewhere.pathname = "/postgres";
    const notify = postgres(withApp(elsewhere.toString()), {
      max: 1,
      onnotice: () => {},
      fetch_types: false,
    });
    cleanups.push(() => notify.end({ timeout: 1 }));
    const { sync, transport } = instance(150, { notify });
    await rejectsWith(sync.ready, "SYNC_NOT_CONFIRMED", /no confirmation from the transport within 300 ms/);
    assert.ok(transport.stats().heartbeatsSent > 0);
    assert.is(transport.stats().heartbeatsReceived, 0);
    assert.is(sync.state, "starting");
  });

  test("queue: the transport reads pg_notification_queue_usage() and reports it; a failed read is an error event", async () => {
    // Heartbeats far apart: the only query after the pool ends is the queue check.
    const { sync, transport, sql } = instance(1_000, {
      queueCheckIntervalMs: 50,
      queueWarnAt: 0,
      heartbeatIntervalMs: 60_000,
      heartbeatTimeoutMs: 60_000,
    });
    const reading = new Promise((resolve) => transport.on("queue", resolve));
    await sync.ready;
    const { usage, level } = (await reading) as { usage: number; level: string };
    assert.ok(usage >= 0 && usage < 1, `usage ${usage}`);
    assert.is(level, "warn", "queueWarnAt 0: every reading warns");
    assert.is(transport.stats().queueUsage, usage);
    const failed = new Promise((resolve) => transport.on("error", resolve));
    await sql.end();
    assert.match(String(await failed), /CONNECTION_ENDED/);
  });

  test("publish: local invalidations reach the other instance once, never echo; notifyFlush resyncs both", async () => {
    const a = instance(1_000);
    const b = instance(1_000);
    await Promise.all([a.sync.ready, b.sync.ready]);
    const received = new Promise((resolve) =>
      b.cache.subscribe((event) => event.origin === "remote" && resolve(event)),
    );
    await b.cache.getOrLoad("user:1", { tags: ["users"] }, () => "Ada");
    await a.cache.invalidateTag("users");
    assert.equal(await received, { type: "invalidate", tags: ["users"], origin: "remote" });
    assert.is(await b.cache.get("user:1"), undefined);
    const aResynced = new Promise((resolve) => a.sync.on("resync", resolve));
    const bResynced = new Promise((resolve) => b.sync.on("resync", resolve));
    await notifyFlush(admin, { channel });
    assert.equal(await Promise.all([aResynced, bResynced]), [{ reason: "manual" }, { reason: "manual" }]);
    const flushed = performance.now();
    await waitFor(
      "a's heartbeat sent after the flush",
      () => a.sync.stats().horizonAgeMs < performance.now() - flushed,
    );
    assert.is(a.sync.stats().messages, 0, "A never received its own invalidation back");
    assert.is(a.sync.stats().published, 1);
  });

  test("toInvalidation: a mapping that throws is an error event and a resync; a throwing event listener stops nothing", async () => {
    const { sync, transport, sql } = instance(1_000, {
      toInvalidation: () => {
        throw new Error("no mapping");
      },
    });
    const errors: unknown[] = [];
    transport.on("error", (error) => errors.push(error));
    transport.on("error", () => {
      throw new Error("listener failed");
    });
    await sync.ready;
    const resynced = new Promise((resolve) => sync.on("resync", resolve));
    await setVersion(sql);
    assert.equal(await resynced, { reason: "decode-error" });
    assert.equal(
      errors.map((error) => (error as Error).message),
      ["no mapping"],
    );
    assert.is(sync.stats().decodeErrors, 1);
  });
}

test.run();
