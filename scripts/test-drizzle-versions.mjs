// `npm run test:drizzle-versions`: the Drizzle test suite (test/drizzle, on PostgreSQL and PGlite)
// once more against each older drizzle-orm line that the peer range `>=0.44.0 <0.46.0` admits,
// so the range names only versions that are tested (gating), and, for information only, the
// PostgreSQL and PGlite suites against the newest 1.0 release candidate (outside the peer range
// until 1.0 is final; two tests fail there for their own use of 0.45-only Drizzle APIs: relational
// queries through `schema`, and a premise on the SQL PGlite gets for `bigint({ mode: "number" })`).
// The development install has 0.45.x; for each other version, the repository's tracked files are
// copied to .tmp/drizzle-<version>/, whose node_modules links every package of ours but
// drizzle-orm, which is that version (drizzle-orm has no dependencies of its own, so its tarball
// is all it needs).
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SUITE = ["node_modules/uvu/bin.js", "test", "drizzle/.*\\.test\\.ts$"];
const LINES = [
  { version: "0.44", run: SUITE, gating: true },
  {
    version: "1.0.0-rc.5",
    run: [...SUITE.slice(0, 2), "drizzle/(postgres|pglite)\\.test\\.ts$"],
    gating: false,
  },
];
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0");

let failed = 0;
for (const { version: line, run, gating } of LINES) {
  const dir = join(root, ".tmp", `drizzle-${line}`);
  rmSync(dir, { recursive: true, force: true });
  for (const file of tracked.filter(Boolean)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  const modules = join(dir, "node_modules");
  mkdirSync(modules);
  for (const name of readdirSync(join(root, "node_modules"))) {
    if (name !== "drizzle-orm") symlinkSync(join(root, "node_modules", name), join(modules, name));
  }
  const tarball = execFileSync("npm", ["pack", `drizzle-orm@${line}`, "--silent"], {
    cwd: dir,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop();
  mkdirSync(join(modules, "drizzle-orm"));
  execFileSync("tar", ["-xzf", tarball, "-C", join(modules, "drizzle-orm"), "--strip-components=1"], {
    cwd: dir,
  });
  const version = tarball.replace(/^drizzle-orm-|\.tgz$/g, "");
  console.log(`drizzle-orm ${version}: ${run.join(" ")}${gating ? "" : " (informative)"}`);
  const result = spawnSync(process.execPath, ["--unhandled-rejections=strict", "--import", "tsx", ...run], {
    cwd: dir,
    stdio: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (result.status !== 0 && gating) failed++;
  console.log(
    `drizzle-orm ${version}: ${result.status === 0 ? "PASS" : "FAIL"}${gating ? "" : " (informative)"}`,
  );
}
process.exitCode = failed === 0 ? 0 : 1;
