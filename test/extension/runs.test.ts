/** RunManager with a fake `vscode` and a fake runner: which runs a model's "last result" is, and under which key. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fakeRunner, settle } from "./fakeRunner";
import { sampleReport } from "./fixtures";

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
