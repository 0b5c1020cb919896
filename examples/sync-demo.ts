// Cross-instance invalidation on one PostgreSQL: two service instances (two caches, each with its
// own pool and its own LISTEN connection) and a third, raw SQL connection, as psql would be. A
// write through any of them reaches every cache within F; the demo measures commit → invalidation
// latency, then kills an instance's listener backend and shows the resync.
//
//   npm run demo:sync                                                         # 127.0.0.1:5432
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run demo:sync    # any server
import postgres from "postgres";
import { attachSync, type CacheEvent, HydraCache } from "../src/index.ts";
import { installSyncTriggers, postgresTransport, uninstallSyncTriggers } from "../src/postgres/index.ts";

const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const F = 1_000;
const SAMPLES = 200;
const name = `hc_demo_${process.pid}`;
const tag = `table:${name}.users`;
const say = (line: string) => console.log(line);
const quiet = { onnotice: () => {}, max: 2 } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

say(`connecting to ${url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@")} …`);
const admin = postgres(url, quiet);
const [server] = await admin`
  select current_setting('server_version') as version, to_regnamespace('hydracache_sync') is null as fresh`.catch(
  async (error: Error) => {
    say(`  no PostgreSQL there (${error.message}): start one, or set DATABASE_URL`);
    await admin.end({ timeout: 0 });
    process.exit(1);
  },
);
say(`  PostgreSQL ${server?.version}`);
await admin.unsafe(`
  create schema ${name};
  create table ${name}.users (id int primary key, name text not null);
  insert into ${name}.users values (1, 'Ada');`);
await installSyncTriggers(admin, { tables: [`${name}.users`], channel: name });
say(`  table ${name}.users with a sync trigger on channel "${name}"`);

/** A service instance: its own pool, cache and LISTEN connection; records when its tag is invalidated remotely. */
async function instance(label: string) {
  const sql = postgres(url, quiet);
  const cache = HydraCache.local().build();
  const transport = postgresTransport({
    listen: url,
    notify: sql,
    channel: name,
    heartbeatIntervalMs: 250,
    heartbeatTimeoutMs: 750,
  });
  const sync = attachSync(cache, transport, { maxStalenessMs: F });
  let invalidated: (at: number) => void = () => {};
  cache.subscribe((event: CacheEvent) => {
    if (event.origin === "remote" && event.tags?.includes(tag)) invalidated(performance.now());
  });
  const started = performance.now();
  await sync.ready;
  say(
    `  instance ${label}: LISTEN connected and first heartbeat back in ${(performance.now() - started).toFixed(0)} ms`,
  );
  return {
    sql,
    cache,
    sync,
    transport,
    /** Resolves with the time this instance drops the users tag next. */
    nextInvalidation: () => new Promise<number>((resolve) => (invalidated = resolve)),
    read: () =>
      cache.getOrLoad("user:1", { tags: [tag] }, async () => {
        const [row] = await sql`select name from ${sql(name)}.users where id = 1`;
        return row?.name as string;
      }),
  };
}

say("starting two instances …");
const a = await instance("A");
const b = await instance("B");
const raw = postgres(url, { ...quiet, max: 1 });

/** Commit → invalidation latency at `on`, for `SAMPLES` writes through `writer`. */
async function measure(writer: postgres.Sql, on: Awaited<ReturnType<typeof instance>>[]) {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await Promise.all(on.map((node) => node.read()));
    const seen = on.map((node) => node.nextInvalidation());
    await writer`update ${writer(name)}.users set name = ${`Ada ${i}`} where id = 1`;
    const acked = performance.now();
    for (const at of await Promise.all(seen)) samples.push(at - acked);
  }
  samples.sort((x, y) => x - y);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;
  return [samples.length, at(0.5), at(0.99), samples.at(-1) ?? 0];
}

say(`measuring ${SAMPLES} writes per path …`);
const rows: Array<[string, ...number[]]> = [
  ["A's pool → B invalidated", ...(await measure(a.sql, [b]))],
  ["raw SQL (3rd conn.) → A and B", ...(await measure(raw, [a, b]))],
];
await raw`update ${raw(name)}.users set name = 'Grace' where id = 1`;
await sleep(50);
say(`  B reads "${await b.read()}" and A reads "${await a.read()}" after a raw SQL update to "Grace"`);

say("");
say("commit → remote invalidation (ms; negative = seen before the writer got its commit ack)");
say(
  `${"path".padEnd(32)}${"samples".padStart(8)}${"p50".padStart(9)}${"p99".padStart(9)}${"max".padStart(9)}`,
);
for (const [path, count, ...figures] of rows) {
  say(
    `${path.padEnd(32)}${String(count).padStart(8)}${figures.map((ms) => ms.toFixed(2).padStart(9)).join("")}`,
  );
}

say("");
say("killing B's listener backend (pg_terminate_backend) and writing while it is away …");
await b.read();
const messagesBefore = b.sync.stats().messages;
const resynced = new Promise<number>((resolve) => b.sync.on("resync", () => resolve(performance.now())));
const killedAt = performance.now();
await admin`select pg_terminate_backend(${b.transport.stats().listenBackendPid ?? 0})`;
await raw`update ${raw(name)}.users set name = 'written in the gap' where id = 1`;
const resyncAt = await resynced;
await sleep(50);
const afterResync = await b.read();
const facts: Array<[string, string]> = [
  ["B reconnected and resynced (flush) after", `${(resyncAt - killedAt).toFixed(0)} ms`],
  ["B's state meanwhile", b.sync.state],
  ["the gap write's message reached B", b.sync.stats().messages > messagesBefore ? "yes" : "no (lost)"],
  ["B reads after the resync", `"${afterResync}"`],
  ["B's resyncs / reconnects so far", `${b.sync.stats().resyncs} / ${b.transport.stats().reconnects}`],
];
for (const [what, value] of facts) say(`  ${what.padEnd(42)}${value}`);

await Promise.all([a.sync.close(), b.sync.close()]);
await admin.unsafe(`drop schema ${name} cascade`);
if (server?.fresh) await uninstallSyncTriggers(admin);
await Promise.all([a.sql.end(), b.sql.end(), raw.end(), admin.end()]);
say("");
const worst = Math.max(...rows.map((row) => row[4] ?? 0));
say(
  `done: the slowest invalidation took ${worst.toFixed(1)} ms (F = ${F} ms); the kill cost a flush, not a stale read.`,
);
