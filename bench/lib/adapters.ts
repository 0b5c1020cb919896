// One small adapter per implementation, so every workload drives every cache the same way.
// Each adapter is configured the way its library's README shows; where that changes what is
// measured (serialisation, bounds, TTL units), `semantics` says so and docs/BENCHMARKS.md repeats it.

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createCache as createDedupeCache } from "async-cache-dedupe";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { createCache as createCacheManager } from "cache-manager";
import { LRUCache } from "lru-cache";
import QuickLRU from "quick-lru";
import { type CacheCodec, cborCodec, HydraCache, referenceCodec } from "../../src/index.ts";

/** Loads the value for a key (the "database"). May return a value or a promise. */
export type Loader = (key: string) => unknown;

/** What every workload gives an implementation when it creates a cache. */
export interface AdapterOptions {
  /** The capacity asked for, in entries; `bound` says what each library makes of it. */
  readonly capacity: number;
  /** Read-through loader. */
  readonly loader: Loader;
  /** Tags for a key, for implementations with tag invalidation (workload F). */
  readonly tagsOf?: (key: string) => readonly string[];
}

/** The one interface every implementation is measured through. */
export interface CacheAdapter {
  /** Read-through: the cached value, or the loader's (one load for concurrent callers where supported). */
  getOrLoad(key: string): Promise<unknown>;
  /** Plain lookup; `undefined` on a miss. */
  get(key: string): Promise<unknown>;
  /** Removes every entry carrying `tag`; absent when the library has no tags. */
  invalidateTag?: (tag: string) => Promise<unknown>;
  /** Entries held right now, when the library exposes it. */
  held(): number | undefined;
  /** Releases timers and buses. */
  close(): Promise<void>;
}

/** An implementation under test and the facts a reader needs to judge its figures. */
export interface Implementation {
  readonly id: string;
  readonly name: string;
  /** `true` when every caller gets its own copy of the value (mutations cannot leak). */
  readonly copies: boolean;
  /** `true` when it has tag (or reference) invalidation. */
  readonly tags: boolean;
  /** What a capacity of `n` entries is enforced as. */
  readonly bound: (n: number) => string;
  /** How the adapter configures it. */
  readonly config: string;
  /** Where its semantics differ from hydracache's. */
  readonly semantics: string;
  readonly create: (options: AdapterOptions) => CacheAdapter;
}

/** Five minutes, hydracache's default TTL: long enough that nothing expires during a run. */
export const TTL_MS = 300_000;

const fmt = (n: number): string => n.toLocaleString("en-US");

/** The part of the `hydracache` module the adapter needs (the candidate engine provides the same). */
interface HydraModule {
  readonly HydraCache: typeof HydraCache;
  readonly referenceCodec: typeof referenceCodec;
  readonly cborCodec: CacheCodec;
}

function hydra(module: HydraModule, options: AdapterOptions, reference: boolean): CacheAdapter {
  let builder = module.HydraCache.local().maxCapacity(options.capacity).defaultTtl(TTL_MS);
  if (reference) builder = builder.codec(module.referenceCodec);
  const cache = builder.build();
  const { loader, tagsOf } = options;
  const getOrLoad =
    tagsOf === undefined
      ? (key: string) => cache.getOrLoad(key, () => loader(key))
      : (key: string) => cache.getOrLoad(key, { tags: tagsOf(key) }, () => loader(key));
  return {
    getOrLoad,
    get: (key) => cache.get(key),
    invalidateTag: (tag) => cache.invalidateTag(tag),
    held: () => {
      const s = cache.stats();
      return s.loads - s.staleLoadDiscards - s.evictions - s.invalidations;
    },
    close: async () => {},
  };
}

/**
 * The p-memoize pattern over any map-like store, written the way one would by hand: the caller
 * passes a loader closure per call (as with hydracache), hits return a resolved promise, and
 * concurrent misses share one pending promise that is deleted when it settles.
 */
function promiseMemo(
  store: { get(key: string): unknown; set(key: string, value: unknown): unknown; keys(): Iterable<string> },
  loader: Loader,
  encode: (value: unknown) => unknown,
  decode: ((stored: unknown) => unknown) | undefined,
): CacheAdapter {
  const pending = new Map<string, Promise<unknown>>();
  const load = (key: string, fetch: () => unknown): Promise<unknown> => {
    const promise = Promise.resolve(fetch()).then(
      (value) => {
        pending.delete(key);
        const stored = encode(value);
        store.set(key, stored);
        return stored;
      },
      (error: unknown) => {
        pending.delete(key);
        throw error;
      },
    );
    pending.set(key, promise);
    return promise;
  };
  if (decode === undefined) {
    const memo = (key: string, fetch: () => unknown): Promise<unknown> => {
      const hit = store.get(key);
      return hit !== undefined ? Promise.resolve(hit) : (pending.get(key) ?? load(key, fetch));
    };
    return {
      getOrLoad: (key) => memo(key, () => loader(key)),
      get: (key) => Promise.resolve(store.get(key)),
      held: () => countKeys(store),
      close: async () => {},
    };
  }
  const memo = (key: string, fetch: () => unknown): Promise<unknown> => {
    const hit = store.get(key);
    if (hit !== undefined) return Promise.resolve(decode(hit));
    return (pending.get(key) ?? load(key, fetch)).then(decode);
  };
  return {
    getOrLoad: (key) => memo(key, () => loader(key)),
    get: (key) => {
      const hit = store.get(key);
      return Promise.resolve(hit === undefined ? undefined : decode(hit));
    },
    held: () => countKeys(store),
    close: async () => {},
  };
}

const identity = (value: unknown): unknown => value;

/** Entries really held: quick-lru's `size` is capped at maxSize although it holds up to 2 × maxSize − 1. */
function countKeys(store: { keys(): Iterable<string> }): number {
  let n = 0;
  for (const _ of store.keys()) n++;
  return n;
}

const cborEncode = (value: unknown): unknown => cborCodec.encode(value);
const cborDecode = (stored: unknown): unknown => cborCodec.decode(stored as Uint8Array);

/**
 * An optional candidate engine for before/after runs: HYDRACACHE_CANDIDATE=<dir containing a
 * patched copy of src/> adds "candidate" rows for both codecs, measured interleaved with the rest.
 */
const candidateDir = process.env.HYDRACACHE_CANDIDATE;
/** What the candidate rows are called (HYDRACACHE_CANDIDATE_NAME), e.g. "before (commit abc123)". */
const candidateName = process.env.HYDRACACHE_CANDIDATE_NAME || "candidate engine";
const candidate: HydraModule | undefined =
  candidateDir === undefined || candidateDir === ""
    ? undefined
    : ((await import(pathToFileURL(resolve(candidateDir, "index.ts")).href)) as HydraModule);

/**
 * The codecs the floors of B and C are measured with, each alone: hydracache's default codec, and
 * the candidate engine's (`candidate-` ids) when one runs, so that each engine is compared with its
 * own codec.
 */
export const FLOOR_CODECS: readonly {
  readonly prefix: string;
  readonly name: string;
  readonly codec: CacheCodec;
}[] = [
  { prefix: "", name: "default codec", codec: cborCodec },
  ...(candidate === undefined
    ? []
    : [{ prefix: "candidate-", name: candidateName, codec: candidate.cborCodec }]),
];

const candidates: Implementation[] =
  candidate === undefined
    ? []
    : [
        {
          id: "candidate-cbor",
          name: `${candidateName} (CBOR)`,
          copies: true,
          tags: true,
          bound: (n) => `hard ≤ ${fmt(n)} (candidate)`,
          config: `HYDRACACHE_CANDIDATE=${candidateDir}`,
          semantics: "A patched engine under evaluation, default codec.",
          create: (o) => hydra(candidate, o, false),
        },
        {
          id: "candidate-ref",
          name: `${candidateName} (referenceCodec)`,
          copies: false,
          tags: true,
          bound: (n) => `hard ≤ ${fmt(n)} (candidate)`,
          config: `HYDRACACHE_CANDIDATE=${candidateDir}`,
          semantics: "A patched engine under evaluation, referenceCodec.",
          create: (o) => hydra(candidate, o, true),
        },
      ];

export const IMPLEMENTATIONS: readonly Implementation[] = [
  {
    id: "hydra-cbor",
    name: "hydracache (CBOR, default)",
    copies: true,
    tags: true,
    bound: (n) => `hard ≤ ${fmt(n)}, all used when full; keeps ≥ ${fmt(Math.ceil(n / 2))} most recent`,
    config: "HydraCache.local().maxCapacity(n).defaultTtl(300_000).build()",
    semantics: "Stores CBOR bytes; every caller decodes its own copy. TTL in ms, checked on every read.",
    create: (o) => hydra({ HydraCache, referenceCodec, cborCodec }, o, false),
  },
  {
    id: "hydra-ref",
    name: "hydracache (referenceCodec)",
    copies: false,
    tags: true,
    bound: (n) => `hard ≤ ${fmt(n)}, all used when full`,
    config: "… .codec(referenceCodec).build()",
    semantics: "Stores the value itself; callers share one object (read-only by contract).",
    create: (o) => hydra({ HydraCache, referenceCodec, cborCodec }, o, true),
  },
  {
    id: "map",
    name: "Map + Map of promises (floor)",
    copies: false,
    tags: false,
    bound: () => "unbounded",
    config: "new Map(); pending Map<string, Promise>",
    semantics: "The floor: no bound, no TTL, no tags, shared references.",
    create: (o) => promiseMemo(new Map(), o.loader, identity, undefined),
  },
  {
    id: "quick-lru",
    name: "quick-lru + Map of promises",
    copies: false,
    tags: false,
    bound: (n) => `≤ ${fmt(2 * n - 1)} (two generations of maxSize ${fmt(n)})`,
    config: "new QuickLRU({ maxSize: n }); pending Map<string, Promise> (the p-memoize pattern)",
    semantics: "No TTL, no tags, shared references; holds up to 2 × maxSize − 1 entries.",
    create: (o) =>
      promiseMemo(new QuickLRU<string, unknown>({ maxSize: o.capacity }), o.loader, identity, undefined),
  },
  {
    id: "quick-lru-cbor",
    name: "quick-lru + default codec",
    copies: true,
    tags: false,
    bound: (n) => `≤ ${fmt(2 * n - 1)} (two generations of maxSize ${fmt(n)})`,
    config: "new QuickLRU({ maxSize: n }) of cborCodec bytes; pending Map",
    semantics: "Bare engine floor for the default codec: CBOR copies, no TTL, no tags, no validation.",
    create: (o) =>
      promiseMemo(new QuickLRU<string, unknown>({ maxSize: o.capacity }), o.loader, cborEncode, cborDecode),
  },
  {
    id: "lru-cache",
    name: "lru-cache 11 (fetch)",
    copies: false,
    tags: false,
    bound: (n) => `hard ≤ ${fmt(n)} (exact LRU)`,
    config: "new LRUCache({ max: n, ttl: 300_000, fetchMethod }); cache.fetch(key)",
    semantics: "Shared references; fetch() dedupes concurrent loads; no tags.",
    create: ({ capacity, loader }) => {
      const cache = new LRUCache<string, object>({
        max: capacity,
        ttl: TTL_MS,
        fetchMethod: (key) => loader(key) as Promise<object>,
      });
      return {
        getOrLoad: (key) => cache.fetch(key),
        get: async (key) => cache.get(key),
        held: () => cache.size,
        close: async () => {},
      };
    },
  },
  {
    id: "bentocache",
    name: "bentocache 1.6 (memory)",
    copies: true,
    tags: true,
    bound: (n) => `hard ≤ ${fmt(n)} (maxItems; default 1,000)`,
    config:
      "new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: n })) } })",
    semantics:
      "L1 serialises to JSON (serialize: true by default): copies, but Date/Map/BigInt are lost. Tag deletion is lazy (marks the tag; entries are checked on read). maxItems defaults to 1,000; set to n here.",
    create: ({ capacity, loader, tagsOf }) => {
      const bento = new BentoCache({
        default: "memory",
        ttl: TTL_MS,
        stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: capacity })) },
      });
      const getOrLoad =
        tagsOf === undefined
          ? (key: string) => bento.getOrSet({ key, factory: () => loader(key) })
          : (key: string) => bento.getOrSet({ key, factory: () => loader(key), tags: [...tagsOf(key)] });
      return {
        getOrLoad,
        get: (key) => bento.get({ key }),
        invalidateTag: (tag) => bento.deleteByTag({ tags: [tag] }),
        held: () => undefined,
        close: () => bento.disconnectAll(),
      };
    },
  },
  {
    id: "cache-manager",
    name: "cache-manager 7",
    copies: false,
    tags: false,
    bound: () => "unbounded (default Keyv Map store)",
    config: "createCache({ ttl: 300_000 }); cache.wrap(key, fn)",
    semantics:
      "Default store is an unbounded Keyv Map; createCache turns Keyv's JSON serialisation off, so values are shared references. wrap() coalesces concurrent calls. No tags.",
    create: ({ loader }) => {
      const cache = createCacheManager({ ttl: TTL_MS });
      return {
        getOrLoad: (key) => cache.wrap(key, () => loader(key)),
        get: (key) => cache.get(key),
        held: () => undefined,
        close: () => cache.disconnect().then(() => undefined),
      };
    },
  },
  {
    id: "async-cache-dedupe",
    name: "async-cache-dedupe 3",
    copies: false,
    tags: true,
    bound: (n) => `hard ≤ ${fmt(n)} (memory storage size; default 1,024)`,
    config:
      "createCache({ ttl: 300, storage: { type: 'memory', options: { size: n, invalidation } } }).define('row', fn)",
    semantics:
      "TTL in whole seconds. Memory storage keeps references (no copies). Every call, hit or miss, goes through its dedupe map. References (tags) need invalidation: true.",
    create: ({ capacity, loader, tagsOf }) => {
      const cache = createDedupeCache({
        ttl: TTL_MS / 1000,
        storage: { type: "memory", options: { size: capacity, invalidation: tagsOf !== undefined } },
      });
      const defined = cache.define(
        "row",
        tagsOf === undefined ? {} : { references: (key: string) => [...tagsOf(key)] },
        (key: string) => loader(key),
      ) as typeof cache & { row: (key: string) => Promise<unknown> };
      return {
        getOrLoad: (key) => defined.row(key),
        get: (key) => cache.get("row", `row~${key}`),
        invalidateTag: (tag) => cache.invalidateAll(tag),
        held: () => undefined,
        close: async () => {},
      };
    },
  },
  ...candidates,
];
