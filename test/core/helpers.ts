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
export async function rejectsWith(
  promise: Promise<unknown>,
  code: CacheErrorCode,
  message?: RegExp,
): Promise<CacheError> {
  const outcome = await promise.then(
    (value) => ({ rejected: false, value }),
    (error: unknown) => ({ rejected: true, value: error }),
  );
  assert.ok(outcome.rejected, `expected a rejection with ${code}, got ${String(outcome.value)}`);
  assert.ok(CacheError.is(outcome.value), `expected a CacheError, got ${String(outcome.value)}`);
  const error = outcome.value as CacheError;
  assert.is(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return error;
}

/** Lets every pending promise job run (one macrotask turn; no timer, no wall-clock wait). */
export function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `fn` with `setTimeout` replaced by a recorder, and returns what it returned with the
 * callbacks it scheduled: the test fires them by hand, so a per-call `timeout` runs out exactly
 * when the test says, whatever the machine's speed. Only timers scheduled synchronously inside `fn`
 * are captured (the engine arms a caller's timeout when the caller starts waiting); a handle the
 * engine later passes to the real `clearTimeout` is a plain object, which it ignores.
 */
export function captureTimeouts<T>(fn: () => T): { result: T; timers: Array<{ ms: number; fire(): void }> } {
  const timers: Array<{ ms: number; fire(): void }> = [];
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    timers.push({ ms: ms ?? 0, fire: callback });
    return {};
  }) as unknown as typeof setTimeout;
  try {
    return { result: fn(), timers };
  } finally {
    globalThis.setTimeout = real;
  }
}
