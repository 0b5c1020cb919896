// `npm run test:drizzle-versions` and `npm run test:postgres-versions`: the suites that use an
// optional peer, once more against each line of it that the peer range admits besides the one the
// development install has, so the range names only versions that are tested (gating); and, for
// information only, against a line outside the range.
//
// - drizzle-orm (`>=0.44.0 <0.46.0`; 0.45 installed): the Drizzle suite (test/drizzle, on
//   PostgreSQL and PGlite) on 0.44; informative: the PostgreSQL and PGlite suites on the newest 1.0
//   release candidate (outside the range until 1.0 is final; two tests fail there for their own use
//   of 0.45-only Drizzle APIs: relational queries through `schema`, and a premise on the SQL PGlite
//   gets for `bigint({ mode: "number" })`).
// - postgres (`>=3.4.0 <5`; 3.4 installed): the sync suite (test/sync: the transport under faults,
//   the triggers) and the Drizzle suite over postgres.js, on 4.x.
//
// For each version, the repository's tracked files are copied to .tmp/<package>-<version>/, whose
// node_modules links every package of ours but that one, which is that version (neither package has
// dependencies of its own, so its tarball is all it needs).
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const UVU = ["node_modules/uvu/bin.js", "test"];
const LINES = {
  "drizzle-orm": [
    { version: "0.44", run: [...UVU, "drizzle/.*\\.test\\.ts$"], gating: true },
    { version: "1.0.0-rc.5", run: [...UVU, "drizzle/(postgres|pglite)\\.test\\.ts$"], gating: false },
  ],
  postgres: [{ version: "4", run: [...UVU, "(sync/.*|drizzle/postgres)\\.test\\.ts$"], gating: true }],
};

const peer = process.argv[2];
const lines = LINES[peer];
if (lines === undefined) {
  console.error(`usage: node scripts/test-peer-versions.mjs <${Object.keys(LINES).join("|")}>`);
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0");

let failed = 0;
for (const { version: line, run, gating } of lines) {
  const dir = join(root, ".tmp", `${peer}-${line}`);
  rmSync(dir, { recursive: true, force: true });
  for (const file of tracked.filter(Boolean)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  const modules = join(dir, "node_modules");
  mkdirSync(modules);
  for (const name of readdirSync(join(root, "node_modules"))) {
    if (name !== peer) symlinkSync(join(root, "node_modules", name), join(modules, name));
  }
  const tarball = execFileSync("npm", ["pack", `${peer}@${line}`, "--silent"], { cwd: dir, encoding: "utf8" })
    .trim()
    .split("\n")
    .pop();
  mkdirSync(join(modules, peer));
  execFileSync("tar", ["-xzf", tarball, "-C", join(modules, peer), "--strip-components=1"], { cwd: dir });
  const version = tarball.slice(peer.length + 1, -".tgz".length);
  const label = `${peer} ${version}`;
  console.log(`${label}: ${run.join(" ")}${gating ? "" : " (informative)"}`);
  const result = spawnSync(process.execPath, ["--unhandled-rejections=strict", "--import", "tsx", ...run], {
    cwd: dir,
    stdio: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (result.status !== 0 && gating) failed++;
  console.log(`${label}: ${result.status === 0 ? "PASS" : "FAIL"}${gating ? "" : " (informative)"}`);
}
process.exitCode = failed === 0 ? 0 : 1;
