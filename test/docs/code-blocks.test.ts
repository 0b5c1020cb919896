// Every ```ts block of README.md and docs/*.md is a whole program that type-checks and runs, so
// examples never rot. Blocks are written into .tmp/docs/ inside the repository, so `hydracache`,
// `hydracache/db` and `hydracache/drizzle` resolve by package self-reference to the built dist/
// (exactly what a user gets, types included). tsc checks all blocks at once (strict, with the
// published declarations); then each block runs under Node with tsx. Blocks that need a database
// use embedded PGlite. Fences name a known language: `ts` for TypeScript, `sh` for commands, `text`
// for output and pictures; an invented one (`ts-snippet`) would hide a block from both checks.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { typeCheckAsUser } from "../types/user-project.ts";
import { documents, root } from "./documents.ts";

const run = promisify(execFile);
const outDir = join(root, ".tmp", "docs");
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

/** Fence languages a page may use. */
const LANGUAGES = new Set(["ts", "sh", "text", "json", "jsonc", "sql"]);

interface Block {
  document: string;
  line: number;
  file: string;
}

const blocks: Block[] = [];
const badFences: string[] = [];
for (const document of documents) {
  const text = readFileSync(join(root, document), "utf8");
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  // Opening fences only: a fence line (indented in a list item, or not) followed by content and a
  // closing fence of the same indentation.
  for (const match of text.matchAll(/^( *)```([^\n`]*)\n([\s\S]*?)^\1```[ \t]*$/gm)) {
    const indent = (match[1] as string).length;
    const language = (match[2] as string).trim();
    const line = lineOf(match.index);
    if (!LANGUAGES.has(language)) {
      badFences.push(`${document}:${line}: \`\`\`${language}`);
      continue;
    }
    if (language !== "ts") continue;
    const file = join(outDir, `${basename(document, ".md")}-${line}.ts`);
    const code = (match[3] as string)
      .split("\n")
      .map((row) => row.slice(Math.min(indent, row.length - row.trimStart().length)))
      .join("\n");
    // `export {}` makes every block a module, so top-level await type-checks in each.
    writeFileSync(file, `${code}\nexport {};\n`);
    blocks.push({ document, line, file });
  }
}

test("every fenced block names a known language (ts, sh, text, json, jsonc, sql)", () => {
  assert.equal(badFences, [], `unknown fence languages:\n  ${badFences.join("\n  ")}`);
});

// One tsc run over every block, against the built package's declarations.
const typeErrors: Promise<string> = typeCheckAsUser(outDir, {
  compilerOptions: {
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    types: ["node"],
  },
  include: ["*.ts"],
});

/** tsc's errors for one block, with block lines turned into page lines. */
async function errorsOf(block: Block): Promise<string[]> {
  const prefix = `${block.file.slice(root.length)}(`;
  return (await typeErrors)
    .split("\n")
    .filter((line) => line.startsWith(prefix) || line.startsWith(`${block.file}(`))
    .map((line) =>
      line.replace(/^[^(]*\((\d+),(\d+)\)/, (_, row: string, column: string) => {
        return `${block.document}:${block.line + Number(row)}:${column}`;
      }),
    );
}

// Blocks run two at a time (PGlite blocks take seconds to start); each test awaits its own.
const CONCURRENCY = 2;
const results = new Map<Block, Promise<string | undefined>>();
const lanes = Array.from({ length: CONCURRENCY }, () => Promise.resolve());
blocks.forEach((block, index) => {
  const lane = index % CONCURRENCY;
  const result = (lanes[lane] as Promise<void>).then(() =>
    run(process.execPath, ["--import", "tsx", block.file], { cwd: root, timeout: 120_000 }).then(
      () => undefined,
      (error: { stdout?: string; stderr?: string }) =>
        `${error.stdout ?? ""}\n${error.stderr ?? String(error)}`,
    ),
  );
  lanes[lane] = result.then(() => undefined);
  results.set(block, result);
});

for (const block of blocks) {
  test(`${block.document}:${block.line} type-checks`, async () => {
    const errors = await errorsOf(block);
    assert.equal(
      errors,
      [],
      `${block.document}:${block.line} does not type-check:\n  ${errors.join("\n  ")}`,
    );
  });
  test(`${block.document}:${block.line} runs`, async () => {
    const failure = await results.get(block);
    if (failure !== undefined) assert.unreachable(`${block.document}:${block.line} failed:\n${failure}`);
  });
}

test("the harness found the README's blocks", () => {
  assert.ok(blocks.filter((block) => block.document === "README.md").length >= 2);
});

test.run();
