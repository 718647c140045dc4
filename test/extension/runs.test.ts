/** RunManager with a fake `vscode` and a fake runner: which runs a model's "last result" is, and under which key. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fakeRunner, settle } from "./fakeRunner";
import { sampleReport } from "./fixtures";
import type { RunnerEvent, RunOutcome } from "../../src/protocol/runner";

vi.mock("vscode", () => import("./fakeVscode"));
const vscode = await import("./fakeVscode");
const { RunManager, modelKey } = await import("../../src/extension/runs");
const { Diagnostics } = await import("../../src/extension/diagnostics");

let dir: string;
let file: string;
let runner: ReturnType<typeof fakeRunner>;
let runs: InstanceType<typeof RunManager>;

beforeEach(() => {
  vscode.resetFake();
  dir = mkdtempSync(path.join(tmpdir(), "gl-runs-"));
  file = path.join(dir, "m.ts");
  writeFileSync(file, `import { defineModel } from "gradient-lens";\nexport const small = defineModel({ name: "S" });\nexport default defineModel({ name: "D" });\n`);
  runner = fakeRunner();
  runs = new RunManager(runner.startRun, () => ({}), vscode.window.createOutputChannel("t", { log: true }) as never);
});

afterEach(() => {
  runs.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("a model's last run", () => {
  it("is a failure without a report (timeout), so the old report is not shown as current", async () => {
    const model = { file, exportName: "small", name: "S" };
    const first = runs.run("check", model);
    await settle();
    runner.runs[0].end({ ok: true, report: sampleReport() });
    await first;
    expect(runs.lastReport(model)?.phase).toBe("done");

    const second = runs.run("check", model);
    await settle();
    runner.runs[1].end({ ok: false, error: { kind: "timeout", message: "the run exceeded 120000 ms" } });
    await second;
    expect(runs.lastReport(model)).toMatchObject({ phase: "failed", error: { kind: "timeout" } });
    expect(runs.lastReport(model)?.report).toBeUndefined();
  });

  it("is not a cancelled run: stopping keeps the previous result", async () => {
    const model = { file, exportName: "small", name: "S" };
    const first = runs.run("check", model);
    await settle();
    runner.runs[0].end({ ok: true, report: sampleReport() });
    await first;
    const second = runs.run("train", model);
    await settle();
    runs.stopAll();
    expect((await second).phase).toBe("cancelled");
    expect(runs.lastReport(model)?.phase).toBe("done");
  });
});

describe("run keys", () => {
  it("give a model run without an export name the key of the export the runner picks (default first)", async () => {
    const diagnostics = new Diagnostics(runs);
    const done = runs.run("check", { file, name: "m.ts" });
    await settle();
    const r = runner.runs[0];
    expect(r.request.exportName).toBeUndefined(); // the runner still decides what "the first model" is
    r.emit({ type: "started", exportName: "default", name: "D", totalSteps: 2 });
    r.end({ ok: true, report: sampleReport({ model: { ...sampleReport().model, file } }) });
    const s = await done;
    expect(modelKey(s.model)).toBe(`${file}#default`);
    expect(runs.lastReport({ file, exportName: "default" })).toBe(s);
    expect(runs.finishedInFile(file)).toHaveLength(1);

    // A later run of the same model through its export name replaces it, in the Problems panel too.
    const again = runs.run("check", { file, exportName: "default", name: "D" });
    await settle();
    runner.runs[1].end({ ok: true, report: sampleReport({ model: { ...sampleReport().model, file }, warnings: [] }) });
    await again;
    expect(runs.finishedInFile(file)).toHaveLength(1);
    expect(vscode.fake.diagnostics.get("/ws/deep-sigmoid.ts")).toBeUndefined();
    diagnostics.dispose();
  });
});

describe("a replaced run", () => {
  it("is not published over the run that replaced it while it winds down (the runner's grace period)", async () => {
    // The real runner's cancel asks the child to stop: it may still send `started` and steps before it ends.
    const handles: Array<{ emit(e: RunnerEvent): void; end(o: RunOutcome): void }> = [];
    const graceful = ((request: unknown, onEvent: (e: RunnerEvent) => void) => {
      let end!: (o: RunOutcome) => void;
      const result = new Promise<RunOutcome>((r) => (end = r));
      handles.push({ emit: onEvent, end });
      return { result, pid: undefined, cancel() {} };
    }) as never;
    const manager = new RunManager(graceful, () => ({}), vscode.window.createOutputChannel("t", { log: true }) as never);
    const published: number[] = [];
    manager.onDidChange((e) => {
      if (e.kind === "snapshot" && e.snapshot) published.push(e.snapshot.runId);
    });
    const model = { file, exportName: "small", name: "S" };
    const first = manager.run("check", model);
    await settle();
    const second = manager.run("train", model);
    await settle();
    const newer = manager.currentSnapshot!.runId;
    published.length = 0;
    handles[0].emit({ type: "started", exportName: "small", name: "S", totalSteps: 20 });
    handles[1].emit({ type: "started", exportName: "small", name: "S", totalSteps: 100 });
    handles[0].emit({ type: "started", exportName: "small", name: "S", totalSteps: 20 });
    expect(published).toEqual([newer]);
    handles[0].end({ ok: false, error: { kind: "cancelled", message: "cancelled" } });
    await first;
    handles[1].end({ ok: true, report: sampleReport() });
    await second;
    expect(published.every((id) => id === newer)).toBe(true);
    manager.dispose();
  });
});

describe("restore", () => {
  it("adopts a saved snapshot when nothing ran, shows a saved live run as stopped, numbers later runs after it", async () => {
    const saved = { runId: 7, command: "train" as const, model: { file, exportName: "small", name: "S" }, phase: "running" as const, totalSteps: 10, progress: [], startedAt: 1 };
    const s = runs.restore(saved)!;
    expect(runs.currentSnapshot).toBe(s);
    expect(runs.isRestored(s)).toBe(true);
    expect(s.phase).toBe("cancelled");
    expect(runs.restore(saved)).toBeUndefined(); // only once, and never over a run of this window
    void runs.run("check", { file, exportName: "small", name: "S" });
    await settle();
    expect(runs.currentSnapshot?.runId).toBe(8);
    expect(runs.isRestored(runs.currentSnapshot!)).toBe(false);
  });
});
