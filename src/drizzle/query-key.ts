import { CacheError, describe } from "../core/errors.ts";

/**
 * A cache key for a query: its SQL text and parameters in a tagged, length-prefixed encoding. The
 * encoding is injective (two different queries never share a key; no hash, so no collision), keeps
 * the SQL readable in the key, and accepts every parameter type Drizzle passes to a driver: strings,
 * numbers (`-0`, `NaN`), bigints, booleans, `null`/`undefined`, `Date`s, byte arrays (`Uint8Array`,
 * `Buffer`, other typed arrays, `ArrayBuffer`), arrays and JSON objects (keys in their order, as the
 * driver serialises them; `toJSON` honoured). Functions, symbols and cyclic values throw
 * `INVALID_KEY`: no driver can send them.
 *
 * @throws {CacheError} `INVALID_KEY` (thrown) for non-string SQL, or a function, symbol or cyclic parameter.
 *
 * @example
 * queryKey('select * from "users" where "id" = $1', [42n]); // 'q:s52:select * … $1;A1:b42;'
 */
export function queryKey(sql: string, params: readonly unknown[]): string {
  if (typeof sql !== "string") {
    throw new CacheError("INVALID_KEY", `query SQL must be a string, got ${describe(sql)}`);
  }
  const parts = ["q:", `s${sql.length}:`, sql];
  encodeValue(params, parts, new Set());
  return parts.join("");
}

/**
 * One value in the encoding {@link queryKey} uses for parameters: self-delimiting, so appending it
 * to a query key keeps the key collision-free. Same input types, same `INVALID_KEY` errors.
 *
 * @throws {CacheError} `INVALID_KEY` (thrown) for a function, symbol or cyclic value.
 *
 * @example
 * queryKey(sql, params) + keyPart(["PgSelect", ["o", ["id", …]]]); // the key and the result mapping
 */
export function keyPart(value: unknown): string {
  const parts: string[] = [];
  encodeValue(value, parts, new Set());
  return parts.join("");
}

const hex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

function encodeBytes(tag: string, bytes: Uint8Array, parts: string[]): void {
  parts.push(`${tag}${bytes.length}:`);
  let text = "";
  for (const byte of bytes) text += hex[byte];
  parts.push(text);
}

// Grammar (every encoded value is self-delimiting, so a sequence of them parses one way only):
//   s<len>:<text>  string      n<number>;  number     b<digits>;  bigint    T / F  boolean
//   N null   U undefined      D<ms>;  Date          x<len>:<hex>  Uint8Array/Buffer
//   v<len>:<name>… typed array/DataView (name, then x…)   a<len>:<hex>  ArrayBuffer
//   A<count>:<values>  array    O<count>:(s…<value>)*  object    J<value>  toJSON() of an object
function encodeValue(value: unknown, parts: string[], path: Set<object>): void {
  switch (typeof value) {
    case "string":
      parts.push(`s${value.length}:`, value);
      return;
    case "number":
      parts.push(Object.is(value, -0) ? "n-0;" : `n${value};`);
      return;
    case "bigint":
      parts.push(`b${value};`);
      return;
    case "boolean":
      parts.push(value ? "T" : "F");
      return;
    case "undefined":
      parts.push("U");
      return;
    case "object":
      if (value === null) {
        parts.push("N");
        return;
      }
      encodeObject(value, parts, path);
      return;
    default:
      throw new CacheError(
        "INVALID_KEY",
        `cannot derive a cache key from a query parameter of type ${typeof value} (${describe(value)})`,
      );
  }
}

function encodeObject(value: object, parts: string[], path: Set<object>): void {
  if (value instanceof Date) {
    parts.push(`D${value.getTime()};`);
    return;
  }
  if (value instanceof Uint8Array) {
    encodeBytes("x", value, parts);
    return;
  }
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    parts.push(`v${name.length}:`, name);
    encodeBytes("x", new Uint8Array(value.buffer, value.byteOffset, value.byteLength), parts);
    return;
  }
  if (value instanceof ArrayBuffer) {
    encodeBytes("a", new Uint8Array(value), parts);
    return;
  }
  if (path.has(value)) {
    throw new CacheError("INVALID_KEY", "cannot derive a cache key from a cyclic query parameter");
  }
  path.add(value);
  if (Array.isArray(value)) {
    parts.push(`A${value.length}:`);
    for (const item of value) encodeValue(item, parts, path);
  } else if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    parts.push("J");
    encodeValue((value as { toJSON(): unknown }).toJSON(), parts, path);
  } else {
    const keys = Object.keys(value);
    parts.push(`O${keys.length}:`);
    for (const key of keys) {
      parts.push(`s${key.length}:`, key);
      encodeValue((value as Record<string, unknown>)[key], parts, path);
    }
  }
  path.delete(value);
}
