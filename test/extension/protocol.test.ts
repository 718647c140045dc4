import { describe, expect, it } from "vitest";
import { isHostMessage, isWebviewMessage, isRunSnapshot, type RunSnapshot } from "../../src/protocol/webview";
import { sampleReport } from "./fixtures";

const snapshot: RunSnapshot = {
  runId: 1, command: "check", model: { file: "/ws/m.ts", exportName: "default", name: "M", line: 3 }, phase: "done",
  totalSteps: 2, progress: [{ step: 0, loss: 1, layers: [{ name: "layers.0", gradNorm: 1e-3 }] }], report: sampleReport(), startedAt: 1,
};

describe("webview → host messages", () => {
  it("accepts every well-formed message", () => {
    for (const m of [
      { type: "ready" }, { type: "stop" }, { type: "openReport" },
      { type: "reveal", location: { file: "/ws/m.ts", line: 15, column: 7 } },
      { type: "run", command: "check" }, { type: "run", command: "train", model: snapshot.model },
      { type: "export", format: "csv" }, { type: "openModel", model: snapshot.model },
    ]) expect(isWebviewMessage(m), JSON.stringify(m)).toBe(true);
  });

  it("rejects unknown types, missing fields and bad values", () => {
    for (const m of [
      null, "ready", [], { type: "exec", command: "rm -rf /" }, { command: "ready" },
      { type: "reveal", location: { file: "/ws/m.ts", line: 0, column: 1 } },
      { type: "reveal", location: { file: "", line: 1, column: 1 } },
      { type: "reveal", location: { file: "/ws/m.ts", line: 1.5, column: 1 } },
      { type: "run", command: "list" }, { type: "run", command: "check", model: { file: 3, name: "x" } },
      { type: "export", format: "xml" }, { type: "openModel" },
    ]) expect(isWebviewMessage(m), JSON.stringify(m)).toBe(false);
  });
});

describe("host → webview messages", () => {
  it("accepts snapshots, progress and model lists", () => {
    expect(isHostMessage({ type: "snapshot", snapshot })).toBe(true);
    expect(isHostMessage({ type: "snapshot", snapshot: null })).toBe(true);
    expect(isHostMessage({ type: "progress", runId: 1, point: { step: 3, loss: 0.5 } })).toBe(true);
    expect(isHostMessage({ type: "models", models: [snapshot.model], scanning: false })).toBe(true);
  });

  it("rejects malformed snapshots (also what a reload restores from state)", () => {
    expect(isRunSnapshot({ ...snapshot, phase: "exploded" })).toBe(false);
    expect(isRunSnapshot({ ...snapshot, report: { version: 2 } })).toBe(false);
    expect(isRunSnapshot({ ...snapshot, progress: [{ step: "0", loss: 1 }] })).toBe(false);
    expect(isHostMessage({ type: "progress", runId: 1, point: { step: 0, loss: 1, layers: [{ name: 1 }] } })).toBe(false);
    expect(isHostMessage({ type: "models", models: [{}], scanning: false })).toBe(false);
  });
});
