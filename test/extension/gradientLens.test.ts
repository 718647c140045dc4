/**
 * The host's answer to its webviews, with a fake `vscode`: a webview may only run or open files the
 * host knows, and a report panel restored after a window reload works like the one before it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fakeRunner, settle } from "./fakeRunner";
import { sampleReport } from "./fixtures";
import type { RunSnapshot } from "../../src/protocol/webview";

vi.mock("vscode", () => import("./fakeVscode"));
const runner = vi.hoisted(() => ({ current: undefined as undefined | ReturnType<typeof import("./fakeRunner").fakeRunner> }));
vi.mock("../../src/runner", () => ({ startRun: (...a: Parameters<ReturnType<typeof fakeRunner>["startRun"]>) => runner.current!.startRun(...a) }));

const vscode = await import("./fakeVscode");
const { GradientLens } = await import("../../src/extension/gradientLens");
const { REPORT_VIEW_TYPE } = await import("../../src/extension/reportPanel");

const MODEL_SOURCE = `import { defineModel } from "gradient-lens";\n\nexport default defineModel({\n  name: "Deep sigmoid",\n});\n`;

let root: string;
let ws: string;
let modelFile: string;
let outside: string;
let lens: InstanceType<typeof GradientLens>;

beforeEach(() => {
  vscode.resetFake();
  runner.current = fakeRunner();
  root = mkdtempSync(path.join(tmpdir(), "gl-host-"));
  ws = path.join(root, "ws");
  mkdirSync(ws);
  modelFile = path.join(ws, "deep-sigmoid.ts");
  writeFileSync(modelFile, MODEL_SOURCE);
  outside = path.join(root, "evil.ts");
  writeFileSync(outside, `require("node:fs").writeFileSync("pwned", "1");\nexport default 1;\n`);
  vscode.fake.workspaceFolders = [ws];
  vscode.fake.workspaceFiles = [modelFile];
  lens = new GradientLens({ extensionUri: vscode.Uri.file(path.join(root, "ext")), subscriptions: [] } as never);
});

afterEach(() => {
  lens.dispose();
  rmSync(root, { recursive: true, force: true });
});

async function openReport() {
  await vscode.commands.executeCommand("gradientLens.openReport");
  const panel = vscode.fake.panels.at(-1)!;
  return panel.webview;
}

async function restoreReport(snapshot: RunSnapshot) {
  const panel = new vscode.FakeWebviewPanel(REPORT_VIEW_TYPE);
  await vscode.fake.serializers.get(REPORT_VIEW_TYPE)!.deserializeWebviewPanel(panel, { snapshot });
  panel.webview.send({ type: "ready" });
  await settle();
  return panel.webview;
}

/** What the report panel saved before the reload: a finished check of the workspace's model. */
function savedSnapshot(file = modelFile): RunSnapshot {
  const report = sampleReport();
  const at = (l: { location?: { file: string } }) => l.location && (l.location.file = file);
  report.model.file = file;
  report.model.layers.forEach(at);
  return { runId: 1, command: "check", model: { file, exportName: "default", name: "Deep sigmoid", line: 3 }, phase: "done", totalSteps: 2, progress: [], report, startedAt: 1, endedAt: 2 };
}

const refused = (what: RegExp) => vscode.fake.log.some((l) => l.startsWith("[warn]") && what.test(l));

describe("a webview asks the host to run a model", () => {
  it("refuses a file the host does not know, and logs it", async () => {
    const page = await openReport();
    // The page is told why, naming the file.
    expect(await page.request({ type: "run", command: "check", model: { file: outside, name: "evil" } })).toEqual({
      status: "refused",
      reason: "evil.ts is not a model file of this workspace, so Gradient Lens will not run it.",
    });
    expect(await page.request({ type: "run", command: "check", model: { file: path.join(ws, "..", "evil.ts"), exportName: "default", name: "evil" } })).toMatchObject({
      status: "refused",
      reason: expect.stringMatching(/^evil\.ts is not a model file/),
    });
    expect(vscode.fake.log.filter((l) => /refused to run/.test(l))).toHaveLength(2);
    expect(runner.current!.runs).toEqual([]);
  });

  it("runs a model of the workspace", async () => {
    const page = await openReport();
    expect(await page.request({ type: "run", command: "check", model: { file: modelFile, exportName: "default", name: "Deep sigmoid" } })).toEqual({ status: "ok" });
    await vi.waitFor(() => expect(runner.current!.runs).toHaveLength(1));
    expect(runner.current!.runs[0].request).toMatchObject({ file: modelFile, exportName: "default", command: "check" });
  });
});

describe("a report panel restored after a window reload", () => {
  it("opens the line a warning points at", async () => {
    const page = await restoreReport(savedSnapshot());
    expect(await page.request({ type: "reveal", location: { file: modelFile, line: 15, column: 7 } })).toEqual({ status: "ok" });
    expect(vscode.fake.opened).toHaveLength(1);
    expect(vscode.fake.opened[0]).toMatchObject({ file: modelFile, selection: { start: { line: 14, character: 6 } } });
    expect(refused(/refused to open/)).toBe(false);
  });

  it("exports its report", async () => {
    const page = await restoreReport(savedSnapshot());
    vscode.fake.saveTarget = vscode.Uri.file(path.join(root, "out.json"));
    expect(await page.request({ type: "export", format: "json" })).toEqual({ status: "ok" });
    expect(vscode.fake.written.size).toBe(1);
    expect(JSON.parse(vscode.fake.written.get(path.join(root, "out.json"))!).model.name).toBe("Deep sigmoid MLP");
    expect(vscode.fake.messages.map((m) => m.text).join("\n")).not.toMatch(/no report yet/);
  });

  it("reruns the model it shows", async () => {
    const page = await restoreReport(savedSnapshot());
    expect(await page.request({ type: "run", command: "train" })).toEqual({ status: "ok" });
    await vi.waitFor(() => expect(runner.current!.runs).toHaveLength(1));
    expect(runner.current!.runs[0].request).toMatchObject({ file: modelFile, command: "train" });
    // Run numbers go on from the restored run's.
    await vi.waitFor(() => expect(vscode.fake.log.some((l) => /run #2: train/.test(l))).toBe(true));
  });

  it("does not vouch for files outside the workspace that its saved state names", async () => {
    const page = await restoreReport(savedSnapshot(outside));
    const refusedRun = { status: "refused", reason: "evil.ts is not a model file of this workspace, so Gradient Lens will not run it." };
    expect(await page.request({ type: "run", command: "check" })).toEqual(refusedRun);
    expect(await page.request({ type: "run", command: "check", model: { file: outside, name: "evil" } })).toEqual(refusedRun);
    expect(await page.request({ type: "reveal", location: { file: outside, line: 1, column: 1 } })).toEqual({
      status: "refused",
      reason: "Gradient Lens opens only the model's files and the files its report points at; evil.ts is neither.",
    });
    expect(refused(/refused to open/)).toBe(true);
    expect(vscode.fake.log.filter((l) => /refused to run/.test(l))).toHaveLength(2);
    expect(runner.current!.runs).toEqual([]);
    expect(vscode.fake.opened).toEqual([]);
  });
});

describe("the side view's model list", () => {
  it("opens a workspace model before anything has scanned the workspace", async () => {
    const page = await openReport();
    expect(await page.request({ type: "openModel", model: { file: modelFile, exportName: "default", name: "Deep sigmoid", line: 3 } })).toEqual({ status: "ok" });
    expect(vscode.fake.opened.map((o) => o.file)).toEqual([modelFile]);
  });
});

describe("the host answers every request", () => {
  it("refuses a stop with nothing running, an export with no report, and says why", async () => {
    const page = await openReport();
    expect(await page.request({ type: "stop" })).toEqual({ status: "refused", reason: "No run to stop." });
    expect(await page.request({ type: "export", format: "csv" })).toEqual({ status: "refused", reason: "No report yet: check or train a model first." });
    expect(vscode.fake.saveDialogs).toEqual([]);
  });

  it("answers `cancelled` when the user dismisses the save dialog, and writes nothing", async () => {
    const page = await restoreReport(savedSnapshot());
    vscode.fake.saveTarget = undefined;
    expect(await page.request({ type: "export", format: "json" })).toEqual({ status: "cancelled" });
    expect(vscode.fake.saveDialogs).toHaveLength(1);
    expect(vscode.fake.written.size).toBe(0);
  });

  it("refuses a run in an untrusted workspace before looking at the model", async () => {
    vscode.fake.trusted = false;
    const page = await openReport();
    expect(await page.request({ type: "run", command: "train", model: { file: modelFile, exportName: "default", name: "Deep sigmoid" } })).toEqual({
      status: "refused",
      reason: "Running a model is disabled in an untrusted workspace: trust the workspace first.",
    });
    expect(runner.current!.runs).toEqual([]);
  });

  it("turns a failure while acting into a refusal with the error's message", async () => {
    const page = await restoreReport(savedSnapshot());
    vscode.fake.openError = new Error("EACCES: permission denied");
    expect(await page.request({ type: "reveal", location: { file: modelFile, line: 2, column: 1 } })).toEqual({
      status: "refused",
      reason: "Gradient Lens could not open the file: EACCES: permission denied",
    });
    expect(vscode.fake.log.filter((l) => /^\[error\] webview request reveal failed/.test(l))).toHaveLength(1);
  });
});

describe("hostile messages from a webview", () => {
  it("are dropped without an answer and logged once, abridged, then only counted", async () => {
    const page = await openReport();
    const huge = "x".repeat(1_000_000);
    const hostile: unknown[] = [
      { type: huge, requestId: 1 },
      { type: "reveal", requestId: 2, location: { file: "relative/m.ts", line: 1, column: 1 } },
      { type: "reveal", requestId: 3, location: { file: "/ws/run.sh", line: 1, column: 1 } },
      { type: "reveal", requestId: 4, location: { file: "/ws/m\u0000.ts", line: 1, column: 1 } },
      { type: "reveal", requestId: 5, location: { file: `/${huge}.ts`, line: 1, column: 1 } },
      { type: "reveal", requestId: 6, location: { file: "/ws/m.ts", line: -1, column: 1 } },
      { type: "reveal", requestId: 7, location: { file: "/ws/m.ts", line: 1, column: 1e12 } },
      { type: "reveal", requestId: 8, location: { file: "/ws/m.ts", line: Number.NaN, column: 1 } },
      { type: "run", requestId: 9, command: "check", model: { file: modelFile, name: huge } },
      { type: "run", requestId: -1, command: "check" },
      { type: "run", command: "check" }, // no requestId
    ];
    for (const m of hostile) page.send(m);
    await settle();
    const warnings = vscode.fake.log.filter((l) => /invalid message/.test(l));
    // One line for the first (its type abridged to 40 characters), one at the tenth; nothing else.
    expect(warnings).toEqual([
      `[warn] ignored an invalid message from a webview (type "${"x".repeat(40)}…", keys type, requestId); further ones are only counted`,
      "[warn] ignored 10 invalid messages from a webview",
    ]);
    expect(vscode.fake.log.join("\n").length).toBeLessThan(2000);
    expect(page.posted.filter((m) => (m as { type: string }).type === "response")).toEqual([]);
    expect(vscode.fake.opened).toEqual([]);
    expect(runner.current!.runs).toEqual([]);
  });
});
