// Soak: `npm run soak`. 1M mixed operations from 32 concurrent workers over 1,000 keys at
// capacity 800 and a byte bound below what 800 rows take, loaders that take a few event-loop
// turns, fail 1 % of the time and sometimes honour their abort signal, stale windows
// (staleWhileRevalidate, staleIfError), callers that abort or time out, and writes that bump a
// versioned fake database and then invalidate (by key, tag, group tag, put, or a remote
// invalidation through applyInvalidation), on a clock the operations move (so every run is the
// same). Pass: no read (get or getOrLoad, fresh, stale or fallback) ever older than the database
// was when the read began; no caller fails because other callers left; an empty in-flight map and
// no dangling tag-index key at rest after every cycle, within both bounds; and a heap that does
// not grow from cycle to cycle.
import { setImmediate as nextTurn } from "node:timers/promises";
import { inspectEngine } from "../../src/core/internal.ts";
import { CacheError, HydraCache, type LoadOptions } from "../../src/index.ts";
import { captureTimeouts } from "../core/helpers.ts";

const KEYS = 1_000;
const CAPACITY = 800;
/** About 560 rows of the average size: the byte bound evicts before the capacity does. */
const MAX_TOTAL_BYTES = 56_000;
const WORKERS = 32;
const CYCLES = Number(process.env.SOAK_CYCLES ?? 10);
const OPS_PER_CYCLE = Number(process.env.SOAK_OPS ?? 100_000);

interface Row {
  key: number;
  version: number;
  payload: string;
}

// A clock moved by the operations themselves (1 ms every 128), so a run is the same every time:
// an entry lives for 6,400 operations, long enough for the 1,000 keys to overflow the bounds.
let now = 0;
let operations = 0;
const cache = HydraCache.local()
  .maxCapacity(CAPACITY)
  .maxTotalBytes(MAX_TOTAL_BYTES)
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
const tally = {
  staleReads: 0,
  loaderFaults: 0,
  cancelledLoads: 0,
  aborted: 0,
  timedOut: 0,
  remoteInvalidations: 0,
};

// Per-call timeouts run on virtual timers too: the engine arms them synchronously inside
// `getOrLoad` (captured there), and they fire when the operation count reaches them (1 ms = 1
// operation), so which caller times out is the same on every run.
const timers = new Map<number, Array<() => void>>();
function fireTimers(): void {
  const due = timers.get(operations);
  if (due === undefined) return;
  timers.delete(operations);
  for (const fire of due) fire();
}

/** A read is stale when it returns a row older than the database was when the read began. */
async function checkedGet(k: number): Promise<void> {
  const versionAtCall = db[k] as number;
  const row = await cache.get<Row>(`row:${k}`);
  if (row !== undefined && row.version < versionAtCall) tally.staleReads++;
}

async function load(k: number, signal: AbortSignal | undefined): Promise<Row> {
  const version = db[k] as number;
  for (let turns = pick(3); turns >= 0; turns--) {
    await nextTurn();
    // A quarter of the loaders honour their signal, as a cancelled query would.
    if (signal?.aborted) {
      tally.cancelledLoads++;
      throw signal.reason;
    }
  }
  if (random() < 0.01) {
    tally.loaderFaults++;
    throw new Error("injected fault");
  }
  return { key: k, version, payload: "x".repeat(16 + pick(96)) };
}

/** Stale windows for a load or a put: mostly none, else some stale-while-revalidate and stale-if-error. */
function windows(): Pick<LoadOptions, "staleWhileRevalidate" | "staleIfError"> {
  const roll = pick(4);
  if (roll === 0) return {};
  if (roll === 1) return { staleWhileRevalidate: 20 };
  if (roll === 2) return { staleIfError: 100 };
  return { staleWhileRevalidate: 10, staleIfError: 60 };
}

async function write(k: number): Promise<void> {
  db[k] = (db[k] as number) + 1;
  // Mostly per-row invalidations, local or remote; a group tag (27 rows) now and then, so the
  // cache stays full enough for evictions to happen throughout.
  const how = pick(64);
  if (how < 12) await cache.invalidateKey(`row:${k}`);
  else if (how < 24) await cache.invalidateTag(`row:${k}`);
  else if (how < 32) cache.applyInvalidation({ keys: [`row:${k}`] });
  else if (how < 40) cache.applyInvalidation({ tags: [`row:${k}`] });
  else if (how === 40) await cache.invalidateTag(`group:${k % 37}`);
  else if (how === 41) cache.applyInvalidation({ tags: [`group:${k % 37}`] });
  else
    await cache.put(`row:${k}`, { key: k, version: db[k], payload: "w" }, { tags: tagsOf(k), ...windows() });
  if (how >= 32 && how < 42) tally.remoteInvalidations++;
}

async function getOrLoad(k: number): Promise<void> {
  const versionAtCall = db[k] as number;
  const roll = pick(20);
  // One caller in 20 may abort (after a few turns), one in 20 waits at most 16–80 operations.
  const controller = roll === 0 ? new AbortController() : undefined;
  const timeout = roll === 1 ? 16 + pick(65) : undefined;
  const honours = pick(4) === 0;
  const options: LoadOptions = {
    tags: tagsOf(k),
    ...windows(),
    ...(controller ? { signal: controller.signal } : {}),
    ...(timeout === undefined ? {} : { timeout }),
  };
  const { result, timers: armed } = captureTimeouts(() =>
    cache.getOrLoad<Row>(`row:${k}`, options, ({ signal }) => load(k, honours ? signal : undefined)),
  );
  for (const timer of armed) {
    const due = operations + timer.ms;
    timers.set(due, [...(timers.get(due) ?? []), timer.fire]);
  }
  if (controller) {
    void (async () => {
      for (let turns = pick(4); turns >= 0; turns--) await nextTurn();
      controller.abort(new Error("client went away"));
    })();
  }
  try {
    const row = await result;
    // Whatever answered (a fresh or stale hit, a load, a stale fallback), it is never older than
    // the database was when the call began: a write during the call is what it may miss.
    if (row.key !== k) throw new Error("wrong row");
    if (row.version < versionAtCall) tally.staleReads++;
  } catch (error) {
    if (!CacheError.is(error)) throw error;
    if (error.code === "ABORTED" && controller !== undefined) tally.aborted++;
    else if (error.code === "LOADER_TIMEOUT" && timeout !== undefined) tally.timedOut++;
    else if (error.code !== "LOADER_FAILED") throw error;
    // A load is cancelled only when no caller waits for it: no caller may see that failure.
    if (CacheError.is(error.cause) && error.cause.code === "ABORTED")
      throw new Error("a caller failed because other callers left its load");
  }
}

async function operate(): Promise<void> {
  if (++operations % 128 === 0) now++;
  fireTimers();
  const k = pick(KEYS);
  const roll = random();
  if (roll < 0.6) await getOrLoad(k);
  else if (roll < 0.9) await checkedGet(k);
  else if (roll < 0.99) await write(k);
  else if (roll < 0.9995) await cache.remove(`row:${k}`);
  else await cache.invalidateTag(`group:${pick(37)}`);
}

async function cycle(): Promise<void> {
  let remaining = OPS_PER_CYCLE;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (remaining-- > 0) await operate();
    }),
  );
  // At rest: let background refreshes and loads every caller left finish; drop timers whose
  // callers were answered long ago (firing one now would do nothing).
  while (cache.stats().inFlight > 0) await nextTurn();
  timers.clear();
}

const gc = (globalThis as { gc?: () => void }).gc;
const heaps: number[] = [];
const started = performance.now();
for (let c = 1; c <= CYCLES; c++) {
  await cycle();
  const state = inspectEngine(cache);
  const bytes = cache.stats().bytes;
  for (let k = 0; k < KEYS; k++) await checkedGet(k);
  gc?.();
  const heap = process.memoryUsage().heapUsed;
  heaps.push(heap);
  console.log(
    `cycle ${c}: ${OPS_PER_CYCLE} ops, entries ${state.entries}, bytes ${bytes}, in flight ${state.inFlight}, ` +
      `dangling tag keys ${state.danglingTagKeys}, stale reads ${tally.staleReads}, heap ${(heap / 2 ** 20).toFixed(1)} MiB`,
  );
  if (
    state.inFlight !== 0 ||
    state.inFlightTags !== 0 ||
    state.danglingTagKeys !== 0 ||
    state.entries > CAPACITY ||
    bytes > MAX_TOTAL_BYTES
  ) {
    throw new Error(`engine not clean at rest: ${JSON.stringify({ ...state, bytes })}`);
  }
}
const seconds = (performance.now() - started) / 1000;
const stats = cache.stats();
const growth =
  heaps.length > 2 ? ((heaps.at(-1) as number) - (heaps[1] as number)) / (heaps[1] as number) : 0;
console.log(
  `\n${CYCLES * OPS_PER_CYCLE} ops in ${seconds.toFixed(1)} s; ${JSON.stringify(tally)}; ` +
    `heap growth cycle 2 → ${CYCLES}: ${(growth * 100).toFixed(1)} %${gc ? "" : " (run with --expose-gc for a meaningful figure)"}`,
);
console.log(JSON.stringify(stats));
if (tally.staleReads > 0) throw new Error(`${tally.staleReads} stale reads`);
if (gc && growth > 0.2) throw new Error(`heap grew ${(growth * 100).toFixed(1)} % across cycles`);
console.log("soak: PASS");
