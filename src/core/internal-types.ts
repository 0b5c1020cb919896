import type { Loader } from "./loads.ts";
import type { ResolvedCall, ResolvedOptions } from "./options.ts";

/**
 * @internal Where a cache keeps its {@link EngineInternals}: a registry symbol, so an adapter from
 * another installed copy of hydracache (of the same internal version) reaches it too.
 */
export const ENGINE: unique symbol = Symbol.for("hydracache.engine.v2") as never;

/** @internal Internal counts, for tests and soak runs that check the engine is clean at rest. */
export interface EngineState {
  /** Entries held by the store, expired ones included. */
  readonly entries: number;
  /** Loads currently in flight (current ones: overtaken loads are no longer indexed). */
  readonly inFlight: number;
  /** Tags carried by in-flight loads. */
  readonly inFlightTags: number;
  /** Tag-index keys that no stored entry backs (must always be 0). */
  readonly danglingTagKeys: number;
  /** Tags in the tag index. */
  readonly tags: number;
}

/** @internal The engine's seams for the adapters inside this package; see `internal.ts`. */
export interface EngineInternals {
  read(
    key: string,
    call: ResolvedCall,
    loader: Loader<unknown>,
    optionsAtStart: ((call: ResolvedCall) => ResolvedOptions) | undefined,
  ): Promise<unknown>;
  write(key: string, value: unknown, options: ResolvedOptions): void;
  readonly clock: () => number;
  setServeGate(gate: (() => boolean) | undefined, joinableSince?: () => number): void;
  inspect(): EngineState;
}
