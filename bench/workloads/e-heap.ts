// (E) Memory per entry at 100k entries: (heapUsed + external) after a full GC, minus the same
// before the cache was created, divided by the entries held. Needs node --expose-gc.

import { setTimeout as sleep } from "node:timers/promises";
import { IMPLEMENTATIONS, type Implementation } from "../lib/adapters.ts";
import { makeRow } from "../lib/data.ts";
import { collect, median, roundOrder, type Settings } from "../lib/measure.ts";
import { count, type Medians, seriesOf, table, type WorkloadResult } from "../lib/report.ts";

/**
 * The capacity setting that makes `impl` hold all `n` entries. hydracache's hard bound keeps
 * between ⌈c/2⌉ and c entries, so it needs c = 2n to be sure of holding n.
 */
const capacityFor = (impl: Implementation, n: number): number => (impl.id.startsWith("hydra") ? 2 * n : n);

/**
 * Memory after a full GC. Sleeps first: some libraries keep a timer (lru-cache's TTL clock) whose
 * closure pins the previous cache until it fires, and timers never fire inside an await loop.
 */
async function settledUsage(): Promise<{ heap: number; external: number }> {
  await sleep(20);
  collect();
  const { heapUsed, external } = process.memoryUsage();
  return { heap: heapUsed, external };
}

export async function heapPerEntry(settings: Settings): Promise<WorkloadResult> {
  const entries = settings.quick ? 10_000 : 100_000;
  const gcExposed = typeof (globalThis as { gc?: unknown }).gc === "function";
  const perEntry: Record<string, { heap: number[]; external: number[]; afterHits: number[] }> = {};
  for (let round = 0; round < Math.min(settings.rounds, 3); round++) {
    for (const impl of roundOrder(IMPLEMENTATIONS, round)) {
      const before = await settledUsage();
      let cache: ReturnType<Implementation["create"]> | undefined = impl.create({
        capacity: capacityFor(impl, entries),
        loader: (key) => makeRow(Number(key.slice(5))),
      });
      for (let i = 0; i < entries; i++) await cache.getOrLoad(`heap:${i}`);
      const after = await settledUsage();
      const held = cache.held() ?? entries;
      if (held !== entries) throw new Error(`${impl.name} holds ${held} entries, expected ${entries}`);
      // Then two hits on every entry: a copying cache may keep what it decoded for later hits.
      for (let i = 0; i < 2 * entries; i++) await cache.get(`heap:${i % entries}`);
      const afterHits = await settledUsage();
      const slot = perEntry[impl.id] ?? { heap: [], external: [], afterHits: [] };
      perEntry[impl.id] = slot;
      slot.heap.push((after.heap - before.heap) / held);
      slot.external.push((after.external - before.external) / held);
      slot.afterHits.push((afterHits.heap + afterHits.external - before.heap - before.external) / held);
      await cache.close();
      cache = undefined;
    }
  }
  collect();
  const ids = IMPLEMENTATIONS.map((impl) => impl.id);
  const heapPerEntry = seriesOf(ids, (id) => (perEntry[id] ? median(perEntry[id].heap) : undefined));
  const externalPerEntry = seriesOf(ids, (id) => (perEntry[id] ? median(perEntry[id].external) : undefined));
  const bytesPerEntry = seriesOf(ids, (id) =>
    heapPerEntry[id] === undefined ? undefined : heapPerEntry[id] + (externalPerEntry[id] ?? 0),
  );
  const afterHitsPerEntry = seriesOf(ids, (id) =>
    perEntry[id] ? median(perEntry[id].afterHits) : undefined,
  );
  const medians: Medians = { bytesPerEntry, heapPerEntry, externalPerEntry, afterHitsPerEntry };
  const markdown = [
    `### (E) Memory per entry at ${count(entries)} entries`,
    "",
    `(heapUsed + external) growth after a full GC, per entry held; each entry a ~100 B row under a ~10-character key, loaded through getOrLoad; then again after two \`get\`s of every entry. Median of ${Math.min(settings.rounds, 3)} rounds.${gcExposed ? "" : " **gc was not exposed: figures are unreliable (run with node --expose-gc).**"}`,
    "",
    table(
      [
        "implementation",
        "bytes / entry",
        "JS heap",
        "external (ArrayBuffers)",
        "after two hits each",
        "stored as",
      ],
      IMPLEMENTATIONS.map((impl) => [
        impl.name,
        count(bytesPerEntry[impl.id]),
        count(heapPerEntry[impl.id]),
        count(externalPerEntry[impl.id]),
        count(afterHitsPerEntry[impl.id]),
        impl.id.endsWith("cbor") ? "CBOR bytes" : impl.id === "bentocache" ? "JSON string" : "the row object",
      ]),
      "lrrrrl",
    ),
  ].join("\n");
  return { id: "E", title: "Memory", markdown, medians, data: perEntry };
}
