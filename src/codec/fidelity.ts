// What cbor-x does not give back as it was given: `-0` (written as the integer 0) and an own
// `"__proto__"` key (renamed `"__proto_"` on decode, against prototype pollution). A value holding
// either is rare, so it alone pays: `needsRewrite` finds it (the only cost for every other value),
// `rewrite` turns the whole value into plain arrays that cbor-x round-trips exactly, and the codec
// marks those bytes with a leading `REWRITTEN` byte, the one thing its decode looks at.

/** Leads the stored bytes of a rewritten value: 0xff (a CBOR "break") never starts a CBOR value. */
export const REWRITTEN = 0xff;

// What each array of a rewritten value stands for (its first item).
const ARRAY = 0;
const OBJECT = 1;
const MAP = 2;
const SET = 3;
const NEGATIVE_ZERO = 4;

const isNegativeZero = (value: number): boolean => value === 0 && 1 / value < 0;

/**
 * How many objects (arrays, maps, sets, dates, …) a value may hold inside one another. A deeper value fails
 * to encode, alike at any stack depth, in every runtime and however warm the JIT is. cbor-x encodes
 * and decodes by recursion, which gives out somewhere past 1,000 levels, at a point that depends on
 * the caller's stack and on what the JIT has compiled: without this limit a value could be stored
 * once and then fail to decode.
 *
 * @example
 * needsRewrite(JSON.parse("[".repeat(513) + "]".repeat(513))); // throws a RangeError naming the limit
 */
export const MAX_NESTING = 512;

function nestedTooDeep(): RangeError {
  return new RangeError(`the value nests objects, arrays, maps or sets deeper than ${MAX_NESTING} levels`);
}

/** Values cbor-x writes whole, by type (never as arrays or maps of what they hold). */
function isLeaf(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error ||
    value instanceof ArrayBuffer
  );
}

/**
 * Whether `value` holds a `-0` or an object with an own `"__proto__"` key, anywhere cbor-x looks:
 * array items, Map keys and values, Set items, and the own enumerable properties of other objects
 * (other iterables are left alone: reading one may use it up). Runs on every encode, so plain
 * objects and arrays come first. Throws a `RangeError` for a value nested deeper than
 * {@link MAX_NESTING} (as far as it looks: it stops at the first `-0` or `"__proto__"`, and then
 * {@link rewrite} checks).
 *
 * @example
 * needsRewrite({ a: [1, -0] }); // true
 */
export function needsRewrite(value: unknown, depth = 0): boolean {
  if (typeof value === "number") return isNegativeZero(value);
  if (typeof value !== "object" || value === null) return false;
  const level = depth + 1;
  if (level > MAX_NESTING) throw nestedTooDeep();
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsRewrite(value[i], level)) return true;
    return false;
  }
  if (value.constructor !== Object) {
    if (value instanceof Map || value instanceof Set) {
      // A Map yields [key, value] pairs: arrays, checked like any other, at the Map's own level
      // (a pair is how Map iterates, not a container of the value's).
      for (const item of value) if (needsRewrite(item, value instanceof Map ? depth : level)) return true;
      return false;
    }
    if (isLeaf(value) || Symbol.iterator in value) return false;
  }
  const object = value as Record<string, unknown>;
  // Inherited keys need no check of their own: one only makes `rewrite` run, which skips it.
  for (const key in object) if (key === "__proto__" || needsRewrite(object[key], level)) return true;
  return false;
}

/**
 * `value` as nested arrays that cbor-x round-trips exactly: every container becomes an array led by
 * what it was (`[OBJECT, key, value, …]`, `[ARRAY, …items]`, …), `-0` becomes `[NEGATIVE_ZERO]`;
 * other values stay as they are. {@link restore} turns the decoded result back.
 *
 * Throws a `RangeError` for a value nested deeper than {@link MAX_NESTING}. Given `ancestors` (an
 * empty set), it also checks that no container holds itself, and throws that set when one does:
 * how the codec tells a circular value from one nested too deeply.
 *
 * @example
 * restore(decode(encode(rewrite({ n: -0 })))); // { n: -0 }
 */
export function rewrite(value: unknown, ancestors?: Set<object>, depth = 0): unknown {
  if (typeof value === "number") return isNegativeZero(value) ? [NEGATIVE_ZERO] : value;
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_NESTING) throw nestedTooDeep();
  if (isLeaf(value)) return value;
  if (ancestors?.has(value)) throw ancestors;
  ancestors?.add(value);
  const inner = (item: unknown) => rewrite(item, ancestors, depth + 1);
  let rewritten: unknown[];
  if (value instanceof Map) rewritten = [MAP, ...Array.from(value).flat().map(inner)];
  else if (value instanceof Set) rewritten = [SET, ...Array.from(value, inner)];
  // cbor-x writes any other iterable as an array, and so does this.
  else if (Symbol.iterator in value) rewritten = [ARRAY, ...Array.from(value as Iterable<unknown>, inner)];
  else {
    const object = value as Record<string, unknown>;
    rewritten = [OBJECT];
    for (const key in object) if (Object.hasOwn(object, key)) rewritten.push(key, inner(object[key]));
  }
  ancestors?.delete(value);
  return rewritten;
}

/**
 * The value {@link rewrite} was given, from the decoded rewrite.
 *
 * @example
 * restore([OBJECT, "__proto__", [NEGATIVE_ZERO]]); // { ["__proto__"]: -0 }, an own key
 */
export function restore(rewritten: unknown): unknown {
  if (!Array.isArray(rewritten)) return rewritten;
  const items = rewritten.slice(1).map(restore);
  switch (rewritten[0]) {
    case NEGATIVE_ZERO:
      return -0;
    case ARRAY:
      return items;
    case SET:
      return new Set(items);
    default: {
      const entries: [unknown, unknown][] = [];
      for (let i = 0; i < items.length; i += 2) entries.push([items[i], items[i + 1]]);
      // Object.fromEntries defines each key as an own data property, "__proto__" included.
      return rewritten[0] === MAP
        ? new Map(entries)
        : Object.fromEntries(entries as [PropertyKey, unknown][]);
    }
  }
}
