/**
 * Stopping a run keeps what it did (the runner asks the child to stop and waits a grace period), and
 * source-mapped paths are decoded file-system paths (src/runner/compile.ts `sourcePath`, load.ts `userStack`).
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { startRun } from "../../src/runner";
import { sourcePath } from "../../src/runner/compile";
import { userStack } from "../../src/runner/load";
import type { RunnerEvent } from "../../src/protocol/runner";
import { buildOnce, ROOT, WORKER } from "./build-once";

beforeAll(buildOnce, 180_000);

describe("stopping a run", () => {
  it("cancel after a few steps settles with kind cancelled and the partial report of the steps done", async () => {
    const events: RunnerEvent[] = [];
    let cancelled = false;
    const handle = startRun({ file: path.join(ROOT, "test", "faults", "fixtures", "slow-steps.ts"), command: "train" }, (e) => {
      events.push(e);
      if (e.type === "progress" && e.step >= 2 && !cancelled) {
        cancelled = true;
        handle.cancel();
      }
    }, { workerPath: WORKER });
    const outcome = await handle.result;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.kind).toBe("cancelled");
    // A partial report exists only when the child answered the stop (a killed child says nothing).
    const partial = outcome.error.partialReport!;
    expect(partial.status).toMatchObject({ ok: false, reason: "cancelled", error: "The run was cancelled." });
    expect(partial.steps.length).toBeGreaterThanOrEqual(3);
    expect(partial.status!.steps).toBe(partial.steps.length);
    expect(partial.gradcheck).toBeUndefined();
  });
});

describe("source paths", () => {
  const real = "/tmp/päth with spaces/モデル/naïve モデル.ts";

  it("decodes file URLs and percent-encoded paths, and leaves plain paths alone", () => {
    expect(sourcePath(pathToFileURL(real).href)).toBe(real);
    expect(sourcePath("/tmp/p%C3%A4th%20with%20spaces/%E3%83%A2%E3%83%87%E3%83%AB/na%C3%AFve%20%E3%83%A2%E3%83%87%E3%83%AB.ts")).toBe(real);
    expect(sourcePath(real)).toBe(real);
    expect(sourcePath("/tmp/100%.ts")).toBe("/tmp/100%.ts");
  });

  it("userStack keeps parentheses in a path (a folder \"models (copy)\", C:\\Program Files (x86))", () => {
    const copy = "/tmp/models (copy)/naïve (1).ts";
    const win = "C:\\Program Files (x86)\\models\\m.ts";
    const named = ["Error: boom", "    at Linear.forward (/engine/layers.ts:51:13)", `    at build (${copy}:7:9)`, "    at run (/engine/worker.ts:1:1)"].join("\n");
    expect(userStack(named, new Set([copy])).location).toEqual({ file: copy, line: 7, column: 9 });
    const bare = ["Error: boom", `    at ${copy}:12:3`, "    at run (/engine/worker.ts:1:1)"].join("\n");
    expect(userStack(bare, new Set([copy])).location).toEqual({ file: copy, line: 12, column: 3 });
    const url = ["Error: boom", `    at Object.<anonymous> (${pathToFileURL(copy).href}:4:2)`].join("\n");
    const mapped = userStack(url, new Set([copy]));
    expect(mapped.location).toEqual({ file: copy, line: 4, column: 2 });
    expect(mapped.stack).toContain(`at Object.<anonymous> (${copy}:4:2)`);
    const windows = ["Error: boom", `    at new Net (${win}:5:11)`].join("\n");
    expect(userStack(windows, new Set([win])).location).toEqual({ file: win, line: 5, column: 11 });
  });

  it("userStack finds the user's frame in a stack of file URLs and prints it decoded", () => {
    const stack = ["Error: boom", "    at Linear.forward (/engine/layers.ts:51:13)", `    at build (${pathToFileURL(real).href}:7:9)`, "    at run (/engine/worker.ts:1:1)"].join("\n");
    const mapped = userStack(stack, new Set([real]));
    expect(mapped.location).toEqual({ file: real, line: 7, column: 9 });
    expect(mapped.stack).toContain(`at build (${real}:7:9)`);
    expect(mapped.stack).not.toContain("worker.ts");
  });
});
