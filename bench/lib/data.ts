// Benchmark values and key streams: realistic rows (about 100 bytes as JSON), 50-row result
// arrays, and a seeded Zipf sampler so every run and every implementation sees the same keys.

/** A user row as a database driver returns it: plain JSON-compatible fields, about 100 B as JSON. */
export interface Row {
  id: number;
  email: string;
  name: string;
  role: string;
  active: boolean;
  createdAt: string;
}

/** A fresh row object for `id` (a driver allocates a new object per result). */
export function makeRow(id: number): Row {
  return {
    id,
    email: `user${id}@example.com`,
    name: `User ${id}`,
    role: id % 7 === 0 ? "admin" : "member",
    active: id % 3 !== 0,
    createdAt: "2024-05-17T09:30:00Z",
  };
}

/** A fresh 50-row result array, as a `SELECT … LIMIT 50` returns it. */
export function makeList(first: number, length = 50): Row[] {
  return Array.from({ length }, (_, i) => makeRow(first + i));
}

/** Mulberry32: a tiny seeded PRNG, so key streams are identical across runs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` key indexes in [0, n) drawn from a Zipf distribution with exponent `s` (rank 0 the most
 * popular), by inverting the exact CDF with a binary search.
 */
export function zipfIndexes(n: number, s: number, count: number, seed: number): Uint32Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let rank = 0; rank < n; rank++) {
    sum += 1 / (rank + 1) ** s;
    cdf[rank] = sum;
  }
  const random = seededRandom(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const target = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}
