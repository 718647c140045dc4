/** The Problems panel entries of a run, with a fake `vscode`: dropped from a file once it is edited. */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { fakeRunner, settle } from "./fakeRunner";
import { sampleReport } from "./fixtures";

vi.mock("vscode", () => import("./fakeVscode"));
const vscode = await import("./fakeVscode");
const { RunManager } = await import("../../src/extension/runs");
const { Diagnostics } = await import("../../src/extension/diagnostics");

const FILE = "/ws/deep-sigmoid.ts";

describe("Diagnostics", () => {
  let runs: InstanceType<typeof RunManager>;
  beforeEach(async () => {
    vscode.resetFake();
    const runner = fakeRunner();
    runs = new RunManager(runner.startRun, () => ({}), vscode.window.createOutputChannel("t", { log: true }) as never);
    new Diagnostics(runs);
    const done = runs.run("check", { file: FILE, exportName: "default", name: "D", line: 11 });
    await settle();
    runner.runs[0].end({ ok: true, report: sampleReport() });
    await done;
  });

  it("clears a file's entries when its text changes, and only then", () => {
    // One problem (vanishing gradients) with the flat loss as its symptom, pointing at its own line.
    expect(vscode.fake.diagnostics.get(FILE)?.map((d) => d.code)).toEqual(["vanishing-gradient"]);
    const related = vscode.fake.diagnostics.get(FILE)![0].relatedInformation!;
    expect(related.map((r) => [r.location.uri.fsPath, r.message])).toEqual([[FILE, "symptom loss-not-decreasing: the loss did not decrease"]]);
    const doc = vscode.fakeDocument(FILE, "");
    vscode.fake.onDidChangeTextDocument.fire({ document: doc, contentChanges: [] }); // dirty-state only
    expect(vscode.fake.diagnostics.get(FILE)).toHaveLength(1);
    vscode.fake.onDidChangeTextDocument.fire({ document: vscode.fakeDocument("/ws/other.ts", ""), contentChanges: [{}] });
    expect(vscode.fake.diagnostics.get(FILE)).toHaveLength(1);
    vscode.fake.onDidChangeTextDocument.fire({ document: doc, contentChanges: [{}] });
    expect(vscode.fake.diagnostics.has(FILE)).toBe(false);
  });
});
