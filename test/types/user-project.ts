// Type-checks files the way a user's project would: a strict ES2022 project on Node's module
// resolution, with tsc from node_modules. Used for the published declarations and for the docs'
// code blocks.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

/** What a project's tsconfig adds to the user baseline: more options, and which files. */
export interface UserProject {
  readonly compilerOptions: Record<string, unknown>;
  readonly files?: readonly string[];
  readonly include?: readonly string[];
}

/**
 * Writes `dir/tsconfig.json` (the user baseline plus `project`) and runs tsc on it. Resolves tsc's
 * errors (`--pretty false`), or "" when it type-checks.
 *
 * @example
 * const errors = await typeCheckAsUser(dir, { compilerOptions: { types: [] }, files: ["dist/index.d.ts"] }); // "" when it type-checks
 */
export function typeCheckAsUser(dir: string, project: UserProject): Promise<string> {
  const { compilerOptions, ...inputs } = project;
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        lib: ["es2022", "dom"],
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        ...compilerOptions,
      },
      ...inputs,
    }),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json"), "--pretty", "false"],
      { cwd: root, maxBuffer: 16 << 20 },
      (error, stdout) => resolve(error ? stdout || error.message : ""),
    );
  });
}
