/**
 * @internal The engine's seams for the adapters inside this package (`hydracache/db`,
 * `hydracache/drizzle`, sync): not part of the public API, kept out of the published types.
 * Every adapter reaches the engine through this module only.
 */
export {
  type Acquired,
  acquireEntry,
  clockOf,
  type EngineState,
  type ExternalLoad,
  getOrLoadWithOptionsAtStart,
  inspectEngine,
} from "./cache.ts";

// Sync seams (implemented by the engine rewrite of issue 9; attachSync uses only these):
//   setServeGate(cache, gate): installs (or, with undefined, removes) a function the engine calls
//     before serving any stored value; while it returns false, `get` misses, `getOrLoad` joins or
//     starts a load that stores nothing, each such call counted in stats().bypassedReads.
// Public engine API used by sync: cache.subscribe(listener) and cache.applyInvalidation(event).
