// The engine on its own: a load, a hit, 1,000 concurrent callers sharing one load, and a tag
// invalidation that overtakes a running load. Run it with `npx tsx examples/core-demo.ts`.
import { HydraCache } from "../src/index.ts";

interface Product {
  id: number;
  name: string;
  price: number;
}

const cache = HydraCache.local().defaultTtl(60_000).maxCapacity(10_000).build();
let queries = 0;
const slowQuery = async (id: number): Promise<Product> => {
  queries++;
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { id, name: `product ${id}`, price: 9.99 };
};

const time = async <T>(run: () => Promise<T>): Promise<[T, string]> => {
  const started = performance.now();
  const result = await run();
  return [result, `${(performance.now() - started).toFixed(3)} ms`];
};

const rows: Array<{ step: string; time: string; queries: number }> = [];
const record = (step: string, took: string) => rows.push({ step, time: took, queries });

const [, cold] = await time(() => cache.getOrLoad("product:1", { tags: ["products"] }, () => slowQuery(1)));
record("cold load of product:1", cold);
const [, warm] = await time(() => cache.getOrLoad("product:1", { tags: ["products"] }, () => slowQuery(1)));
record("hit on product:1", warm);

const [, stampede] = await time(() =>
  Promise.all(Array.from({ length: 1_000 }, () => cache.getOrLoad("product:2", () => slowQuery(2)))),
);
record("1,000 concurrent misses on product:2", stampede);

// A write lands while a load is running: the load's (old) result goes to its caller, unstored.
let release!: (product: Product) => void;
const running = cache.getOrLoad<Product>(
  "product:3",
  { tags: ["products"] },
  () =>
    new Promise<Product>((resolve) => {
      queries++;
      release = resolve;
    }),
);
await cache.invalidateTag("products");
release({ id: 3, name: "read before the write", price: 1 });
const [stale, staleTook] = await time(() => running);
record(`load overtaken by invalidateTag returned "${stale.name}"`, staleTook);
record(`product:3 stored afterwards? ${(await cache.containsKey("product:3")) ? "yes" : "no"}`, "-");

console.log("\nhydracache core demo\n");
console.table(rows);
console.log("\nengine stats");
console.table(cache.stats());
