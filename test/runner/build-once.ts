/**
 * Builds dist/ once per vitest run, shared by every test file that needs it (runner and CLI tests run
 * in parallel worker processes: one builds under a lock, the others wait for its stamp).
 * A vitest globalSetup would be simpler; this keeps the suite independent of vitest.config.ts.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const WORKER = path.join(ROOT, "dist", "runner", "worker.js");
export const CLI = path.join(ROOT, "dist", "cli.js");
export const FIXTURES = path.join(ROOT, "test", "fixtures");

export async function buildOnce(): Promise<void> {
  // Keyed by the vitest main process, so each run rebuilds once and reruns see fresh code.
  const key = path.join(os.tmpdir(), `gradient-lens-build-${process.ppid}`);
  const done = `${key}.done`;
  try {
    mkdirSync(`${key}.lock`);
  } catch {
    const t0 = Date.now();
    while (!existsSync(done)) {
      if (Date.now() - t0 > 180_000) throw new Error("timed out waiting for another test file to build dist/");
      await new Promise((r) => setTimeout(r, 200));
    }
    const status = readFileSync(done, "utf8");
    if (status !== "ok") throw new Error(`build failed in another test file:\n${status}`);
    return;
  }
  try {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "pipe" });
    writeFileSync(done, "ok");
  } catch (e) {
    writeFileSync(done, String((e as { stderr?: Buffer }).stderr ?? e));
    throw e;
  }
}
