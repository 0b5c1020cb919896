/**
 * Every error code a {@link CacheError} can carry.
 *
 * @example
 * if (CacheError.is(error) && error.code === "LOADER_FAILED") log(error.cause);
 */
export type CacheErrorCode =
  | "LOADER_FAILED"
  | "ENCODE_FAILED"
  | "DECODE_FAILED"
  | "INVALID_KEY"
  | "INVALID_VALUE"
  | "INVALID_OPTIONS"
  | "ENTRY_TOO_LARGE"
  | "LOADER_TIMEOUT"
  | "ABORTED"
  | "MISSING_KEY"
  | "ROW_NOT_FOUND"
  | "SYNC_NOT_CONFIRMED";

// A registry symbol, so a CacheError from another installed copy of hydracache is recognised too.
const BRAND = Symbol.for("hydracache.CacheError");

/**
 * The one error type hydracache rejects with. `code` is stable and meant for programs;
 * `cause` carries the underlying error (a loader's, a codec's).
 *
 * @example
 * try {
 *   await cache.getOrLoad("user:1", () => db.loadUser(1));
 * } catch (error) {
 *   if (CacheError.is(error) && error.code === "LOADER_FAILED") console.error(error.cause);
 * }
 */
export class CacheError extends Error {
  /** What went wrong, as a stable code. */
  readonly code: CacheErrorCode;

  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CacheError";
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Brand check that also recognises errors from a second installed copy of hydracache. */
  static is(value: unknown): value is CacheError {
    return typeof value === "object" && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }
}

/** The longest string {@link describe} renders in full; longer ones are cut with an ellipsis. */
const MAX_DESCRIBED = 64;

/**
 * Renders a user-supplied value for an error message without throwing on exotic input, and
 * without printing it whole: a function is `a function` (with its name, if any), never its source;
 * a long string is cut with an ellipsis and its length.
 */
export function describe(value: unknown): string {
  if (typeof value === "string") return cut(JSON.stringify(value), value.length);
  if (typeof value === "bigint") return cut(`${value}n`, 0);
  if (typeof value === "function") return value.name ? `a function (${describe(value.name)})` : "a function";
  if (typeof value === "symbol") return cut(String(value), 0);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** `text` cut after {@link MAX_DESCRIBED} characters, with an ellipsis and (when given) the full length. */
function cut(text: string, length: number): string {
  if (text.length <= MAX_DESCRIBED + 2) return text;
  return `${text.slice(0, MAX_DESCRIBED)}…${length > 0 ? ` (${length} characters)` : ""}`;
}

/** The message of a thrown value, for wrapping it in a {@link CacheError}: `error.message`, else `String(error)`. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
