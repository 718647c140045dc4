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
    page.send({ type: "run", command: "check", model: { file: outside, name: "evil" } });
    page.send({ type: "run", command: "check", model: { file: path.join(ws, "..", "evil.ts"), exportName: "default", name: "evil" } });
    await vi.waitFor(() => expect(vscode.fake.log.filter((l) => /refused to run/.test(l))).toHaveLength(2));
    expect(runner.current!.runs).toEqual([]);
  });

  it("runs a model of the workspace", async () => {
    const page = await openReport();
    page.send({ type: "run", command: "check", model: { file: modelFile, exportName: "default", name: "Deep sigmoid" } });
    await vi.waitFor(() => expect(runner.current!.runs).toHaveLength(1));
    expect(runner.current!.runs[0].request).toMatchObject({ file: modelFile, exportName: "default", command: "check" });
  });
});

describe("a report panel restored after a window reload", () => {
  it("opens the line a warning points at", async () => {
    const page = await restoreReport(savedSnapshot());
    page.send({ type: "reveal", location: { file: modelFile, line: 15, column: 7 } });
    await vi.waitFor(() => expect(vscode.fake.opened).toHaveLength(1));
    expect(vscode.fake.opened[0]).toMatchObject({ file: modelFile, selection: { start: { line: 14, character: 6 } } });
    expect(refused(/refused to open/)).toBe(false);
  });

  it("exports its report", async () => {
    const page = await restoreReport(savedSnapshot());
    vscode.fake.saveTarget = vscode.Uri.file(path.join(root, "out.json"));
    page.send({ type: "export", format: "json" });
    await vi.waitFor(() => expect(vscode.fake.written.size).toBe(1));
    expect(JSON.parse(vscode.fake.written.get(path.join(root, "out.json"))!).model.name).toBe("Deep sigmoid MLP");
    expect(vscode.fake.messages.map((m) => m.text).join("\n")).not.toMatch(/no report yet/);
  });

  it("reruns the model it shows", async () => {
    const page = await restoreReport(savedSnapshot());
    page.send({ type: "run", command: "train" });
    await vi.waitFor(() => expect(runner.current!.runs).toHaveLength(1));
    expect(runner.current!.runs[0].request).toMatchObject({ file: modelFile, command: "train" });
    // Run numbers go on from the restored run's.
    await vi.waitFor(() => expect(vscode.fake.log.some((l) => /run #2: train/.test(l))).toBe(true));
  });

  it("does not vouch for files outside the workspace that its saved state names", async () => {
    const page = await restoreReport(savedSnapshot(outside));
    page.send({ type: "run", command: "check" });
    page.send({ type: "run", command: "check", model: { file: outside, name: "evil" } });
    page.send({ type: "reveal", location: { file: outside, line: 1, column: 1 } });
    await vi.waitFor(() => expect(refused(/refused to open/)).toBe(true));
    await vi.waitFor(() => expect(vscode.fake.log.filter((l) => /refused to run/.test(l))).toHaveLength(2));
    expect(runner.current!.runs).toEqual([]);
    expect(vscode.fake.opened).toEqual([]);
  });
});

describe("the side view's model list", () => {
  it("opens a workspace model before anything has scanned the workspace", async () => {
    const page = await openReport();
    page.send({ type: "openModel", model: { file: modelFile, exportName: "default", name: "Deep sigmoid", line: 3 } });
    await vi.waitFor(() => expect(vscode.fake.opened.map((o) => o.file)).toEqual([modelFile]));
  });
});
