import * as assert from "uvu/assert";
import { CacheError, type CacheErrorCode } from "../../src/index.ts";

/** A promise resolved or rejected by hand, to order interleavings without sleeps. */
export interface Gate<T> {
  readonly promise: Promise<T>;
  open(value: T): void;
  fail(error: unknown): void;
}

/** Creates a {@link Gate}. */
export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Lets every pending microtask and promise job run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A clock moved by hand. */
export function fakeClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

/** Asserts that `promise` rejects with a CacheError of `code` whose message matches `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: CacheErrorCode, message?: RegExp): Promise<CacheError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(CacheError.is(error), `expected a CacheError, got ${String(error)}`);
    const cacheError = error as CacheError;
    assert.is(cacheError.code, code, cacheError.message);
    if (message) assert.match(cacheError.message, message);
    return cacheError;
  }
  throw new assert.Assertion({ message: `expected a rejection with ${code}`, operator: "rejects" });
}
