// An in-memory stand-in for a database table and its query builders: queries are lazy thenables
// that run (and count) only when their `then` is called, as Drizzle's do.
import type { ConformanceRow, RowSourceFixture } from "./row-conformance.ts";

/** A lazy query: runs `run` each time it is awaited, never before. */
export class LazyQuery<R> implements PromiseLike<R> {
  /** How many times `then` was called (a hit must leave it at 0). */
  thenCalls = 0;
  readonly #run: () => R;

  constructor(run: () => R) {
    this.#run = run;
  }

  // biome-ignore lint/suspicious/noThenProperty: a query builder is a thenable by design.
  then<A = R, B = never>(
    onfulfilled?: ((value: R) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    this.thenCalls++;
    return new Promise<R>((resolve) => resolve(this.#run())).then(onfulfilled, onrejected);
  }
}

/** An in-memory table of rows with lazy, counted queries. */
export class MemoryTable<Row extends { id: number }> {
  readonly rows: Row[] = [];
  /** How many queries actually ran. */
  queries = 0;

  /** A lazy query for the rows matching `filter`, ordered by id (copies, like a driver's fresh rows). */
  select(filter: (row: Row) => boolean = () => true): LazyQuery<Row[]> {
    return new LazyQuery(() => {
      this.queries++;
      return this.rows
        .filter(filter)
        .sort((a, b) => a.id - b.id)
        .map((row) => ({ ...row }));
    });
  }

  /** A lazy query that fails like a driver does when it runs. */
  failing(error: unknown = new Error('relation "missing" does not exist')): LazyQuery<Row[]> {
    return new LazyQuery(() => {
      this.queries++;
      throw error;
    });
  }
}

/** The conformance fixture over a {@link MemoryTable}. */
export function memoryFixture(): RowSourceFixture {
  const table = new MemoryTable<ConformanceRow>();
  return {
    async insert(rows) {
      table.rows.push(...rows.map((row) => ({ ...row })));
    },
    byId: (id) => table.select((row) => row.id === id),
    byName: (name) => table.select((row) => row.name === name),
    preparedByName: (name) => ({ execute: () => table.select((row) => row.name === name) }),
    failing: () => table.failing(),
    queryCount: () => table.queries,
  };
}
