/** One running loader execution, shared by every caller that joined it. */
export interface Load {
  readonly key: string;
  readonly tags: readonly string[];
  /**
   * The load's generation check: set when an invalidation that covers the load (its key, one of
   * its tags, or a flush) happens while it runs. A stale load's result reaches its callers but
   * is never stored, and no caller joins it any more.
   */
  stale: boolean;
  /** Settles with the codec's output, or `undefined` when the loader returned `undefined`. */
  result: Promise<unknown>;
  /** Turns `result` into one caller's own decoded copy (one function per load, not per caller). */
  readonly toCaller: (stored: unknown) => unknown;
}

/**
 * The single-flight map: key → current load, plus tag → current loads so an invalidation marks
 * exactly the loads it covers. Only current (non-stale) loads are indexed, so at rest both maps
 * are empty and a tag costs nothing once no load carries it.
 */
export class InFlightLoads {
  readonly #byKey = new Map<string, Load>();
  readonly #byTag = new Map<string, Set<Load>>();

  /** The current load for `key`, if any. */
  get(key: string): Load | undefined {
    return this.#byKey.get(key);
  }

  /** Registers a new current load for `key` (its `result` is set by the caller). */
  start(key: string, tags: readonly string[], toCaller: (stored: unknown) => unknown): Load {
    const load: Load = { key, tags, stale: false, result: NEVER, toCaller };
    this.#byKey.set(key, load);
    for (const tag of tags) {
      const loads = this.#byTag.get(tag);
      if (loads === undefined) this.#byTag.set(tag, new Set([load]));
      else loads.add(load);
    }
    return load;
  }

  /** Unregisters a load that has settled; a no-op if it was already made stale. */
  finish(load: Load): void {
    if (!load.stale) this.#unregister(load);
  }

  /** Makes the current load of `key` stale. */
  invalidateKey(key: string): void {
    const load = this.#byKey.get(key);
    if (load !== undefined) this.#makeStale(load);
  }

  /** Makes every current load carrying `tag` stale. */
  invalidateTag(tag: string): void {
    const loads = this.#byTag.get(tag);
    if (loads !== undefined) for (const load of [...loads]) this.#makeStale(load);
  }

  /** Makes every current load stale. */
  invalidateAll(): void {
    for (const load of [...this.#byKey.values()]) this.#makeStale(load);
  }

  /** How many loads are current. */
  get size(): number {
    return this.#byKey.size;
  }

  /** How many tags current loads carry. */
  get tagCount(): number {
    return this.#byTag.size;
  }

  #makeStale(load: Load): void {
    load.stale = true;
    this.#unregister(load);
  }

  #unregister(load: Load): void {
    // Identity check: a newer load for the same key may own the slot.
    if (this.#byKey.get(load.key) === load) this.#byKey.delete(load.key);
    for (const tag of load.tags) {
      const loads = this.#byTag.get(tag);
      if (loads?.delete(load) && loads.size === 0) this.#byTag.delete(tag);
    }
  }
}

const NEVER: Promise<unknown> = new Promise(() => {});
