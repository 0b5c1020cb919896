// Timing helpers shared by the workloads: mitata for per-operation latency, wall clock for
// one-shot scenarios, and rounds that run every implementation once each, in a rotating order,
// so that noise from the (shared) machine lands on all of them alike.
import { measure } from "mitata";

/** How hard to measure: `--quick` is a smoke run that only checks the scripts still work. */
export interface Settings {
  readonly quick: boolean;
  /** Rounds per workload; every implementation runs once per round and we keep the median. */
  readonly rounds: number;
}

/** mitata options for one latency measurement. */
export interface LatencyOptions {
  /** Calls per mitata sample (batched). */
  readonly batch: number;
  /** Minimum samples. */
  readonly samples: number;
  /** Minimum measured time per measurement, in ms. */
  readonly minMs: number;
}

/**
 * Median time per call of `fn`, in ns (mitata's p50 of batched samples). A promise-returning `fn`
 * is awaited on every call, so async latencies include one await, for every implementation alike.
 */
export async function latency(fn: () => unknown, options: LatencyOptions): Promise<number> {
  const stats = await measure(fn, {
    batch_samples: options.batch,
    min_samples: options.samples,
    min_cpu_time: options.minMs * 1e6,
    warmup_samples: 2,
  });
  return stats.p50;
}

/**
 * `() => op(arg)` compiled fresh for each caller, so the benchmark's own call site stays
 * monomorphic per implementation (a shared closure would go megamorphic and tax everyone).
 */
export function isolate<A>(op: (arg: A) => unknown, arg: A): () => unknown {
  return new Function("op", "arg", "return () => op(arg);")(op, arg) as () => unknown;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `items` rotated by `round` and reversed on odd rounds: nobody always runs first or last. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  const rotated = [...items.slice(shift), ...items.slice(0, shift)];
  return round % 2 === 1 ? rotated.reverse() : rotated;
}

/** A full collection, when node runs with --expose-gc (npm run bench does). */
export function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
}

/** Wall-clock milliseconds since an arbitrary origin, sub-ms resolution. */
export const now = (): number => performance.now();

/** Collects samples per (series, implementation) and reduces them to medians. */
export class Samples {
  readonly #data = new Map<string, number[]>();

  add(series: string, implementation: string, value: number): void {
    const key = `${series}\u0000${implementation}`;
    const list = this.#data.get(key);
    if (list === undefined) this.#data.set(key, [value]);
    else list.push(value);
  }

  /** The median of one series for one implementation, or `undefined` when never measured. */
  median(series: string, implementation: string): number | undefined {
    const list = this.#data.get(`${series}\u0000${implementation}`);
    return list === undefined ? undefined : median(list);
  }

  /** Medians of `series` × `ids`, leaving out what was never measured. */
  medians(series: readonly string[], ids: readonly string[]): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const name of series) {
      const row: Record<string, number> = {};
      for (const id of ids) {
        const value = this.median(name, id);
        if (value !== undefined) row[id] = value;
      }
      out[name] = row;
    }
    return out;
  }

  /** Every sample, for the JSON file. */
  toJSON(): Record<string, Record<string, number[]>> {
    const out: Record<string, Record<string, number[]>> = {};
    for (const [key, list] of this.#data) {
      const [series, implementation] = key.split("\u0000") as [string, string];
      out[series] ??= {};
      out[series][implementation] = list;
    }
    return out;
  }
}
