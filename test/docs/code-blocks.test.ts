// Runs every ```ts code block of README.md and docs/*.md as a program, so examples never rot.
// A block is written into .tmp/docs/ inside the repository, so `hydracache`, `hydracache/db`
// and `hydracache/drizzle` resolve by package self-reference to the built dist/ — exactly what
// a user gets. Fragments that cannot run on their own are fenced as ```ts-snippet instead.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const outDir = join(root, ".tmp", "docs");
mkdirSync(outDir, { recursive: true });

const documents = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

for (const document of documents) {
  const text = readFileSync(join(root, document), "utf8");
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, match.index).split("\n").length;
    const file = join(outDir, `${basename(document, ".md")}-${line}.ts`);
    test(`${document}:${line} runs`, async () => {
      writeFileSync(file, match[1] as string);
      try {
        await run(process.execPath, ["--import", "tsx", file], { cwd: root, timeout: 120_000 });
      } catch (error) {
        const { stderr, stdout } = error as { stderr?: string; stdout?: string };
        assert.unreachable(`${document}:${line} failed:\n${stdout ?? ""}\n${stderr ?? String(error)}`);
      }
    });
  }
}

test.run();
