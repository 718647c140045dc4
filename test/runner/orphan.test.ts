/**
 * A runner child must not outlive its parent: if the extension host or the CLI dies without killing it,
 * its watchdog thread ends it, even while the model spins in a synchronous loop.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { buildOnce, FIXTURES, WORKER } from "./build-once";

beforeAll(buildOnce, 180_000);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a runner child whose parent dies", () => {
  it("is killed by its watchdog although the model never yields", async () => {
    // The parent: starts a run of an infinite loop with a long time limit, prints the child's pid, exits.
    const dir = mkdtempSync(path.join(os.tmpdir(), "gl-orphan-"));
    const parent = path.join(dir, "parent.cjs");
    buildSync({
      stdin: {
        contents: `
          import { startRun } from ${JSON.stringify(path.resolve(__dirname, "../../src/runner/index.ts"))};
          const h = startRun({ file: ${JSON.stringify(path.join(FIXTURES, "infinite-loop.ts"))}, command: "train", timeLimitMs: 600000 },
            undefined, { workerPath: ${JSON.stringify(WORKER)} });
          console.log(h.pid);
          setTimeout(() => process.exit(0), 1500);
        `,
        loader: "ts",
        resolveDir: dir,
      },
      bundle: true,
      platform: "node",
      format: "cjs",
      outfile: parent,
      external: ["esbuild"],
      logLevel: "silent",
    });
    const child = spawn(process.execPath, [parent], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    await new Promise((resolve) => child.on("exit", resolve));
    const pid = Number(out.trim().split("\n")[0]);
    expect(pid).toBeGreaterThan(0);
    // The parent is gone; the child's watchdog polls every 250 ms.
    await expect.poll(() => alive(pid), { timeout: 10_000, interval: 200 }).toBe(false);
  }, 30_000);
});
