/**
 * What `subscribe` listeners receive after every invalidation: the keys, tags or everything it
 * removed (a `put` reports its key: other instances must drop their copy), and where it came from:
 * this process (`"local"`), or another instance through `applyInvalidation` or a sync resync
 * (`"remote"`), so a transport never publishes it back.
 *
 * @example
 * cache.subscribe((event) => console.log(event.origin, event.keys ?? event.tags ?? "everything"));
 */
export interface CacheEvent {
  readonly type: "invalidate";
  readonly keys?: readonly string[];
  readonly tags?: readonly string[];
  readonly all?: true;
  readonly origin: "local" | "remote";
}

/**
 * A `subscribe` listener. It runs synchronously, after the change took effect; one that throws does
 * not stop the others nor undo the change, and its error is rethrown on a later turn.
 *
 * @example
 * const listener: CacheEventListener = (event) => metrics.invalidations.inc();
 */
export type CacheEventListener = (event: CacheEvent) => void;

/** The engine's listeners; with none, emitting costs one size check. */
export class Listeners {
  readonly #listeners = new Set<CacheEventListener>();

  /** Whether anyone listens (callers skip building events otherwise). */
  get active(): boolean {
    return this.#listeners.size > 0;
  }

  /** Adds a listener; returns the function that removes it. */
  add(listener: CacheEventListener): () => void {
    // A wrapper per subscription, so subscribing one function twice gives two independent subscriptions.
    const entry: CacheEventListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Calls every listener with `event`. */
  emit(event: CacheEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
