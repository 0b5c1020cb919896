// Builds dist/: esbuild transpiles src/**/*.ts file by file (never one bundle per subpath, which
// would duplicate classes and break `instanceof` across subpaths) and tsc emits the .d.ts files.
// Fails when package.json's exports and the source entry points disagree, and when an
// isomorphic subpath reaches `node:*` or a package other than its allowed runtime dependencies,
// when a runtime import cycle joins modules of src/, and when `hydracache` bundled with its dependencies, minified and gzipped, exceeds its budget.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

/** Subpaths that must run in every runtime, and the only packages they may import. */
const ISOMORPHIC = { ".": ["quick-lru", "cbor-x"], "./db": ["quick-lru", "cbor-x"] };

/** `hydracache` with quick-lru and cbor-x's pure-JS entry, minified and gzipped (bytes). */
const SIZE_BUDGET = 24 * 1024;

const sourceFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });

/** `src/index.ts` is ".", `src/<name>/index.ts` is "./<name>"; other folders have no index. */
const subpathOf = (file) => {
  const parts = relative("src", file).split("/");
  if (parts.length === 1 && parts[0] === "index.ts") return ".";
  if (parts.length === 2 && parts[1] === "index.ts") return `./${parts[0]}`;
  return undefined;
};

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function checkExports(files) {
  const { exports } = JSON.parse(readFileSync("package.json", "utf8"));
  const entries = new Map(files.flatMap((file) => (subpathOf(file) ? [[subpathOf(file), file]] : [])));
  for (const [subpath, file] of entries) {
    const base = `./dist/${relative("src", file).replace(/\.ts$/, "")}`;
    const target = exports[subpath];
    if (!target) fail(`source entry ${file} has no "${subpath}" in package.json exports`);
    const keys = Object.keys(target);
    if (keys[0] !== "types" || target.types !== `${base}.d.ts` || target.default !== `${base}.js`) {
      fail(
        `exports["${subpath}"] must be { "types": "${base}.d.ts", "default": "${base}.js" } (types first)`,
      );
    }
  }
  for (const subpath of Object.keys(exports)) {
    if (subpath !== "./package.json" && !entries.has(subpath)) {
      fail(`exports lists "${subpath}" but there is no source entry for it`);
    }
  }
  return entries;
}

const packageOf = (path) =>
  (path.startsWith("@") ? path.split("/").slice(0, 2) : path.split("/").slice(0, 1)).join("/");

/** Every target of a package.json `imports` entry ("#cbor"), whichever condition a runtime matches. */
const importTargets = (target) =>
  typeof target === "string" ? [target] : Object.values(target ?? {}).flatMap(importTargets);

async function checkIsomorphic(entries) {
  // esbuild resolves "#name" with its own conditions only: check the other runtimes' targets here.
  const { imports = {} } = JSON.parse(readFileSync("package.json", "utf8"));
  for (const [name, target] of Object.entries(imports)) {
    for (const path of importTargets(target)) {
      if (
        !path.startsWith("./") &&
        !Object.values(ISOMORPHIC).every((allowed) => allowed.includes(packageOf(path)))
      ) {
        fail(
          `package.json imports["${name}"] reaches "${path}", which the isomorphic subpaths may not import`,
        );
      }
    }
  }
  for (const [subpath, allowed] of Object.entries(ISOMORPHIC)) {
    const file = entries.get(subpath);
    if (!file) continue;
    const result = await esbuild.build({
      entryPoints: [join("dist", relative("src", file).replace(/\.ts$/, ".js"))],
      bundle: true,
      write: false,
      metafile: true,
      platform: "neutral",
      packages: "external",
      external: ["node:*"],
      logLevel: "silent",
    });
    for (const input of Object.values(result.metafile.inputs)) {
      for (const { path, external } of input.imports) {
        if (external && !allowed.includes(packageOf(path))) {
          fail(
            `"${subpath === "." ? "hydracache" : `hydracache/${subpath.slice(2)}`}" must run everywhere but reaches "${path}"`,
          );
        }
      }
    }
  }
}

/** Fails on a runtime import cycle among the built modules (type-only imports are gone from dist/). */
async function checkNoCycles(entries) {
  const result = await esbuild.build({
    entryPoints: [...entries.keys()].map((subpath) =>
      join("dist", relative("src", entries.get(subpath)).replace(/\.ts$/, ".js")),
    ),
    bundle: true,
    write: false,
    metafile: true,
    platform: "neutral",
    packages: "external",
    external: ["node:*"],
    outdir: ".tmp/cycles",
    logLevel: "silent",
  });
  const graph = new Map(
    Object.entries(result.metafile.inputs).map(([file, input]) => [
      file,
      input.imports.filter((edge) => !edge.external).map((edge) => edge.path),
    ]),
  );
  const state = new Map(); // file → "open" while on the DFS path, "done" after
  const visit = (file, path) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open")
      fail(`runtime import cycle: ${[...path.slice(path.indexOf(file)), file].join(" → ")}`);
    state.set(file, "open");
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
}

/** Bundles `hydracache` as a browser or edge user would (platform neutral: pure-JS cbor-x). */
async function checkSize() {
  const result = await esbuild.build({
    entryPoints: ["dist/index.js"],
    bundle: true,
    minify: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    logLevel: "silent",
  });
  const minified = result.outputFiles[0].contents;
  const gzipped = gzipSync(minified, { level: 9 }).length;
  const figure = `${(gzipped / 1024).toFixed(1)} KB gzipped (${(minified.length / 1024).toFixed(1)} KB minified)`;
  if (gzipped > SIZE_BUDGET)
    fail(`"hydracache" bundled is ${figure}, over the ${SIZE_BUDGET / 1024} KB budget`);
  return figure;
}

/** The source imports relative `.ts` paths (so Deno and Bun run it as is); dist imports `.js`. */
function toJsSpecifiers(code) {
  return code.replace(/(from\s*|import\s*\(?\s*)(["'])(\.{1,2}\/[^"']+)\.ts\2/g, "$1$2$3.js$2");
}

rmSync("dist", { recursive: true, force: true });
const files = sourceFiles("src");
const entries = checkExports(files);
for (const file of files) {
  const { code } = await esbuild.transform(readFileSync(file, "utf8"), {
    loader: "ts",
    format: "esm",
    target: "es2022",
    platform: "neutral",
    sourcefile: file,
  });
  const out = join("dist", relative("src", file).replace(/\.ts$/, ".js"));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, toJsSpecifiers(code));
}
execFileSync("npx", ["tsc", "-p", "tsconfig.json", "--emitDeclarationOnly"], { stdio: "inherit" });
for (const file of sourceFiles("dist").filter((path) => path.endsWith(".d.ts"))) {
  writeFileSync(file, toJsSpecifiers(readFileSync(file, "utf8")));
}
await checkIsomorphic(entries);
await checkNoCycles(entries);
const size = await checkSize();
console.log(
  `build: ${files.length} modules → dist/ (${[...entries.keys()].join(", ")}); hydracache bundled: ${size}`,
);
