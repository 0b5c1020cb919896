// hydracache/db and the sync core (attachSync, memoryBus, shipped in `hydracache`) must run in every
// runtime the core runs in: each may import only the core and its own files (never drizzle,
// postgres or node:*), and use no Node-only global. The build checks the bundled graph too; this
// checks the source, file by file, with the offending line in the message.
import { readdirSync, readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";

const FOLDERS = [
  { folder: "db", minImports: 10 },
  { folder: "sync", minImports: 8 },
] as const;

for (const { folder, minImports } of FOLDERS) {
  const dir = new URL(`../../src/${folder}/`, import.meta.url);
  const files = readdirSync(dir).filter((name) => name.endsWith(".ts"));
  /** A file's code without its comment lines (doc examples may show `import … from "hydracache"`). */
  const codeOf = (name: string): string =>
    readFileSync(new URL(name, dir), "utf8")
      .split("\n")
      .filter((line) => !/^\s*(\/\/|\*|\/\*\*)/.test(line))
      .join("\n");

  test(`src/${folder}: imports only its own files and the core, by relative .ts paths`, () => {
    let imports = 0;
    for (const name of files) {
      for (const [, specifier] of codeOf(name).matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
        imports++;
        assert.ok(
          /^\.\/[\w-]+\.ts$/.test(specifier as string) ||
            /^\.\.\/core\/[\w-]+\.ts$/.test(specifier as string),
          `src/${folder}/${name} imports "${specifier}"`,
        );
      }
    }
    assert.ok(imports >= minImports, `found only ${imports} imports: the scan is broken`);
  });

  test(`src/${folder}: uses no Node-only global (Buffer, process, setImmediate, require)`, () => {
    for (const name of files) {
      const code = codeOf(name);
      for (const global of ["Buffer", "process", "setImmediate", "require", "__dirname"]) {
        assert.not.match(code, new RegExp(`\\b${global}\\b`), `src/${folder}/${name} uses ${global}`);
      }
    }
  });
}

test("src/db: has the entry and the files the contract names", () => {
  const files = readdirSync(new URL("../../src/db/", import.meta.url));
  for (const name of ["index.ts", "db-cache.ts", "query.ts", "entity.ts", "rows.ts"]) {
    assert.ok(files.includes(name), `src/db/${name} is missing`);
  }
});

test.run();
