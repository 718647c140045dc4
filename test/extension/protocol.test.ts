import { describe, expect, it } from "vitest";
import {
  describeRefused, isHostMessage, isModelPath, isRunSnapshot, isWebviewMessage, MAX_LINE, MAX_NAME, MAX_PATH, MAX_TEXT, refuse, type RunSnapshot,
} from "../../src/protocol/webview";
import { sampleReport } from "./fixtures";

const snapshot: RunSnapshot = {
  runId: 1, command: "check", model: { file: "/ws/m.ts", exportName: "default", name: "M", line: 3 }, phase: "done",
  totalSteps: 2, progress: [{ step: 0, loss: 1, layers: [{ name: "layers.0", gradNorm: 1e-3 }] }], report: sampleReport(), startedAt: 1,
};

describe("webview → host messages", () => {
  it("accepts every well-formed message", () => {
    const requests = [
      { type: "stop" }, { type: "openReport" },
      { type: "reveal", location: { file: "/ws/m.ts", line: 15, column: 7 } },
      { type: "reveal", location: { file: "C:\\ws\\m.mts", line: 1, column: 1 } },
      { type: "run", command: "check" }, { type: "run", command: "train", model: snapshot.model },
      { type: "export", format: "csv" }, { type: "openModel", model: snapshot.model },
    ];
    expect(isWebviewMessage({ type: "ready" })).toBe(true);
    for (const [i, m] of requests.entries()) expect(isWebviewMessage({ ...m, requestId: i }), JSON.stringify(m)).toBe(true);
  });

  it("rejects unknown types, missing fields and bad values", () => {
    for (const m of [
      null, "ready", [], { type: "exec", command: "rm -rf /" }, { command: "ready" },
      { type: "reveal", location: { file: "/ws/m.ts", line: 0, column: 1 } },
      { type: "reveal", location: { file: "", line: 1, column: 1 } },
      { type: "reveal", location: { file: "/ws/m.ts", line: 1.5, column: 1 } },
      { type: "run", command: "list" }, { type: "run", command: "check", model: { file: 3, name: "x" } },
      { type: "export", format: "xml" }, { type: "openModel" },
    ]) expect(isWebviewMessage(typeof m === "object" && m && !Array.isArray(m) ? { ...m, requestId: 1 } : m), JSON.stringify(m)).toBe(false);
  });

  it("rejects a request without a valid requestId", () => {
    for (const requestId of [undefined, -1, 1.5, "1", Number.NaN, 2 ** 60]) expect(isWebviewMessage({ type: "stop", requestId }), String(requestId)).toBe(false);
  });

  it("admits only absolute source paths without NUL or control characters, of bounded length", () => {
    const at = (file: unknown) => ({ type: "reveal", requestId: 1, location: { file, line: 1, column: 1 } });
    // A layer built in a .js or .tsx module the model imports has its line there: it must open.
    for (const file of ["/ws/m.ts", "/ws/a b/モデル.ts", "/ws/m.cts", "C:/ws/m.ts", "\\\\server\\share\\m.ts", "/ws/layers.js", "/ws/l.mjs", "/ws/l.tsx"]) {
      expect(isWebviewMessage(at(file)), file).toBe(true);
    }
    for (const file of [
      "m.ts", "./m.ts", "../m.ts", "ws/m.ts", "/ws/m.json", "/ws/run.sh", "/ws/m.ts.map", "/ws/m", "/ws/m\u0000.ts", "/ws/m\n.ts", "/ws/\u001b[2Jm.ts",
      `/${"a".repeat(MAX_PATH)}.ts`, 42, null,
    ]) expect(isWebviewMessage(at(file)), JSON.stringify(file)).toBe(false);
    // A model itself is a TypeScript file.
    expect(isWebviewMessage({ type: "openModel", requestId: 1, model: { file: "/ws/layers.js", name: "M" } })).toBe(false);
    expect(isModelPath(`/${"a".repeat(MAX_PATH - 4)}.ts`)).toBe(true);
    expect(isModelPath(`/${"a".repeat(MAX_PATH - 3)}.ts`)).toBe(false);
  });

  it("admits line and column only as integers from 1 to MAX_LINE", () => {
    const at = (line: unknown, column: unknown) => ({ type: "reveal", requestId: 1, location: { file: "/ws/m.ts", line, column } });
    expect(isWebviewMessage(at(1, 1))).toBe(true);
    expect(isWebviewMessage(at(MAX_LINE, MAX_LINE))).toBe(true);
    for (const [line, column] of [[0, 1], [1, 0], [-1, 1], [MAX_LINE + 1, 1], [1, 1e12], [Number.NaN, 1], [Infinity, 1], [1, 2.5], ["3", 1]]) {
      expect(isWebviewMessage(at(line, column)), `${line}:${column}`).toBe(false);
    }
  });

  it("bounds model and export names and refuses NUL in them", () => {
    const run = (model: object) => ({ type: "run", requestId: 1, command: "check", model: { file: "/ws/m.ts", name: "M", ...model } });
    expect(isWebviewMessage(run({ name: "n".repeat(MAX_NAME), exportName: "e".repeat(MAX_NAME) }))).toBe(true);
    expect(isWebviewMessage(run({ name: "n".repeat(MAX_NAME + 1) }))).toBe(false);
    expect(isWebviewMessage(run({ exportName: "e".repeat(MAX_NAME + 1) }))).toBe(false);
    expect(isWebviewMessage(run({ exportName: "" }))).toBe(false);
    expect(isWebviewMessage(run({ name: "a\u0000b" }))).toBe(false);
    expect(isWebviewMessage(run({ line: 0 }))).toBe(false);
  });

  it("describes a refused message by its type and keys, abridged, never its content", () => {
    const secret = "s".repeat(10_000);
    const text = describeRefused({ type: "\u001b]0;pwned\u0007" + secret, a: secret, b: 1, c: 2, d: 3, e: 4, f: 5, g: 6 });
    expect(text).toBe(`type "?]0;pwned?${"s".repeat(30)}…", keys type, a, b, c, d, e, … (8 in all)`);
    expect(describeRefused(null)).toBe("null");
    expect(describeRefused([1, 2])).toBe("an array");
    expect(describeRefused("x".repeat(1e6))).toBe("a string");
  });
});

describe("host → webview messages", () => {
  it("accepts snapshots, progress and model lists", () => {
    expect(isHostMessage({ type: "snapshot", snapshot })).toBe(true);
    expect(isHostMessage({ type: "snapshot", snapshot: null })).toBe(true);
    expect(isHostMessage({ type: "progress", runId: 1, point: { step: 3, loss: 0.5 } })).toBe(true);
    expect(isHostMessage({ type: "models", models: [snapshot.model], scanning: false })).toBe(true);
    expect(isHostMessage({ type: "response", requestId: 3, outcome: { status: "ok" } })).toBe(true);
    expect(isHostMessage({ type: "response", requestId: 3, outcome: { status: "cancelled" } })).toBe(true);
    expect(isHostMessage({ type: "response", requestId: 3, outcome: { status: "refused", reason: "No run to stop." } })).toBe(true);
  });

  it("rejects responses without a request id or a well-formed outcome", () => {
    for (const m of [
      { type: "response", outcome: { status: "ok" } },
      { type: "response", requestId: 1, outcome: { status: "refused" } },
      { type: "response", requestId: 1, outcome: { status: "refused", reason: "" } },
      { type: "response", requestId: 1, outcome: { status: "done" } },
      { type: "response", requestId: 1 },
    ]) expect(isHostMessage(m), JSON.stringify(m)).toBe(false);
  });

  it("rejects malformed snapshots (also what a reload restores from state)", () => {
    expect(isRunSnapshot({ ...snapshot, phase: "exploded" })).toBe(false);
    expect(isRunSnapshot({ ...snapshot, report: { version: 2 } })).toBe(false);
    expect(isRunSnapshot({ ...snapshot, progress: [{ step: "0", loss: 1 }] })).toBe(false);
    expect(isHostMessage({ type: "progress", runId: 1, point: { step: 0, loss: 1, layers: [{ name: 1 }] } })).toBe(false);
    expect(isHostMessage({ type: "models", models: [{}], scanning: false })).toBe(false);
  });
});

describe("refuse", () => {
  it("keeps every refusal the host makes within what the webview accepts (long reasons abridged, empty ones filled)", () => {
    // A refusal quoting a long path or error message must still reach the page, or its request never settles.
    const long = refuse(`Could not write report.json: ${"x".repeat(5000)}`);
    expect(isHostMessage({ type: "response", requestId: 1, outcome: long })).toBe(true);
    expect(long).toMatchObject({ status: "refused" });
    const reason = (long as { reason: string }).reason;
    expect(reason.length).toBe(MAX_TEXT);
    expect(reason.startsWith("Could not write report.json: xxx")).toBe(true);
    expect(reason.endsWith("…")).toBe(true);
    expect(isHostMessage({ type: "response", requestId: 1, outcome: refuse("") })).toBe(true);
    expect(refuse("No run to stop.")).toEqual({ status: "refused", reason: "No run to stop." });
  });
});
