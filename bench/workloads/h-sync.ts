// (H) Cross-instance sync on PostgreSQL (DATABASE_URL only; skipped without it): commit → remote
// invalidation latency through a sync trigger and the LISTEN connection of another cache, and what
// the statement trigger costs writes (autocommit single-row INSERTs, 1 and 8 connections, with and
// without it: every notifying commit takes PostgreSQL's cluster-wide notify lock).
import postgres from "postgres";
import { attachSync, HydraCache } from "../../src/index.ts";
import { installSyncTriggers, postgresTransport, uninstallSyncTriggers } from "../../src/postgres/index.ts";
import { median, now, type Settings } from "../lib/measure.ts";
import { count, type Medians, table, type WorkloadResult } from "../lib/report.ts";

const NAME = `bench_sync_${process.pid}`;
const TAG = `table:${NAME}`;

const skipped = (why: string): WorkloadResult => ({
  id: "H",
  title: "Sync",
  markdown: `### (H) Cross-instance sync on PostgreSQL\n\nSkipped: ${why}.`,
  medians: {},
});

/** The q-quantile of sorted values. */
const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/** Commit acks → the listening cache dropping the table's tag, one write at a time (ms). */
async function latencies(url: string, writer: postgres.Sql, writes: number): Promise<number[]> {
  const notify = postgres(url, { max: 1, onnotice: () => {} });
  const cache = HydraCache.local().build();
  const sync = attachSync(cache, postgresTransport({ listen: url, notify, channel: NAME }));
  let seen: (at: number) => void = () => {};
  cache.subscribe((event) => {
    if (event.origin === "remote" && event.tags?.includes(TAG)) seen(now());
  });
  await sync.ready;
  const samples: number[] = [];
  for (let i = 0; i < writes; i++) {
    const invalidated = new Promise<number>((resolve) => (seen = resolve));
    await writer`insert into ${writer(NAME)} (n) values (${i})`;
    const acked = now();
    samples.push((await invalidated) - acked);
  }
  await sync.close();
  await notify.end();
  return samples.sort((a, b) => a - b);
}

/** Autocommit single-row INSERTs per second over `ms`, on `connections` connections at once. */
async function throughput(url: string, connections: number, ms: number): Promise<number> {
  const sql = postgres(url, { max: connections, onnotice: () => {} });
  await Promise.all(Array.from({ length: connections }, () => sql`select 1`));
  let commits = 0;
  const until = now() + ms;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (now() < until) {
        await sql`insert into ${sql(NAME)} (n) values (1)`;
        commits++;
      }
    }),
  );
  await sql.end();
  return (commits * 1_000) / ms;
}

/** Runs workload H. */
export async function sync(settings: Settings): Promise<WorkloadResult> {
  const url = process.env.DATABASE_URL;
  if (!url) return skipped("set DATABASE_URL to a PostgreSQL server to run it");
  const admin = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin`select 1`;
  } catch (error) {
    await admin.end({ timeout: 0 });
    return skipped(`PostgreSQL at DATABASE_URL does not answer (${(error as Error).message})`);
  }
  const [before] = await admin`select to_regnamespace('hydracache_sync') is null as fresh`;
  await admin.unsafe(`create table ${NAME} (id bigserial primary key, n int not null)`);
  try {
    await installSyncTriggers(admin, { tables: [NAME], channel: NAME });
    const writes = settings.quick ? 100 : 1_000;
    const sorted = await latencies(url, admin, writes);
    const ms = settings.quick ? 300 : 2_000;
    const rates: Record<string, Record<string, number[]>> = { "1": {}, "8": {} };
    for (let round = 0; round < settings.rounds; round++) {
      for (const trigger of round % 2 === 0 ? [false, true] : [true, false]) {
        if (trigger) await installSyncTriggers(admin, { tables: [NAME], channel: NAME });
        else await uninstallSyncTriggers(admin, { tables: [NAME], channel: NAME });
        for (const connections of ["1", "8"]) {
          const byMode = rates[connections] as Record<string, number[]>;
          const mode = trigger ? "trigger" : "no-trigger";
          byMode[mode] = [...(byMode[mode] ?? []), await throughput(url, Number(connections), ms)];
        }
      }
    }
    const medians: Medians = {
      latencyMs: {
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        max: sorted.at(-1) ?? Number.NaN,
      },
    };
    for (const [connections, byMode] of Object.entries(rates)) {
      medians[`insertsPerSecond${connections}`] = Object.fromEntries(
        Object.entries(byMode).map(([mode, values]) => [mode, median(values)]),
      );
    }
    const fixed2 = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(2));
    const markdown = [
      "### (H) Cross-instance sync on PostgreSQL",
      "",
      `Commit → remote invalidation: ${writes.toLocaleString("en-US")} single-row INSERTs one after another, each fires the statement trigger; measured from the writer's commit ack to another cache (its own LISTEN connection) dropping the table's tag. Negative: delivered before the writer saw its ack.`,
      "",
      table(
        ["", "p50", "p99", "max"],
        [
          [
            "ack → invalidated (ms)",
            fixed2(medians.latencyMs?.p50),
            fixed2(medians.latencyMs?.p99),
            fixed2(medians.latencyMs?.max),
          ],
        ],
      ),
      "",
      `Write throughput: autocommit single-row INSERTs for ${ms} ms, without and with the sync trigger (rounds alternate the order). Median of ${settings.rounds} round(s).`,
      "",
      table(
        ["connections", "no trigger (commits/s)", "trigger (commits/s)", "trigger / none"],
        Object.keys(rates).map((connections) => {
          const figures = medians[`insertsPerSecond${connections}`] ?? {};
          const ratio = (figures.trigger ?? Number.NaN) / (figures["no-trigger"] ?? Number.NaN);
          return [
            connections,
            count(figures["no-trigger"]),
            count(figures.trigger),
            `${(ratio * 100).toFixed(0)} %`,
          ];
        }),
      ),
    ].join("\n");
    return { id: "H", title: "Sync", markdown, medians, data: { latencySamplesMs: sorted } };
  } finally {
    await admin.unsafe(`drop table ${NAME}`);
    if (before?.fresh) await uninstallSyncTriggers(admin);
    await admin.end();
  }
}
