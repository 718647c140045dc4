/**
 * The gradient check's tri-state verdict reads the same in every front end: the shared function in
 * src/report.ts, then one test per front end (CLI, CodeLens summary, status bar, Problems, webview card).
 */
import { describe, expect, it } from "vitest";
import { gradcheckLayerStatus, gradcheckStatus, gradcheckStatusLabel, inconclusiveReason, type GradcheckResult, type Report } from "../../src/report";
import { exitCodeForReport, formatReport } from "../../src/cli/format";
import { statusBarLook, summarizeReport } from "../../src/extension/summary";
import { reportToProblems } from "../../src/extension/diagnosticsMap";
import { gradcheckLayerBadge, gradcheckVerdict } from "../../webview/derive";
import { sampleReport } from "../extension/fixtures";

const REASON = "the loss is ~1e8: central differences cannot resolve gradients below ~1e-2 here; rescale the loss or check on a smaller batch";

/** A check that could not judge: nothing failed, `passed` false, no layer judged. */
function inconclusive(): Report {
  return sampleReport({
    warnings: [],
    gradcheck: { mode: "sampled", eps: 1e-6, passed: false, status: "inconclusive", layers: [], checked: 0, notes: [REASON] },
  });
}

function failed(): Report {
  const r = sampleReport({ warnings: [] });
  r.gradcheck!.passed = false;
  r.gradcheck!.status = "failed";
  r.gradcheck!.layers[0].passed = false;
  r.gradcheck!.layers[0].status = "failed";
  r.gradcheck!.layers[0].failures = 3;
  return r;
}

describe("gradcheckStatus (shared)", () => {
  const gc = (over: Partial<GradcheckResult>): GradcheckResult => ({ mode: "sampled", eps: 1e-6, passed: false, layers: [], ...over });
  it("reads status first, else passed, else an old report's note that it compared nothing", () => {
    expect(gradcheckStatus(gc({ status: "inconclusive" }))).toBe("inconclusive");
    expect(gradcheckStatus(gc({ status: "failed", passed: false }))).toBe("failed");
    expect(gradcheckStatus(gc({ passed: true }))).toBe("passed");
    expect(gradcheckStatus(gc({ notes: ["the check could not run: x"] }))).toBe("inconclusive");
    expect(gradcheckStatus(gc({ layers: [{ name: "a", checked: 3, maxRelError: 1, passed: false, worst: [] }], checked: 3 }))).toBe("failed");
  });
  it("layers: status first, else passed", () => {
    expect(gradcheckLayerStatus({ passed: false, status: "inconclusive" })).toBe("inconclusive");
    expect(gradcheckLayerStatus({ passed: false })).toBe("failed");
    expect(gradcheckLayerStatus({ passed: true })).toBe("passed");
  });
  it("labels shout only a failure, and give the reason of an inconclusive check", () => {
    expect(gradcheckStatusLabel("failed")).toBe("FAILED");
    expect(gradcheckStatusLabel("inconclusive")).toBe("inconclusive");
    expect(inconclusiveReason(inconclusive().gradcheck!)).toBe(REASON);
  });
});

describe("every front end reads inconclusive as inconclusive, failed as failed", () => {
  it("CLI: exit code 0 and the word inconclusive for an inconclusive check; 1 and FAILED for a failed one", () => {
    expect(exitCodeForReport(inconclusive())).toBe(0);
    const text = formatReport(inconclusive());
    expect(text).toMatch(/inconclusive/);
    expect(text).not.toMatch(/FAILED/);
    expect(exitCodeForReport(failed())).toBe(1);
    expect(formatReport(failed())).toMatch(/FAILED/);
  });

  it("CodeLens summary: 'gradcheck inconclusive', never 'FAILED (0 of 0 layers)'", () => {
    expect(summarizeReport(inconclusive())).toBe("no warnings · gradcheck inconclusive");
    expect(summarizeReport(failed())).toBe("no warnings · gradcheck FAILED (1 of 2 layers) · max rel err 2e-9");
  });

  it("status bar: inconclusive is a warning colour and says so; failed is the error colour; passed is plain", () => {
    expect(statusBarLook("M", inconclusive())).toEqual({ icon: "$(warning)", text: "M: gradcheck inconclusive", background: "statusBarItem.warningBackground" });
    expect(statusBarLook("M", failed())).toEqual({ icon: "$(error)", text: "M: gradcheck FAILED", background: "statusBarItem.errorBackground" });
    expect(statusBarLook("M", sampleReport({ warnings: [] }))).toEqual({ icon: "$(pass)", text: "M: healthy" });
    expect(statusBarLook("M", sampleReport()).icon).toBe("$(warning)");
  });

  it("info-level findings are notes: they neither count as warnings nor turn a healthy run's icon", () => {
    const info = (layer: string) => ({ rule: "vanishing-query-key-gradient", severity: "info" as const, layer, message: "m", evidence: { attention: layer.replace(/\.qProj$/, "") } });
    const notes = sampleReport({ warnings: [info("layers.7.selfAttn.qProj"), info("layers.8.selfAttn.qProj")] });
    delete notes.problems;
    notes.model.layers = [{ name: "layers.7.selfAttn.qProj", kind: "Linear", parameters: 1 }, { name: "layers.8.selfAttn.qProj", kind: "Linear", parameters: 1 }];
    delete notes.gradcheck;
    expect(summarizeReport(notes)).toBe("no warnings · 1 note");
    expect(statusBarLook("M", notes)).toEqual({ icon: "$(pass)", text: "M: healthy · 1 note" });
    // Beside a warning, the note is counted apart.
    const both = { ...notes, warnings: [...notes.warnings, { rule: "dead-relu", severity: "warning" as const, layer: "layers.8.selfAttn.qProj", message: "d", evidence: {} }] };
    expect(summarizeReport(both)).toBe("1 warning · 1 note");
    expect(statusBarLook("M", both)).toEqual({ icon: "$(warning)", text: "M: 1 warning" });
  });

  it("Problems: no error diagnostic for an inconclusive check; one per failed layer", () => {
    const resolve = (f: string) => f;
    const model = { file: "/ws/deep-sigmoid.ts", line: 1, column: 1 };
    expect(reportToProblems(inconclusive(), resolve, model).filter((d) => d.severity === "error")).toEqual([]);
    const some = reportToProblems(failed(), resolve, model).filter((d) => d.severity === "error");
    expect(some.length).toBe(1);
    expect(some[0].code).toBe("gradcheck-failed");
  });

  it("webview card and sidebar: the label and the reason of an inconclusive check; layer badges by status", () => {
    expect(gradcheckVerdict(inconclusive().gradcheck!)).toEqual({ status: "inconclusive", label: "inconclusive", reason: REASON });
    expect(gradcheckVerdict(failed().gradcheck!)).toEqual({ status: "failed", label: "FAILED", reason: undefined });
    expect(gradcheckVerdict(sampleReport().gradcheck!).label).toBe("passed");
    expect(gradcheckLayerBadge({ name: "a", checked: 1, maxRelError: 0, passed: false, status: "inconclusive", worst: [] })).toEqual({ text: "inconclusive", kind: "warn" });
    expect(gradcheckLayerBadge(failed().gradcheck!.layers[0])).toEqual({ text: "fail (3)", kind: "error" });
    expect(gradcheckLayerBadge(sampleReport().gradcheck!.layers[1])).toEqual({ text: "pass · 1 kink", kind: "warn" });
  });
});
