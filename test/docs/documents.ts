// The pages the docs tests read: README.md and every docs/*.md, in a stable order.
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** The repository root (a path ending in `/`). */
export const root: string = new URL("../../", import.meta.url).pathname;

/** README.md and docs/*.md, as paths relative to the root. */
export const documents: readonly string[] = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];
