import { cborCodec } from "../codec/cbor.ts";
import type { CacheCodec } from "../codec/codec.ts";
import { CacheError, describe } from "./errors.ts";
import { checkTtl, checkWindow, type Milliseconds } from "./options.ts";

/**
 * Everything a {@link HydraCache} is built from; see {@link HydraCacheBuilder} for each field.
 *
 * @example
 * const cache = new HydraCache({ ...DEFAULT_CONFIG, maxCapacity: 1_000 }); // same as HydraCache.local().maxCapacity(1_000).build()
 */
export interface EngineConfig {
  readonly defaultTtl: Milliseconds;
  readonly maxCapacity: number;
  readonly maxEntryBytes: number;
  readonly maxTotalBytes: number;
  // biome-ignore lint/suspicious/noExplicitAny: a codec's stored form is its own business.
  readonly codec: CacheCodec<any>;
  readonly sizeOf: ((value: unknown) => number) | undefined;
  readonly clock: () => number;
  readonly staleWhileRevalidate: Milliseconds;
  readonly staleIfError: Milliseconds;
  readonly loaderTimeout: Milliseconds;
}

/**
 * The configuration `HydraCache.local()` starts from.
 *
 * @example
 * DEFAULT_CONFIG.maxCapacity; // 10_000
 */
export const DEFAULT_CONFIG: EngineConfig = Object.freeze({
  defaultTtl: 300_000,
  maxCapacity: 10_000,
  maxEntryBytes: 16 << 20,
  maxTotalBytes: 256 << 20,
  codec: cborCodec,
  sizeOf: undefined,
  clock: Date.now,
  staleWhileRevalidate: 0,
  staleIfError: 0,
  loaderTimeout: Number.POSITIVE_INFINITY,
});

/** One validator per field: each throws `INVALID_OPTIONS` naming the field, or returns the value. */
export const checkConfigField: {
  readonly [Field in keyof EngineConfig]: (value: unknown) => EngineConfig[Field];
} = {
  defaultTtl: (ms) => checkTtl(ms, "defaultTtl"),
  maxCapacity: (entries) => {
    if (!Number.isSafeInteger(entries) || (entries as number) < 1) {
      throw new CacheError(
        "INVALID_OPTIONS",
        `maxCapacity must be a positive integer, got ${describe(entries)}`,
      );
    }
    return entries as number;
  },
  maxEntryBytes: (bytes) => checkByteBound(bytes, "maxEntryBytes"),
  maxTotalBytes: (bytes) => checkByteBound(bytes, "maxTotalBytes"),
  codec: (codec) => {
    const candidate = codec as Partial<CacheCodec> | null;
    if (typeof candidate?.encode !== "function" || typeof candidate.decode !== "function") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `codec must have encode and decode functions, got ${describe(codec)}`,
      );
    }
    return codec as CacheCodec;
  },
  sizeOf: (sizeOf) => {
    if (sizeOf !== undefined && typeof sizeOf !== "function") {
      throw new CacheError(
        "INVALID_OPTIONS",
        `sizeOf must be a function of the value, got ${describe(sizeOf)}`,
      );
    }
    return sizeOf as EngineConfig["sizeOf"];
  },
  clock: (now) => {
    if (typeof now !== "function") {
      throw new CacheError("INVALID_OPTIONS", `clock must be a function returning ms, got ${describe(now)}`);
    }
    return now as () => number;
  },
  staleWhileRevalidate: (ms) => checkWindow(ms, "staleWhileRevalidate"),
  staleIfError: (ms) => checkWindow(ms, "staleIfError"),
  loaderTimeout: (ms) => checkTtl(ms, "loaderTimeout"),
};

/**
 * Validates a whole configuration: every field of {@link DEFAULT_CONFIG} that `config` sets, and
 * no other. Throws `INVALID_OPTIONS` naming the first bad field.
 */
export function checkConfig(config: Partial<EngineConfig> | undefined): EngineConfig {
  if (config === undefined) return DEFAULT_CONFIG;
  if (typeof config !== "object" || config === null) {
    throw new CacheError("INVALID_OPTIONS", `cache configuration must be an object, got ${describe(config)}`);
  }
  const checked: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [field, value] of Object.entries(config)) {
    if (!Object.hasOwn(checkConfigField, field)) {
      throw new CacheError(
        "INVALID_OPTIONS",
        `unknown cache option ${describe(field)}: the known options are ${Object.keys(checkConfigField).join(", ")}`,
      );
    }
    checked[field] = checkConfigField[field as keyof EngineConfig](value);
  }
  return Object.freeze(checked) as unknown as EngineConfig;
}

function checkByteBound(bytes: unknown, option: string): number {
  if (!(Number.isSafeInteger(bytes) || bytes === Number.POSITIVE_INFINITY) || !((bytes as number) > 0)) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${option} must be a positive integer or Infinity, got ${describe(bytes)}`,
    );
  }
  return bytes as number;
}
