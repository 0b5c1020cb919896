// Checks the declarations as they are packed (`npm pack --dry-run`, after `npm run build`):
// - nothing marked `@internal` in src/ is declared in a published .d.ts (tsconfig's `stripInternal`),
//   and neither is anything the engine's seams module (src/core/internal.ts) re-exports;
// - every published .d.ts has its declaration map, and the sources the map points to are packed too,
//   so "go to definition" in an editor lands in the TypeScript source;
// - the .d.ts files `hydracache` and `hydracache/db` reach type-check on their own (no skipLibCheck,
//   no Node types), so stripping left no reference to a declaration that is gone. (Those of
//   `hydracache/drizzle` need drizzle-orm's, which do not type-check without skipLibCheck.)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { typeCheckAsUser } from "./user-project.ts";

const root = new URL("../../", import.meta.url).pathname;

const packed: string[] =
  (
    JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--ignore-scripts", "--json"], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    ) as Array<{ files: Array<{ path: string }> }>
  )[0]?.files.map((file) => file.path) ?? [];
const declarations = packed.filter((path) => path.endsWith(".d.ts"));

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });

const parse = (path: string) =>
  ts.createSourceFile(path, readFileSync(join(root, path), "utf8"), ts.ScriptTarget.Latest, true);

const isInternal = (node: ts.Node) =>
  ts.getJSDocTags(node).some((tag) => tag.tagName.text === "internal") ||
  // `getJSDocTags` skips statements such as `export { … }`; read their leading comment instead.
  (ts.getLeadingCommentRanges(node.getSourceFile().text, node.getFullStart()) ?? []).some((range) =>
    /^\/\*\*[\s\S]*@internal\b/.test(node.getSourceFile().text.slice(range.pos, range.end)),
  );

const nameOf = (node: ts.Node): string | undefined => {
  const name = (node as { name?: ts.Node }).name;
  return name !== undefined && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name))
    ? name.text
    : undefined;
};

/** Top-level names (`inspectEngine`) and members (`DbCache.resolveRowSource`) a file declares. */
function declared(file: ts.SourceFile, keep: (node: ts.Node) => boolean): string[] {
  const names: string[] = [];
  for (const statement of file.statements) {
    if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      if (keep(statement)) names.push(...statement.exportClause.elements.map((element) => element.name.text));
      continue;
    }
    if (ts.isVariableStatement(statement)) {
      if (keep(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
        }
      }
      continue;
    }
    const name = nameOf(statement);
    if (name === undefined) continue;
    if (keep(statement)) names.push(name);
    if (ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) {
      for (const member of statement.members) {
        const memberName = nameOf(member);
        if (memberName !== undefined && keep(member)) names.push(`${name}.${memberName}`);
      }
    }
  }
  return names;
}

/** Everything src/ marks `@internal`, and every name the seams module re-exports. */
const internalNames = new Set(sourceFiles("src").flatMap((path) => declared(parse(path), isInternal)));
for (const name of declared(parse("src/core/internal.ts"), () => true)) internalNames.add(name);

test("the package ships its declarations (the check below has something to check)", () => {
  for (const entry of ["dist/index.d.ts", "dist/db/index.d.ts", "dist/drizzle/index.d.ts"]) {
    assert.ok(declarations.includes(entry), `${entry} is not packed (run npm run build first)`);
  }
  assert.ok(internalNames.has("inspectEngine"), "src/core/internal.ts re-exports inspectEngine");
});

test("no published .d.ts declares a symbol marked @internal", () => {
  const leaks = declarations.flatMap((path) =>
    declared(parse(path), () => true)
      .filter((name) => internalNames.has(name))
      .map((name) => `${path}: ${name}`),
  );
  assert.equal(leaks, [], `internal symbols in the published types:\n  ${leaks.join("\n  ")}`);
});

test("every published .d.ts has a declaration map whose sources are packed", () => {
  for (const path of declarations) {
    const map = `${path}.map`;
    assert.ok(packed.includes(map), `${map} is not packed`);
    const { sources } = JSON.parse(readFileSync(join(root, map), "utf8")) as { sources: string[] };
    assert.ok(sources.length > 0, `${map} maps to no source`);
    for (const source of sources) {
      const target = relative(root, join(root, dirname(path), source));
      assert.ok(target.startsWith("src/") && existsSync(join(root, target)), `${map} → ${target}`);
      assert.ok(packed.includes(target), `${map} points to ${target}, which is not packed`);
    }
  }
});

test("the declarations of hydracache and hydracache/db type-check without skipLibCheck", async () => {
  const dir = join(root, ".tmp", "published-types");
  mkdirSync(dir, { recursive: true });
  // The entry points: tsc follows their imports, as it does in a user's project.
  const files = ["dist/index.d.ts", "dist/db/index.d.ts"];
  const output = await typeCheckAsUser(dir, {
    compilerOptions: { skipLibCheck: false, types: [] },
    files: files.map((path) => join(root, path)),
  });
  assert.is(output, "", output);
});

test.run();
