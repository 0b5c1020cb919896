// `npm run test:runtimes`: packs hydracache, installs the tarball WITHOUT this repo's overrides into
// a scratch project (so cbor-extract is what a user gets: 2.2.3, built from source), and runs the
// portable smoke suite (smoke.js) through the package's own exports in Node, Deno, Bun, workerd,
// an edge VM and headless Chromium; then hydracache/drizzle with PGlite (Node, Deno, Bun) once that
// subpath exists, and the uvu test files of test/core and test/db under Deno and Bun with uvu's
// own CLI. One line per runtime; exits 1 on any failure.
//
// Runtimes are pinned and installed into .rt/<name> (git-ignored) with `npm install --prefix`;
// Deno's and Bun's caches live in .rt too. Chromium comes from Debian (`apt-get install chromium`)
// when it is missing. The scratch project lives in the OS temp folder, outside the repo, so the
// repo's own node_modules (with its overrides) can never be resolved from it.
import { execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import * as esbuild from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const HERE = join(ROOT, "test/runtimes");
const RT = join(ROOT, ".rt");
const PINS = {
  deno: "deno@2.9.6",
  bun: "bun@1.4.5",
  workerd: "workerd@1.20261117.1",
  edge: "@edge-runtime/vm@5.0.0",
};
const BIN = {
  deno: join(RT, "deno/node_modules/@deno/linux-x64-glibc/deno"),
  // Installed with --ignore-scripts (npm here would not run them anyway): call the platform binaries.
  bun: join(RT, "bun/node_modules/@oven/bun-linux-x64/bin/bun"),
  workerd: join(RT, "workerd/node_modules/@cloudflare/workerd-linux-64/bin/workerd"),
};
const CHROMIUM = "/usr/bin/chromium";
const RUN_TIMEOUT_MS = 180_000;
const QUIET = { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DO_NOT_TRACK: "1" };
const ENV = {
  ...process.env,
  ...QUIET,
  DENO_DIR: join(RT, "deno-dir"),
  BUN_INSTALL_CACHE_DIR: join(RT, "bun-cache"),
  BUN_RUNTIME_TRANSPILER_CACHE_PATH: join(RT, "bun-transpiler-cache"),
};

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const has = (subpath) => Object.hasOwn(pkg.exports, subpath);
const hasDb = has("./db");
const hasDrizzle = has("./drizzle");
const started = performance.now();
const results = [];

/** Runs a command; resolves to { code, out } (stdout and stderr together), killing it on timeout. */
function run(command, args, { cwd = ROOT, env = ENV, timeout = RUN_TIMEOUT_MS } = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => {
      out += `\n(killed after ${timeout / 1000} s)`;
      child.kill("SIGKILL");
    }, timeout);
    child.on("error", (error) => {
      clearTimeout(timer);
      done({ code: -1, out: `${out}${error.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? signal, out });
    });
  });
}

function report(name, version, ok, what, detail = "") {
  results.push({ name, ok });
  console.log(`${ok ? "PASS" : "FAIL"}  ${name.padEnd(20)} ${version.padEnd(18)} ${what}`);
  if (!ok && detail) console.log(detail.replace(/^/gm, "      | "));
}

/** The smoke suite's result: the last `RESULT {...}` line a runtime printed. */
function parseResult(out) {
  const line = out
    .split("\n")
    .reverse()
    .find((text) => text.includes("RESULT {"));
  return line ? JSON.parse(line.slice(line.indexOf("RESULT {") + 7)) : undefined;
}

function summary(result) {
  return result ? `${result.passed}/${result.passed + result.failed} checks` : "no result";
}

function failureDetail(result, out) {
  return result?.failures?.length ? result.failures.join("\n") : out.trim().split("\n").slice(-25).join("\n");
}

// --- setup: runtimes, tarball, scratch project ---------------------------------------------------

async function installRuntimes() {
  const missing = Object.entries(PINS).filter(([name, spec]) => {
    const manifest = join(RT, name, "node_modules", spec.slice(0, spec.lastIndexOf("@")), "package.json");
    const current = existsSync(manifest) && readJson(manifest).version === version(spec);
    return !current || (BIN[name] && !existsSync(BIN[name]));
  });
  const installs = missing.map(([name, spec]) => {
    rmSync(join(RT, name), { recursive: true, force: true });
    const args = [
      "install",
      "--prefix",
      join(RT, name),
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
    ];
    return run("npm", [...args, spec]);
  });
  for (const [index, { code, out }] of (await Promise.all(installs)).entries()) {
    if (code !== 0) throw new Error(`npm install ${missing[index][1]} failed:\n${out}`);
  }
}

/** Debian's chromium, when missing. Resolves to why it could not be installed, if it could not. */
async function installChromium() {
  if (existsSync(CHROMIUM)) return undefined;
  console.log("setup: installing Debian's chromium (apt-get)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = await run("apt-get", ["update", "-qq"], { env });
  const install = await run("apt-get", ["install", "-y", "-qq", "chromium"], { env });
  return existsSync(CHROMIUM)
    ? undefined
    : `apt-get could not install chromium:\n${update.out}${install.out}`;
}

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const version = (spec) => spec.slice(spec.lastIndexOf("@") + 1);
const installed = (name) => readJson(join(ROOT, "node_modules", name, "package.json")).version;

/** `npm pack` (its prepack builds dist/), then a scratch project that installs the tarball. */
async function installTarball(app) {
  const packDir = join(app, "pack");
  mkdirSync(packDir);
  const packed = await run("npm", ["pack", "--pack-destination", packDir, "--no-audit", "--no-fund"]);
  const tarball = join(packDir, `${pkg.name}-${pkg.version}.tgz`);
  if (packed.code !== 0 || !existsSync(tarball)) throw new Error(`npm pack failed:\n${packed.out}`);
  const dependencies = { [pkg.name]: `file:${tarball}` };
  if (hasDrizzle) {
    dependencies["drizzle-orm"] = installed("drizzle-orm");
    dependencies["@electric-sql/pglite"] = installed("@electric-sql/pglite");
  }
  // No `overrides`: a user's install. `allowScripts` lets npm build cbor-extract as an npm that
  // runs install scripts (or yarn, pnpm with scripts on) would: that build is what crashes Bun.
  const manifest = {
    name: "runtime-smoke",
    private: true,
    type: "module",
    dependencies,
    allowScripts: { "cbor-extract": true },
  };
  writeFileSync(join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const install = await run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock"], { cwd: app });
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.out}`);
  // Today cbor-extract 2.2.3 has no published binaries and is compiled; should binaries appear,
  // the prebuilt package is used instead. Without either, Node's native path cannot be shown.
  const extract = join(app, "node_modules/cbor-extract");
  const extractVersion = readJson(join(extract, "package.json")).version;
  if (existsSync(join(extract, "build/Release/extract.node"))) {
    return `cbor-extract ${extractVersion}, built from source`;
  }
  if (existsSync(join(app, `node_modules/@cbor-extract/cbor-extract-${process.platform}-${process.arch}`))) {
    return `cbor-extract ${extractVersion}, prebuilt binary`;
  }
  throw new Error(
    `cbor-extract ${extractVersion} has no binary and was not built (needs g++, make, python3)`,
  );
}

function writeEntries(app) {
  copyFileSync(join(HERE, "smoke.js"), join(app, "smoke.js"));
  const imports = [
    `import * as core from "hydracache";`,
    hasDb ? `import * as db from "hydracache/db";` : "const db = undefined;",
    `import { smoke } from "./smoke.js";`,
  ].join("\n");
  // Node, Deno and Bun: one module, run unbundled from node_modules. Code generation is allowed
  // there for good, so the default codec must have taken cbor-x's record path.
  writeFileSync(
    join(app, "entry.mjs"),
    `${imports}
const result = await smoke({ core, db, expect: { codegen: "allowed", codec: "records" } });
console.log("RESULT " + JSON.stringify(result));
if (!result.ok) throw new Error("smoke failed");
`,
  );
  if (hasDrizzle) {
    copyFileSync(join(HERE, "drizzle-smoke.js"), join(app, "drizzle-smoke.js"));
    writeFileSync(
      join(app, "drizzle-entry.mjs"),
      `import { PGlite } from "@electric-sql/pglite";
import * as orm from "drizzle-orm";
import * as pgCore from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/pglite";
import * as core from "hydracache";
import * as drizzleCache from "hydracache/drizzle";
import { smokeDrizzle } from "./drizzle-smoke.js";
const result = await smokeDrizzle({ core, drizzleCache, PGlite, drizzle, pgCore, orm });
console.log("RESULT " + JSON.stringify(result));
if (!result.ok) throw new Error("drizzle smoke failed");
`,
    );
  }
  // Node: prove the native decoder is loaded (cbor-x's Node entry found the addon).
  writeFileSync(
    join(app, "entry-node.mjs"),
    `import "./entry.mjs";
const native = process.report.getReport().sharedObjects.filter((path) => path.includes("cbor-extract"));
console.log("NATIVE " + JSON.stringify(native));
`,
  );
  // The control: cbor-x's own Node entry, as hydracache imported it before "#cbor". Expected to
  // fail under Bun (source-built addon) and Deno (no --allow-env); it is reported, not asserted.
  writeFileSync(
    join(app, "control.mjs"),
    `import { Encoder } from "cbor-x";
const encoder = new Encoder({ useRecords: false });
const rows = Array.from({ length: 100 }, (_, i) => ({ id: i, name: "user " + i + " ".repeat(200) }));
for (let i = 0; i < 20; i++) encoder.decode(encoder.encode(rows));
console.log("control passed");
`,
  );
  // workerd and the edge VM forbid code generation (workerd only during requests, where the
  // checks run): the default codec must have taken the plain path, never cbor-x's records.
  const noNode = `{ process: "undefined", Buffer: "undefined", codegen: /^blocked/, codec: "plain" }`;
  writeFileSync(
    join(app, "worker.mjs"),
    `${imports}
// A module-level cache, as a Worker keeps one: requests share it, and its loads.
const shared = core.HydraCache.local().build();
let sharedLoads = 0;
export default {
  async fetch(request) {
    const key = new URL(request.url).pathname;
    const row = await shared.getOrLoad(key, async () => {
      sharedLoads++;
      await scheduler.wait(20);
      return { key, load: sharedLoads };
    });
    return Response.json(row);
  },
  async test(controller, env) {
    const result = await smoke({ core, db, expect: ${noNode} });
    const check = "requests share a module-level cache: 5 concurrent requests run 1 load, a 6th hits";
    try {
      const get = () => env.SELF.fetch("http://worker/row").then((response) => response.json());
      const rows = [...(await Promise.all([get(), get(), get(), get(), get()])), await get()];
      const { hits, singleFlightJoins } = shared.stats();
      if (sharedLoads !== 1 || singleFlightJoins !== 4 || hits !== 1 || rows.some((row) => row.load !== 1)) {
        throw new Error(JSON.stringify({ sharedLoads, hits, singleFlightJoins, rows }));
      }
      result.passed++;
    } catch (error) {
      Object.assign(result, { ok: false, failed: result.failed + 1 });
      result.failures.push(check + ": " + (error?.message ?? String(error)));
    }
    console.log("RESULT " + JSON.stringify(result));
    if (!result.ok) throw new Error("smoke failed");
  },
};
`,
  );
  writeFileSync(
    join(app, "edge.mjs"),
    `${imports}
globalThis.runSmoke = async () => JSON.stringify(await smoke({ core, db, expect: ${noNode} }));
`,
  );
  writeFileSync(
    join(app, "browser.mjs"),
    `${imports}
// /csp.html is served with a Content-Security-Policy that forbids code generation.
const codegen = location.pathname === "/csp.html" ? { codegen: /^blocked/, codec: "plain" } : { codegen: "allowed", codec: "records" };
const result = await smoke({ core, db, expect: { process: "undefined", Buffer: "undefined", ...codegen } }).catch((error) => ({ ok: false, failures: [String(error)] }));
await fetch("/result", { method: "POST", body: JSON.stringify(result) });
`,
  );
}

async function bundle(app, entry, outfile, options) {
  await esbuild.build({
    entryPoints: [join(app, entry)],
    outfile: join(app, outfile),
    bundle: true,
    target: "es2022",
    logLevel: "warning",
    ...options,
  });
}

/** "20.20.2", "2.9.6", "1.4.5": what `<runtime> --version` says. */
async function runtimeVersion(runtime) {
  if (runtime === "node") return process.version.slice(1);
  const { out } = await run(BIN[runtime], ["--version"]);
  return runtime === "deno" ? out.split(/\s+/)[1] : out.trim();
}

// --- runtimes --------------------------------------------------------------------------------------

async function node(app) {
  const { code, out } = await run(process.execPath, ["entry-node.mjs"], { cwd: app });
  const result = parseResult(out);
  const native = JSON.parse(/NATIVE (.*)/.exec(out)?.[1] ?? "[]");
  const ok = code === 0 && result?.ok === true && native.length === 1;
  const what = `${summary(result)}, unbundled from the tarball; cbor-x Node entry, native cbor-extract ${native.length ? "loaded" : "NOT loaded"}, CBOR ${result?.probes?.codec ?? "?"} path`;
  report("node", process.version.slice(1), ok, what, failureDetail(result, out));
}

async function deno(app, control) {
  const version = await runtimeVersion("deno");
  const { code, out } = await run(BIN.deno, ["run", "entry.mjs"], { cwd: app });
  const result = parseResult(out);
  const ok = code === 0 && result?.ok === true;
  report(
    "deno",
    version,
    ok,
    `${summary(result)}, unbundled, no permission flags, CBOR ${result?.probes?.codec ?? "?"} path; ${control}`,
    failureDetail(result, out),
  );
}

async function bun(app, control) {
  const version = await runtimeVersion("bun");
  const { code, out } = await run(BIN.bun, ["entry.mjs"], { cwd: app });
  const result = parseResult(out);
  const ok = code === 0 && result?.ok === true;
  report(
    "bun",
    version,
    ok,
    `${summary(result)}, unbundled, beside the native addon, CBOR ${result?.probes?.codec ?? "?"} path; ${control}`,
    failureDetail(result, out),
  );
}

/** What cbor-x's own Node entry does in this runtime (the reason for "#cbor"). */
async function control(bin, args, app) {
  const { code, out } = await run(bin, [...args, "control.mjs"], { cwd: app });
  if (code === 0) return "control: cbor-x's Node entry passed too";
  const reason = /(NotCapable|\w*Error|panic|Segmentation fault)\b[^\n]{0,60}/.exec(
    stripVTControlCharacters(out),
  )?.[0];
  return `control: cbor-x's Node entry fails (${reason ?? `exit ${code}`})`;
}

async function workerd(app) {
  const version = (await run(BIN.workerd, ["--version"])).out.trim().replace(/^workerd /, "");
  // Conditions as wrangler resolves them; "#cbor" then takes its pure-JS default.
  await bundle(app, "worker.mjs", "worker.js", {
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
  });
  // From 2026-08-04 Node compatibility is on by default: turn both flavours off explicitly.
  writeFileSync(
    join(app, "workerd.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [(name = "main", worker = .worker)]);
const worker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.js")],
  compatibilityDate = "2026-11-01",
  compatibilityFlags = ["no_nodejs_compat", "no_nodejs_compat_v2"],
  bindings = [(name = "SELF", service = "main")],
);
`,
  );
  const { code, out } = await run(BIN.workerd, ["test", "workerd.capnp"], { cwd: app });
  const result = parseResult(out);
  const ok = code === 0 && result?.ok === true;
  const what = `${summary(result)} inside a test handler and across requests to a module-level cache (bundled), no_nodejs_compat: no process/Buffer, eval blocked, CBOR ${result?.probes?.codec ?? "?"} path`;
  report("workerd", version, ok, what, failureDetail(result, out));
}

async function edge(app) {
  const require = createRequire(join(RT, "edge/node_modules/"));
  const { EdgeVM } = require("@edge-runtime/vm");
  const version = require("@edge-runtime/vm/package.json").version;
  await bundle(app, "edge.mjs", "edge.iife.js", {
    format: "iife",
    platform: "neutral",
    conditions: ["edge-light", "worker", "browser"],
  });
  let result;
  let error = "";
  try {
    const vm = new EdgeVM();
    vm.evaluate(readFileSync(join(app, "edge.iife.js"), "utf8"));
    result = JSON.parse(await vm.evaluate("runSmoke()"));
  } catch (thrown) {
    error = String(thrown?.stack ?? thrown);
  }
  const ok = result?.ok === true;
  report(
    "edge-runtime-vm",
    version,
    ok,
    `${summary(result)}, IIFE bundle in EdgeVM: no process/Buffer, eval blocked, CBOR ${result?.probes?.codec ?? "?"} path`,
    failureDetail(result, error),
  );
}

/** Serves `app` on localhost; a page posts its result to /result. Kills Chromium by its PID. */
async function chromium(app, missing) {
  if (missing) return report("chromium", "-", false, "not installed", missing);
  const version = execFileSync(CHROMIUM, ["--version"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  })
    .trim()
    .split(/\s+/)[1];
  await bundle(app, "browser.mjs", "browser.js", { format: "esm", platform: "browser" });
  const map = {
    hydracache: "/node_modules/hydracache/dist/index.js",
    "hydracache/db": "/node_modules/hydracache/dist/db/index.js",
    "quick-lru": "/node_modules/quick-lru/index.js",
    "#cbor": "/node_modules/cbor-x/encode.js", // the "default" branch of hydracache's "imports"
  };
  const page = (script, importMap) =>
    `<!doctype html><meta charset="utf-8">${importMap ? `<script type="importmap">${JSON.stringify({ imports: map })}</script>` : ""}<script type="module" src="${script}"></script>`;
  const pages = {
    "/bundle.html": page("/browser.js"),
    "/unbundled.html": page("/browser.mjs", true),
    "/csp.html": page("/browser.js"),
  };
  // No 'unsafe-eval': `new Function` throws, and cbor-x and hydracache must do without it.
  const csp = { "/csp.html": "script-src 'self'" };
  const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html" };
  for (const [name, path] of [
    ["bundle", "/bundle.html"],
    ["import map", "/unbundled.html"],
    ["strict CSP", "/csp.html"],
  ]) {
    const { result, out } = await new Promise((done) => {
      let browser;
      const profile = mkdtempSync(join(app, "chromium-"));
      const finish = (value) => {
        clearTimeout(timer);
        // Chromium's renderer and utility processes share the group of the browser we started.
        if (browser?.exitCode === null) process.kill(-browser.pid, "SIGKILL");
        server.close();
        done(value);
      };
      const server = createServer((request, response) => {
        if (request.method === "POST" && request.url === "/result") {
          let body = "";
          request.on("data", (chunk) => {
            body += chunk;
          });
          request.on("end", () => {
            response.end("ok");
            finish({ result: JSON.parse(body), out: "" });
          });
          return;
        }
        const url = request.url.split("?")[0];
        const file = join(app, url);
        if (csp[url]) response.setHeader("content-security-policy", csp[url]);
        if (pages[url]) response.end(pages[url]);
        else if (file.startsWith(app) && existsSync(file)) {
          response.setHeader("content-type", types[/\.[a-z]+$/.exec(url)?.[0]] ?? "application/octet-stream");
          response.end(readFileSync(file));
        } else {
          response.statusCode = 404;
          response.end();
        }
      });
      const timer = setTimeout(() => finish({ result: undefined, out: "timed out after 60 s" }), 60_000);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address();
        const home = {
          HOME: profile,
          XDG_CONFIG_HOME: profile,
          XDG_CACHE_HOME: profile,
          XDG_DATA_HOME: profile,
        };
        browser = spawn(
          CHROMIUM,
          [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            `--user-data-dir=${profile}`,
            `http://127.0.0.1:${port}${path}`,
          ],
          { env: { ...process.env, ...home }, stdio: "ignore", detached: true },
        );
      });
    });
    const ok = result?.ok === true;
    report(
      `chromium ${name}`,
      version,
      ok,
      `${summary(result)}, headless, page on localhost; CBOR ${result?.probes?.codec ?? "?"} path`,
      failureDetail(result, out),
    );
  }
}

/** hydracache/drizzle over PGlite, unbundled from the tarball; Deno reads PGlite's wasm and data files. */
async function drizzlePglite(app, runtime, bin, args) {
  const version = await runtimeVersion(runtime);
  const { code, out } = await run(bin, [...args, "drizzle-entry.mjs"], { cwd: app });
  const result = parseResult(out);
  const ok = code === 0 && result?.ok === true;
  const versions = `drizzle-orm ${installed("drizzle-orm")}, PGlite ${installed("@electric-sql/pglite")}`;
  report(
    `${runtime} drizzle`,
    version,
    ok,
    `${summary(result)}, hydracache/drizzle with ${versions}`,
    failureDetail(result, out),
  );
}

/** The uvu test files, unchanged, through uvu's own CLI (`deno test`/`bun test` would run none). */
async function uvu(runtime, bin, args) {
  for (const dir of ["test/core", "test/db"].filter((path) => existsSync(join(ROOT, path)))) {
    const { code, out } = await run(bin, [...args, "node_modules/uvu/bin.js", dir, "\\.test\\.ts$"]);
    const plain = stripVTControlCharacters(out);
    const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
    const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
    const ok = code === 0 && total > 0 && passed === total;
    report(
      `${runtime} uvu`,
      await runtimeVersion(runtime),
      ok,
      `${dir}: ${passed}/${total} tests (source .ts, uvu CLI)`,
      plain.trim().split("\n").slice(-30).join("\n"),
    );
  }
}

// --- main ----------------------------------------------------------------------------------------

mkdirSync(RT, { recursive: true });
const app = mkdtempSync(join(tmpdir(), "hydracache-runtimes-"));
try {
  const [, chromiumMissing, extract] = await Promise.all([
    installRuntimes(),
    installChromium(),
    installTarball(app),
  ]);
  writeEntries(app);
  console.log(
    `setup: ${pkg.name}@${pkg.version} packed and installed without overrides (${extract}); subpaths: ${["hydracache", hasDb && "hydracache/db", hasDrizzle && "hydracache/drizzle"].filter(Boolean).join(", ")}`,
  );
  await node(app);
  await deno(app, await control(BIN.deno, ["run"], app));
  await bun(app, await control(BIN.bun, [], app));
  if (hasDrizzle) {
    await drizzlePglite(app, "node", process.execPath, []);
    await drizzlePglite(app, "deno", BIN.deno, ["run", "--allow-read=node_modules"]);
    await drizzlePglite(app, "bun", BIN.bun, []);
  }
  await workerd(app);
  await edge(app);
  await chromium(app, chromiumMissing);
  await uvu("deno", BIN.deno, ["run", "--allow-env", "--allow-read"]);
  await uvu("bun", BIN.bun, []);
} catch (error) {
  results.push({ name: "setup", ok: false });
  console.log(`FAIL  setup: ${error?.stack ?? error}`);
} finally {
  rmSync(app, { recursive: true, force: true, maxRetries: 10 });
}
const failed = results.filter((result) => !result.ok).length;
console.log(
  `runtimes: ${results.length - failed} passed, ${failed} failed (${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
process.exitCode = failed === 0 ? 0 : 1;
