/** The protocol's messages for comparing runs: what each side admits across the webview boundary. */
import { describe, expect, it } from "vitest";
import { isComparedRun, isHostMessage, isOutcome, isRunEntry, isRunId, isWebviewMessage, MAX_NAME, type ComparedRun, type RunEntry } from "../../src/protocol/webview";
import { sampleReport } from "./fixtures";

const entry: RunEntry = {
  id: "deep-sigmoid-0123456789ab/20261202T010203456Z-r7", model: { file: "/ws/m.ts", exportName: "default", name: "M" },
  command: "train", phase: "done", startedAt: 1, endedAt: 2, steps: 200, warnings: 3,
};
const run: ComparedRun = { name: "M", date: 1, source: "history", report: sampleReport() };

describe("comparing runs across the webview boundary", () => {
  it("admits run ids of two plain names only", () => {
    for (const id of [entry.id, "session/r3", "a/b"]) expect(isRunId(id), id).toBe(true);
    for (const id of ["", "a", "a/b/c", "../a", "a/..", "a/../b", "/a/b", "a\\b/c", "a/b\u0000", ".hidden/x", "a/.x", `a/${"x".repeat(201)}`, 3, null]) {
      expect(isRunId(id), String(id)).toBe(false);
    }
  });

  it("accepts listRuns and loadRun requests, and no loadRun without a valid id", () => {
    expect(isWebviewMessage({ type: "listRuns", requestId: 1 })).toBe(true);
    expect(isWebviewMessage({ type: "loadRun", id: entry.id, requestId: 2 })).toBe(true);
    for (const id of [undefined, "../../etc/passwd", { id: "a/b" }]) expect(isWebviewMessage({ type: "loadRun", id, requestId: 3 }), String(id)).toBe(false);
    expect(isWebviewMessage({ type: "listRuns" })).toBe(false); // a request needs its requestId
  });

  it("checks the entries and runs a query's answer carries", () => {
    expect(isRunEntry(entry)).toBe(true);
    expect(isRunEntry({ ...entry, phase: "cancelled", reason: "cancelled", totalSteps: 300 })).toBe(true);
    expect(isRunEntry({ ...entry, notes: 2 })).toBe(true);
    for (const bad of [
      { ...entry, notes: -1 }, { ...entry, notes: "2" },
      { ...entry, reason: "paused" }, { ...entry, reason: 3 }, { ...entry, totalSteps: -1 }, { ...entry, totalSteps: 2.5 },
      { ...entry, id: "../x" }, { ...entry, model: { file: "relative.ts", name: "M" } }, { ...entry, command: "list" }, { ...entry, phase: "paused" },
      { ...entry, startedAt: -1 }, { ...entry, startedAt: Number.NaN }, { ...entry, steps: 1.5 }, { ...entry, warnings: "3" }, { ...entry, endedAt: "2" },
    ]) expect(isRunEntry(bad), JSON.stringify(bad).slice(0, 120)).toBe(false);
    expect(isComparedRun(run)).toBe(true);
    for (const bad of [
      { ...run, name: 3 }, { ...run, name: "x".repeat(MAX_NAME + 1) }, { ...run, source: "web" }, { ...run, date: Infinity },
      { ...run, report: { ...sampleReport(), version: 2 } }, { ...run, report: { version: 1 } },
    ]) expect(isComparedRun(bad)).toBe(false);
    expect(isOutcome({ status: "ok", result: { kind: "runs", runs: [entry] } })).toBe(true);
    expect(isOutcome({ status: "ok", result: { kind: "run", run } })).toBe(true);
    expect(isOutcome({ status: "ok", result: { kind: "runs", runs: [{ ...entry, id: "../x" }] } })).toBe(false);
    expect(isOutcome({ status: "ok", result: { kind: "files" } })).toBe(false);
    expect(isOutcome({ status: "ok", result: null })).toBe(false);
  });

  it("accepts a compare message only with two valid runs", () => {
    expect(isHostMessage({ type: "compare", a: run, b: run })).toBe(true);
    expect(isHostMessage({ type: "compare", a: run })).toBe(false);
    expect(isHostMessage({ type: "compare", a: run, b: { ...run, report: "<img src=x onerror=alert(1)>" } })).toBe(false);
  });
});
