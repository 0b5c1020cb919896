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

/** Asserts `actual` has exactly the own keys, in order, and values of `expected`, `-0` apart from `0`. */
export function assertExact(actual: unknown, expected: unknown, path = "$"): void {
  if (typeof expected !== "object" || expected === null) {
    assert.ok(Object.is(actual, expected), `${path}: ${String(actual)} is not ${String(expected)}`);
    return;
  }
  assert.ok(typeof actual === "object" && actual !== null, `${path}: not an object`);
  assert.is(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected), `${path}: prototype`);
  if (expected instanceof Map) {
    assertExact([...(actual as Map<unknown, unknown>)], [...expected], path);
    return;
  }
  if (expected instanceof Set || ArrayBuffer.isView(expected)) {
    assertExact([...(actual as Iterable<unknown>)], [...(expected as Iterable<unknown>)], path);
    return;
  }
  if (expected instanceof Date) {
    assert.is((actual as Date).getTime(), expected.getTime(), path);
    return;
  }
  if (expected instanceof RegExp) {
    assert.is(String(actual), String(expected), path);
    return;
  }
  assert.equal(Object.keys(actual), Object.keys(expected), `${path}: own keys`);
  for (const key of Object.keys(expected)) {
    const descriptor = Object.getOwnPropertyDescriptor(actual, key);
    assert.ok(
      descriptor?.enumerable && descriptor.writable && "value" in descriptor,
      `${path}.${key}: data key`,
    );
    assertExact(descriptor?.value, (expected as Record<string, unknown>)[key], `${path}.${key}`);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 5 ms until it returns true; rejects after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
