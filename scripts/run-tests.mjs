// Runs every test/**/*.test.ts with uvu in one process (under --unhandled-rejections=strict),
// echoes its output, and ends with the plain line `N passed, N failed` that CI reads.
import { spawn } from "node:child_process";

const pattern = process.argv[2] ?? "\\.test\\.ts$";
const child = spawn(
  process.execPath,
  ["--unhandled-rejections=strict", "--import", "tsx", "node_modules/uvu/bin.js", "test", pattern],
  { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } },
);
let output = "";
child.stdout.on("data", (chunk) => {
  output += chunk;
  process.stdout.write(chunk);
});
child.on("close", (code) => {
  // uvu's summary (colours are off): "Total: N", "Passed: N", "Skipped: N".
  const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const failed = code === 0 ? total - passed : Math.max(total - passed, 1);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = code === 0 && total > 0 && failed === 0 ? 0 : 1;
});
