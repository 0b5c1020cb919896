// Copies of a decoded value without decoding again. A copy is new wherever a caller could change
// something (objects, arrays, dates, maps, sets, byte arrays) and shares only what no caller can
// change: strings, numbers, bigints, booleans, null and undefined. So it cannot be told apart from
// a fresh decode, and costs a fraction of one: most of a decode is making strings from bytes.

/**
 * Makes one copy of the value it was built for (rows of one shape share one).
 *
 * @example
 * const copy: Copier | undefined = new Copiers(false).for(row);
 */
export type Copier = (value: never) => unknown;

/** How a value is copied inline by its parent; `undefined`: it needs a copier of its own. */
type Inline = "primitive" | "date" | "primitives";

/** Most keys an object may have for its shape to be compiled into one function. */
const MAX_COMPILED_KEYS = 64;
/** Compiled object shapes kept; past this many, new shapes are copied without compiling. */
const MAX_SHAPES = 512;

const TYPED_ARRAY_PROTOTYPES: ReadonlySet<object> = new Set(
  [
    Uint8Array,
    Uint8ClampedArray,
    Uint16Array,
    Uint32Array,
    Int8Array,
    Int16Array,
    Int32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ].map((type) => type.prototype),
);

const copyTypedArray = (value: Uint8Array): Uint8Array => value.slice();

/** The copier for each way a value is copied inline (what compiled code writes in place). */
const INLINE_COPIERS: Readonly<Record<Inline, Copier>> = {
  primitive: (value) => value,
  date: ((value: Date) => new Date(value.getTime())) as Copier,
  primitives: ((value: unknown[]) => value.slice()) as Copier,
};

function inline(value: unknown): Inline | undefined {
  if (typeof value !== "object" || value === null) return "primitive";
  if (value instanceof Date && Object.getPrototypeOf(value) === Date.prototype) return "date";
  if (isPlainArray(value) && value.every((item) => typeof item !== "object" || item === null))
    return "primitives";
  return undefined;
}

const isPlainArray = (value: object): value is unknown[] =>
  Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;

/**
 * Builds copiers for decoded values: compiled per object shape (`new Function`) where the runtime
 * allows it, plain loops elsewhere. One per codec; its compiled shapes are shared by every value
 * of that shape.
 *
 * @example
 * const row = { id: 1, at: new Date(0) };
 * const copy = new Copiers(true).for(row); // undefined for a value it cannot copy
 * copy?.(row as never); // { id: 1, at: Date(0) }: a new object and a new Date, every call
 */
export class Copiers {
  readonly #compile: boolean;
  /**
   * Object shape (keys, and how each value is copied) → a factory taking the non-inline copiers,
   * and for a shape with none (a row of a table), the one copier every value of it shares.
   */
  readonly #shapes = new Map<string, { factory: (...children: Copier[]) => Copier; shared?: Copier }>();

  /** `compile`: whether code may be generated (see `canGenerateCode`). */
  constructor(compile: boolean) {
    this.#compile = compile;
  }

  /**
   * A copier for `value` (values it was not built for may need another); `undefined` when `value` holds anything but
   * primitives, plain objects and arrays, dates, maps, sets and typed arrays (a class instance, a
   * RegExp, an Error, a cbor-x Tag, a `Buffer`), which only a decode reproduces.
   */
  for(value: unknown): Copier | undefined {
    try {
      return this.#copier(value);
    } catch {
      return undefined; // nested too deep for the stack: decode instead
    }
  }

  #copier(value: unknown): Copier | undefined {
    const how = inline(value);
    if (how !== undefined) return INLINE_COPIERS[how];
    const object = value as object;
    if (isPlainArray(object)) return this.#array(object);
    const prototype = Object.getPrototypeOf(object);
    if (prototype === Object.prototype) return this.#object(object as Record<string, unknown>);
    if (TYPED_ARRAY_PROTOTYPES.has(prototype)) return copyTypedArray as Copier;
    if (object instanceof Map && prototype === Map.prototype) return this.#map(object);
    if (object instanceof Set && prototype === Set.prototype) return this.#set(object);
    return undefined;
  }

  /** Rows of one shape share one copier; anything else gets one copier per item. */
  #array(array: readonly unknown[]): Copier | undefined {
    const row = rowOf(array[0]);
    if (row !== undefined && array.every((item) => fitsRow(item, row))) {
      const copy = this.#copier(array[0]) as (item: unknown) => unknown;
      return ((items: readonly unknown[]) => {
        const n = items.length;
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = copy(items[i]);
        return out;
      }) as Copier;
    }
    const copiers = this.#all(array);
    if (copiers === undefined) return undefined;
    return ((items: readonly unknown[]) => {
      const n = copiers.length;
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = (copiers[i] as Copier)(items[i] as never);
      return out;
    }) as Copier;
  }

  #object(record: Record<string, unknown>): Copier | undefined {
    const keys = Object.keys(record);
    const inlines = keys.map((key) => inline(record[key]));
    const children: Copier[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (inlines[i] !== undefined) continue;
      const child = this.#copier(record[keys[i] as string]);
      if (child === undefined) return undefined;
      children.push(child);
    }
    if (!this.#compile || keys.length > MAX_COMPILED_KEYS) return copyObject(keys, inlines, children);
    const shape = shapeKey(keys, inlines);
    let compiled = this.#shapes.get(shape);
    if (compiled === undefined) {
      if (this.#shapes.size >= MAX_SHAPES) return copyObject(keys, inlines, children);
      const factory = compileObject(keys, inlines);
      compiled = children.length === 0 ? { factory, shared: factory() } : { factory };
      this.#shapes.set(shape, compiled);
    }
    return compiled.shared ?? compiled.factory(...children);
  }

  #map(map: Map<unknown, unknown>): Copier | undefined {
    const copiers = this.#all([...map].flat());
    if (copiers === undefined) return undefined;
    return ((source: Map<unknown, unknown>) => {
      const out = new Map();
      let i = 0;
      for (const [key, item] of source) {
        out.set((copiers[i] as Copier)(key as never), (copiers[i + 1] as Copier)(item as never));
        i += 2;
      }
      return out;
    }) as Copier;
  }

  #set(set: Set<unknown>): Copier | undefined {
    const copiers = this.#all([...set]);
    if (copiers === undefined) return undefined;
    return ((source: Set<unknown>) => {
      const out = new Set();
      let i = 0;
      for (const item of source) out.add((copiers[i++] as Copier)(item as never));
      return out;
    }) as Copier;
  }

  /** One copier per item, or `undefined` when any item cannot be copied. */
  #all(items: readonly unknown[]): Copier[] | undefined {
    const copiers: Copier[] = [];
    for (const item of items) {
      const copier = this.#copier(item);
      if (copier === undefined) return undefined;
      copiers.push(copier);
    }
    return copiers;
  }
}

/** A plain object's keys and how each value is copied. */
interface Row {
  readonly keys: readonly string[];
  readonly inlines: readonly Inline[];
}

/** The row shape of a plain object whose values are all copied inline (a database row), else `undefined`. */
function rowOf(item: unknown): Row | undefined {
  if (typeof item !== "object" || item === null || Object.getPrototypeOf(item) !== Object.prototype)
    return undefined;
  const record = item as Record<string, unknown>;
  const keys = Object.keys(record);
  const inlines: Inline[] = [];
  for (const key of keys) {
    const how = inline(record[key]);
    if (how === undefined) return undefined;
    inlines.push(how);
  }
  return { keys, inlines };
}

/** Whether `item` has exactly the row shape `row` (so `row`'s copier copies it). */
function fitsRow(item: unknown, row: Row): boolean {
  if (typeof item !== "object" || item === null || Object.getPrototypeOf(item) !== Object.prototype)
    return false;
  const record = item as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== row.keys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key !== row.keys[i] || inline(record[key]) !== row.inlines[i]) return false;
  }
  return true;
}

function shapeKey(keys: readonly string[], inlines: readonly (Inline | undefined)[]): string {
  return JSON.stringify([keys, inlines]);
}

/** The expression that copies `t[key]` in compiled code: inline, or through the next child copier. */
function expression(key: string, how: Inline | undefined, child: () => string): string {
  const read = `t[${JSON.stringify(key)}]`;
  switch (how) {
    case "primitive":
      return read;
    case "date":
      return `new Date(${read}.getTime())`;
    case "primitives":
      return `${read}.slice()`;
    default:
      return `${child()}(${read})`;
  }
}

/**
 * Compiles an object literal for one shape: V8 builds it from one boilerplate, in one step.
 */
function compileObject(
  keys: readonly string[],
  inlines: readonly (Inline | undefined)[],
): (...children: Copier[]) => Copier {
  const params: string[] = [];
  const fields = keys.map((key, i) => {
    const value = expression(key, inlines[i], () => {
      const name = `c${params.length}`;
      params.push(name);
      return name;
    });
    // A quoted "__proto__": would set the prototype; a computed key defines an own property.
    return `${key === "__proto__" ? '["__proto__"]' : JSON.stringify(key)}: ${value}`;
  });
  return new Function(...params, `return (t) => ({ ${fields.join(", ")} });`) as (
    ...children: Copier[]
  ) => Copier;
}

/** The same copy as {@link compileObject}'s, without generating code. */
function copyObject(
  keys: readonly string[],
  inlines: readonly (Inline | undefined)[],
  children: readonly Copier[],
): Copier {
  let next = 0;
  const copiers = inlines.map((how) =>
    how === undefined ? (children[next++] as Copier) : INLINE_COPIERS[how],
  );
  return ((source: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const value = (copiers[i] as Copier)(source[key] as never);
      if (key === "__proto__") {
        Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      } else {
        out[key] = value;
      }
    }
    return out;
  }) as Copier;
}
