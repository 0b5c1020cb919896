// attachSync and memoryBus ship in `hydracache`, which runs in every runtime: src/sync may import
// only its own files and the core, and use no Node-only global. src/postgres never leaks into
// them (the build checks the bundled graph as well).
import { readdirSync, readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";

const dir = new URL("../../src/sync/", import.meta.url);
const files = readdirSync(dir).filter((name) => name.endsWith(".ts"));

/** A file's code without its comment lines (doc examples may show imports). */
const codeOf = (name: string): string =>
  readFileSync(new URL(name, dir), "utf8")
    .split("\n")
    .filter((line) => !/^\s*(\/\/|\*|\/\*\*)/.test(line))
    .join("\n");

test("src/sync: imports only its own files and the core, by relative .ts paths", () => {
  let imports = 0;
  for (const name of files) {
    for (const [, specifier] of codeOf(name).matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
      imports++;
      assert.ok(
        /^\.\/[\w-]+\.ts$/.test(specifier as string) || /^\.\.\/core\/[\w-]+\.ts$/.test(specifier as string),
        `src/sync/${name} imports "${specifier}"`,
      );
    }
  }
  assert.ok(imports >= 8, `found only ${imports} imports: the scan is broken`);
});

test("src/sync: uses no Node-only global (Buffer, process, setImmediate, require)", () => {
  for (const name of files) {
    const code = codeOf(name);
    for (const global of ["Buffer", "process", "setImmediate", "require", "__dirname"]) {
      assert.not.match(code, new RegExp(`\\b${global}\\b`), `src/sync/${name} uses ${global}`);
    }
  }
});

test.run();
