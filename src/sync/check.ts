import { CacheError, describe } from "../core/errors.ts";
import type { InvalidationEvent } from "./types.ts";

/**
 * Checks that `options` is undefined or a plain object whose keys are all in `known`, and returns
 * it as an object; anything else throws `INVALID_OPTIONS` naming `where` and the offending key.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for a non-object or an unknown key.
 */
export function checkOptionsObject<T extends object>(
  options: T | undefined,
  known: readonly string[],
  where: string,
): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new CacheError("INVALID_OPTIONS", `${where}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new CacheError(
        "INVALID_OPTIONS",
        `${where}: unknown option ${describe(key)} (known: ${known.join(", ")})`,
      );
    }
  }
  return options;
}

/**
 * A positive, finite number of milliseconds, else `INVALID_OPTIONS` naming `option`.
 *
 * @throws {CacheError} `INVALID_OPTIONS` (thrown) for anything but a positive finite number.
 */
export function checkPositiveMs(value: unknown, option: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new CacheError(
      "INVALID_OPTIONS",
      `${option} must be a positive finite number of ms, got ${describe(value)}`,
    );
  }
  return value;
}

const EVENT_KEYS = new Set(["keys", "tags", "all"]);

const isStringArray = (value: unknown): value is readonly string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/**
 * Whether `value` is a well-formed {@link InvalidationEvent}: an object with only `keys` and
 * `tags` (arrays of strings) and `all` (a boolean), each optional. Never throws.
 */
export function isInvalidationEvent(value: unknown): value is InvalidationEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const event = value as Record<string, unknown>;
  return (
    Object.keys(event).every((key) => EVENT_KEYS.has(key)) &&
    (event.keys === undefined || isStringArray(event.keys)) &&
    (event.tags === undefined || isStringArray(event.tags)) &&
    (event.all === undefined || typeof event.all === "boolean")
  );
}
