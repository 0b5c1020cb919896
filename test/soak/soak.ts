// Soak: `npm run soak`. 1M mixed operations from 32 concurrent workers over 1,000 keys at
// capacity 800, loaders that take a few event-loop turns and fail 1 % of the time, writes that
// bump a versioned fake database and then invalidate (by key, tag, group tag or put), on a clock
// the operations move (so every run is the same). Pass: no read ever older than the database was
// when the read began, an empty in-flight map and no dangling tag-index key at rest after every
// cycle, and a heap that does not grow from cycle to cycle.
import { setImmediate as nextTurn } from "node:timers/promises";
import { inspectEngine } from "../../src/core/internal.ts";
import { CacheError, HydraCache } from "../../src/index.ts";

const KEYS = 1_000;
const CAPACITY = 800;
const WORKERS = 32;
const CYCLES = Number(process.env.SOAK_CYCLES ?? 10);
const OPS_PER_CYCLE = Number(process.env.SOAK_OPS ?? 100_000);

interface Row {
  key: number;
  version: number;
  payload: string;
}

// A clock moved by the operations themselves (1 ms every 128), so a run is the same every time:
// an entry lives for 6,400 operations, long enough for the 1,000 keys to overflow capacity 800.
let now = 0;
let operations = 0;
const cache = HydraCache.local()
  .maxCapacity(CAPACITY)
  .defaultTtl(50)
  .clock(() => now)
  .build();
const db = new Int32Array(KEYS);
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = (n: number) => Math.floor(random() * n);
const tagsOf = (k: number) => [`row:${k}`, `group:${k % 37}`];
let staleReads = 0;
let loaderFaults = 0;

/** A read is stale when it returns a row older than the database was when the read began. */
async function checkedGet(k: number): Promise<void> {
  const versionAtCall = db[k] as number;
  const row = await cache.get<Row>(`row:${k}`);
  if (row !== undefined && row.version < versionAtCall) staleReads++;
}

async function load(k: number): Promise<Row> {
  const version = db[k] as number;
  for (let turns = pick(3); turns >= 0; turns--) await nextTurn();
  if (random() < 0.01) {
    loaderFaults++;
    throw new Error("injected fault");
  }
  return { key: k, version, payload: "x".repeat(64) };
}

async function write(k: number): Promise<void> {
  db[k] = (db[k] as number) + 1;
  // Mostly per-row invalidations; a group tag (27 rows) now and then, so the cache stays full
  // enough for capacity evictions to happen throughout.
  const how = pick(64);
  if (how < 20) await cache.invalidateKey(`row:${k}`);
  else if (how < 40) await cache.invalidateTag(`row:${k}`);
  else if (how === 40) await cache.invalidateTag(`group:${k % 37}`);
  else await cache.put(`row:${k}`, { key: k, version: db[k], payload: "w" }, { tags: tagsOf(k) });
}

async function operate(): Promise<void> {
  if (++operations % 128 === 0) now++;
  const k = pick(KEYS);
  const roll = random();
  if (roll < 0.6) {
    try {
      const row = await cache.getOrLoad<Row>(`row:${k}`, { tags: tagsOf(k) }, () => load(k));
      // A loaded row may be older than a write that happened while it was loading (that is
      // what the caller asked for); only a *stored* row must be fresh, which `get` checks.
      if (row.key !== k) throw new Error("wrong row");
    } catch (error) {
      if (!(CacheError.is(error) && error.code === "LOADER_FAILED")) throw error;
    }
  } else if (roll < 0.9) {
    await checkedGet(k);
  } else if (roll < 0.99) {
    await write(k);
  } else if (roll < 0.9995) {
    await cache.remove(`row:${k}`);
  } else {
    await cache.invalidateTag(`group:${pick(37)}`);
  }
}

async function cycle(): Promise<void> {
  let remaining = OPS_PER_CYCLE;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (remaining-- > 0) await operate();
    }),
  );
}

const gc = (globalThis as { gc?: () => void }).gc;
const heaps: number[] = [];
const started = performance.now();
for (let c = 1; c <= CYCLES; c++) {
  await cycle();
  const state = inspectEngine(cache);
  for (let k = 0; k < KEYS; k++) await checkedGet(k);
  gc?.();
  const heap = process.memoryUsage().heapUsed;
  heaps.push(heap);
  console.log(
    `cycle ${c}: ${OPS_PER_CYCLE} ops, entries ${state.entries}, in flight ${state.inFlight}, ` +
      `dangling tag keys ${state.danglingTagKeys}, stale reads ${staleReads}, heap ${(heap / 2 ** 20).toFixed(1)} MiB`,
  );
  if (
    state.inFlight !== 0 ||
    state.inFlightTags !== 0 ||
    state.danglingTagKeys !== 0 ||
    state.entries > CAPACITY
  ) {
    throw new Error(`engine not clean at rest: ${JSON.stringify(state)}`);
  }
}
const seconds = (performance.now() - started) / 1000;
const stats = cache.stats();
const growth =
  heaps.length > 2 ? ((heaps.at(-1) as number) - (heaps[1] as number)) / (heaps[1] as number) : 0;
console.log(
  `\n${CYCLES * OPS_PER_CYCLE} ops in ${seconds.toFixed(1)} s; stale reads ${staleReads}; loader faults ${loaderFaults}; ` +
    `heap growth cycle 2 → ${CYCLES}: ${(growth * 100).toFixed(1)} %${gc ? "" : " (run with --expose-gc for a meaningful figure)"}`,
);
console.log(JSON.stringify(stats));
if (staleReads > 0) throw new Error(`${staleReads} stale reads`);
if (gc && growth > 0.2) throw new Error(`heap grew ${(growth * 100).toFixed(1)} % across cycles`);
console.log("soak: PASS");
