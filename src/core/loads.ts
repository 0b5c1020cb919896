import type { EntryTable } from "./entry-table.ts";
import { CacheError, describe, messageOf } from "./errors.ts";
import type { Milliseconds, ResolvedOptions } from "./options.ts";
import type { StatsCounter } from "./stats.ts";

/**
 * What a loader receives: the key it loads, and a signal that aborts once every caller waiting
 * for this load has stopped waiting (aborted or timed out). A loader may ignore it.
 *
 * @example
 * const loader: Loader<User> = ({ key, signal }) => fetchUser(key, { signal });
 */
export interface LoaderContext {
  /** The key being loaded (the physical key, namespace included). */
  readonly key: string;
  /** Aborts when no caller waits for this load any more; never because one caller of several left. */
  readonly signal: AbortSignal;
}

/**
 * A loader: computes the value for a missing key. May return a value or a promise.
 *
 * @example
 * const loadUser: Loader<User> = () => db.users.findById(42);
 */
export type Loader<T> = (context: LoaderContext) => T | Promise<T>;

/** One running load, shared by every caller that joined it. */
export class Load {
  readonly key: string;
  /** What the result is stored with. */
  readonly options: ResolvedOptions;
  /** When it started, by the engine's clock: while sync is down, an old load is not joined. */
  readonly startedAt: number;
  /**
   * The load's generation check: set when an invalidation that covers the load (its key, one of
   * its tags, or a flush) happens while it runs. A stale load's result reaches its callers but
   * is never stored, and no caller joins it any more.
   */
  stale = false;
  /** Replaced by a newer load of its key after every caller left it: stale, but not counted as a discard. */
  superseded = false;
  /** Started while the cache could not serve stored values (sync down): its result is never stored. */
  readonly noStore: boolean;
  settled = false;
  /** Callers still waiting; when the last one leaves early, the loader's signal aborts. */
  waiting = 0;
  /** Answered by a stale-if-error value: each caller's copy counts as a stale hit. */
  fellBack = false;
  /**
   * Copies decoded for the callers still to be answered: the first caller's turn decodes one per
   * waiting caller in one tight loop (cheaper than one decode per promise reaction), the others
   * take theirs.
   */
  copies: unknown[] | undefined;
  /** Settles with the codec's output, or `undefined` when the loader returned `undefined`. */
  readonly result: Promise<unknown>;
  resolve!: (stored: unknown) => void;
  reject!: (error: unknown) => void;
  /** Turns `result` into one caller's own decoded copy (one function per load, not per caller). */
  readonly toCaller: (stored: unknown) => unknown;
  /** The loader's abort controller, made only when the loader reads `signal`. */
  #controller: AbortController | undefined;
  #abandoned = false;

  constructor(
    key: string,
    options: ResolvedOptions,
    noStore: boolean,
    startedAt: number,
    toCaller: (load: Load, stored: unknown) => unknown,
  ) {
    this.key = key;
    this.options = options;
    this.startedAt = startedAt;
    this.noStore = noStore;
    this.result = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.toCaller = (stored) => toCaller(this, stored);
  }

  /** The loader's signal: aborted once every caller has stopped waiting. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abandoned) this.#controller.abort(abandonedReason(this));
    }
    return this.#controller.signal;
  }

  /** Whether every caller has stopped waiting (the loader's signal has aborted). */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** Every caller has stopped waiting: aborts the loader's signal. */
  abandon(): void {
    this.#abandoned = true;
    this.#controller?.abort(abandonedReason(this));
  }
}

/** What a loader receives: its key, and its load's signal (made only when read). */
class Context implements LoaderContext {
  readonly #load: Load;

  constructor(load: Load) {
    this.#load = load;
  }

  get key(): string {
    return this.#load.key;
  }

  get signal(): AbortSignal {
    return this.#load.signal;
  }
}

/**
 * The load lifecycle: starting a load, callers joining and waiting for it (each with its own
 * timeout and abort signal), settling it, and storing its result unless an invalidation overtook
 * it. The in-flight index maps key → current load and tag → current loads, so an invalidation
 * marks exactly the loads it covers; only current (non-stale) loads are indexed, so at rest both
 * maps are empty and a tag costs nothing once no load carries it.
 */
export class Loads {
  readonly #table: EntryTable;
  readonly #stats: StatsCounter;
  /** Whether stored values may be served now (false while cross-instance sync is down). */
  readonly #canServe: () => boolean;
  readonly #byKey = new Map<string, Load>();
  readonly #byTag = new Map<string, Set<Load>>();
  #running = 0;

  constructor(table: EntryTable, stats: StatsCounter, canServe: () => boolean) {
    this.#table = table;
    this.#stats = stats;
    this.#canServe = canServe;
  }

  /**
   * The current load for `key`, if any: the one a caller joins. A load every caller has left is not
   * joined (its loader's signal has aborted, so it may fail for that alone, and a new caller must
   * not get that failure): the caller starts a new load, which replaces it (see `#register`).
   */
  current(key: string): Load | undefined {
    const load = this.#byKey.get(key);
    return load?.abandoned ? undefined : load;
  }

  /** Starts a load of `key` that runs `loader`, registered as the key's current load. */
  start(key: string, options: ResolvedOptions, loader: Loader<unknown>, noStore: boolean): Load {
    const load = this.#register(key, options, noStore);
    let output: unknown;
    try {
      output = loader(new Context(load));
    } catch (error) {
      this.#fail(load, error); // a synchronous throw fails the load like a rejection
      return load;
    }
    if (isThenable(output)) {
      Promise.resolve(output).then(
        (value) => this.#settle(load, value),
        (error: unknown) => this.#fail(load, error),
      );
    } else {
      this.#settle(load, output);
    }
    return load;
  }

  /**
   * One caller waiting for `load`: its own decoded copy of the result, or the load's error. With a
   * timeout it waits at most that long, then gets a usable stale value or rejects
   * `LOADER_TIMEOUT`; with a signal it rejects `ABORTED` when the signal aborts. Leaving early
   * never stops the load (it is still stored unless overtaken); the last caller to leave aborts the
   * loader's own signal.
   */
  wait(load: Load, timeoutMs: Milliseconds, signal: AbortSignal | undefined): Promise<unknown> {
    load.waiting++;
    if (timeoutMs === Number.POSITIVE_INFINITY && signal === undefined)
      return load.result.then(load.toCaller);
    return new Promise((resolve, reject) => {
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const leave = () => {
        finish();
        if (--load.waiting === 0 && !load.settled) load.abandon();
      };
      const onAbort = () => {
        if (done) return;
        leave();
        const reason = (signal as AbortSignal).reason;
        reject(
          new CacheError("ABORTED", `stopped waiting for key ${describe(load.key)}: ${messageOf(reason)}`, {
            cause: reason,
          }),
        );
      };
      load.result.then(
        (stored) => {
          if (done) return;
          finish();
          try {
            resolve(load.toCaller(stored));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => {
          if (done) return;
          finish();
          reject(error);
        },
      );
      if (timeoutMs !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(() => {
          if (done) return;
          leave();
          try {
            resolve(this.#staleAfterTimeout(load, timeoutMs));
          } catch (error) {
            reject(error);
          }
        }, timeoutMs);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
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

  /** How many loads are running now, stale ones included. */
  get running(): number {
    return this.#running;
  }

  /** How many loads are current (not overtaken). */
  get size(): number {
    return this.#byKey.size;
  }

  /** How many tags current loads carry. */
  get tagCount(): number {
    return this.#byTag.size;
  }

  #register(key: string, options: ResolvedOptions, noStore: boolean): Load {
    const load = new Load(key, options, noStore, this.#table.now(), this.#toCaller);
    // Only a load every caller left can still hold the key (`current` hides it): the new load
    // replaces it, and its result is no longer stored (the newer load's is, unless overtaken).
    const previous = this.#byKey.get(key);
    if (previous !== undefined) {
      previous.superseded = true;
      this.#makeStale(previous);
    }
    this.#byKey.set(key, load);
    for (const tag of options.tags) {
      const loads = this.#byTag.get(tag);
      if (loads === undefined) this.#byTag.set(tag, new Set([load]));
      else loads.add(load);
    }
    this.#running++;
    this.#stats.loads++;
    return load;
  }

  /** Stores (or discards) a loaded value and hands it to the waiters; returns the encoding error, if any. */
  #settle(load: Load, value: unknown): CacheError | undefined {
    this.#finish(load);
    if (value === undefined) {
      load.resolve(undefined);
      return undefined;
    }
    let encoded: { stored: unknown; bytes: number };
    try {
      encoded = this.#table.encode(load.key, value);
    } catch (error) {
      load.reject(error);
      return error as CacheError;
    }
    if (load.stale) {
      if (!load.superseded) this.#stats.staleLoadDiscards++;
    } else if (load.noStore) {
      // Sync was down when the load started: its callers get it, the store never does.
    } else if (this.#table.fits(encoded.bytes))
      this.#table.write(load.key, encoded.stored, encoded.bytes, load.options);
    else this.#stats.oversizeSkips++;
    load.resolve(encoded.stored);
    return undefined;
  }

  /** A failed load: waiters get a usable stale-if-error value, else `LOADER_FAILED`. Nothing is stored. */
  #fail(load: Load, error: unknown): void {
    this.#finish(load);
    const fallback = this.#canServe() ? this.#table.fallback(load.key, "error") : undefined;
    if (fallback !== undefined) {
      load.fellBack = true;
      load.resolve(fallback.stored);
      return;
    }
    load.reject(
      new CacheError("LOADER_FAILED", `loader for key ${describe(load.key)} failed: ${messageOf(error)}`, {
        cause: error,
      }),
    );
  }

  /** What a caller whose timeout ran out gets: a usable stale value (its own copy), else `LOADER_TIMEOUT`. */
  #staleAfterTimeout(load: Load, timeoutMs: Milliseconds): unknown {
    const entry = this.#canServe() ? this.#table.fallback(load.key, "read") : undefined;
    if (entry === undefined) {
      throw new CacheError(
        "LOADER_TIMEOUT",
        `the load of key ${describe(load.key)} did not settle within ${timeoutMs} ms (it goes on, and is stored if nothing overtakes it)`,
      );
    }
    const value = this.#table.decode(load.key, entry);
    this.#stats.staleHits++;
    return value;
  }

  /** One caller's decoded copy of what a load produced. */
  readonly #toCaller = (load: Load, stored: unknown): unknown => {
    if (stored === undefined) return undefined;
    if (load.fellBack) this.#stats.staleHits++;
    let copies = load.copies;
    if (copies === undefined || copies.length === 0) {
      copies = this.#table.decodeLoaded(load.key, stored, Math.max(load.waiting, 1));
      load.copies = copies;
    }
    return copies.pop();
  };

  #finish(load: Load): void {
    load.settled = true;
    this.#running--;
    if (!load.stale) this.#unregister(load);
  }

  #makeStale(load: Load): void {
    load.stale = true;
    this.#unregister(load);
  }

  #unregister(load: Load): void {
    // Identity check: a newer load for the same key may own the slot.
    if (this.#byKey.get(load.key) === load) this.#byKey.delete(load.key);
    const tags = load.options.tags;
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as string;
      const loads = this.#byTag.get(tag);
      if (loads?.delete(load) && loads.size === 0) this.#byTag.delete(tag);
    }
  }
}

function abandonedReason(load: Load): CacheError {
  return new CacheError("ABORTED", `every caller of the load of key ${describe(load.key)} stopped waiting`);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
