// (G) placeholder until src/drizzle lands.
import type { Settings } from "../lib/measure.ts";
import type { WorkloadResult } from "../lib/report.ts";

export async function drizzle(_settings: Settings): Promise<WorkloadResult> {
  return { id: "G", title: "Drizzle", markdown: "### (G) Drizzle\n\nNot run yet.", medians: {} };
}
