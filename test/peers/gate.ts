// Shared by the peer tests: a promise settled by hand, so a load is still running when the test
// invalidates its key (no sleeps decide the order).
export interface Gate<T> {
  readonly promise: Promise<T>;
  open(value: T): void;
}

export function gate<T>(): Gate<T> {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** How a promise settled: `["resolved", value]` or `["rejected", message]`. */
export function outcome(promise: Promise<unknown>): Promise<[string, unknown]> {
  return promise.then(
    (value): [string, unknown] => ["resolved", value],
    (error: unknown): [string, unknown] => ["rejected", error instanceof Error ? error.message : error],
  );
}

/** Lets a library's own promise jobs and timers of 0 ms run (its factory has started). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
