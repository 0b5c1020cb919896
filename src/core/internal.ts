/**
 * @internal The engine's seams for the adapters inside this package (`hydracache/db`,
 * `hydracache/drizzle`, typed views, sync): not part of the public API, kept out of the published
 * types. Every adapter reaches the engine through this module only.
 */
import { CacheError, describe } from "./errors.ts";
import { ENGINE, type EngineInternals, type EngineState } from "./internal-types.ts";
import type { Loader } from "./loads.ts";
import { type EntryOptionsInput, NO_OPTIONS, resolveEntry } from "./options.ts";

/** The shape of a cache the seams accept: a `HydraCache` of this or another installed copy. */
type AnyCache = object;

/**
 * @internal The internals of `cache`, or `INVALID_OPTIONS` naming `user` when it is not a
 * `HydraCache` (of this copy of hydracache, or of another installed copy of the same version line).
 */
export function engineOf(cache: AnyCache, user = "hydracache"): EngineInternals {
  const internals = (cache as { [ENGINE]?: EngineInternals } | null)?.[ENGINE];
  if (internals === undefined) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${user} needs a HydraCache (hydracache 0.2), got ${describe(cache)}${typeof (cache as { getOrLoad?: unknown } | null)?.getOrLoad === "function" ? " from an incompatible copy of hydracache" : ""}`,
    );
  }
  return internals;
}

/**
 * @internal `cache.getOrLoad(key, options, loader)` where the options are computed by
 * `optionsAtStart()`, called only when a load starts: a hit or a join never computes them, and what
 * it throws rejects the call before any load is registered (the row helpers' table tags cost a walk
 * of the query).
 */
export function getOrLoadWithOptionsAtStart(
  cache: AnyCache,
  key: string,
  optionsAtStart: () => EntryOptionsInput | undefined,
  loader: Loader<unknown>,
): Promise<unknown> {
  try {
    if (typeof key !== "string")
      throw new CacheError("INVALID_KEY", `key must be a string, got ${describe(key)}`);
    return engineOf(cache).read(key, NO_OPTIONS, loader, () => resolveEntry(optionsAtStart()));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** @internal Reads a cache's internal counts. */
export function inspectEngine(cache: AnyCache): EngineState {
  return engineOf(cache).inspect();
}

/** @internal The engine's clock (the builder's `.clock`, default `Date.now`). */
export function clockOf(cache: AnyCache): () => number {
  return engineOf(cache).clock;
}

/**
 * @internal Installs (or, with `undefined`, removes) the function the engine calls before serving
 * any stored value: while it returns `false`, `get` misses, `getOrLoad` joins or starts a load that
 * stores nothing, each counted in `stats().bypassedReads`; and a load that started before
 * `joinableSince()` (by the engine's clock) is not joined then: a new one replaces it.
 */
export function setServeGate(
  cache: AnyCache,
  gate: (() => boolean) | undefined,
  joinableSince?: () => number,
): void {
  engineOf(cache).setServeGate(gate, joinableSince);
}
