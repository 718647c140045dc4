import { describe, expect, it } from "vitest";
import { reportToProblems, runErrorToProblems } from "../../src/extension/diagnosticsMap";
import { sampleReport } from "./fixtures";

const id = (f: string) => f;

describe("reportToProblems", () => {
  it("puts a lone warning on the 0-based line that built its layer, with the rule as code", () => {
    const [first] = reportToProblems(sampleReport({ warnings: [sampleReport().warnings[0]] }), id);
    expect(first).toEqual({
      file: "/ws/deep-sigmoid.ts", line: 14, column: 6, severity: "warning", code: "vanishing-gradient",
      message: "layers.0 receives gradients 1e-6× smaller than layers.3 — use ReLU with He init",
    });
  });

  it("one entry per problem: its symptoms are related information on their own lines (model-wide ones on the defineModel line)", () => {
    const problems = reportToProblems(sampleReport(), id, { file: "/ws/deep-sigmoid.ts", line: 11, column: 1 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: "vanishing-gradient", line: 14, column: 6, severity: "warning" });
    expect(problems[0].message).toBe("vanishing gradients in layers.0: layers.0 receives gradients 1e-6× smaller than layers.3 — use ReLU with He init (2 warnings, see related)");
    expect(problems[0].related).toEqual([{ file: "/ws/deep-sigmoid.ts", line: 10, column: 0, message: "symptom loss-not-decreasing: the loss did not decrease" }]);
  });

  it("two independent causes are two entries", () => {
    const r = sampleReport({ warnings: [
      { rule: "nan-or-inf", severity: "error", layer: "layers.2", message: "NaN in layers.2", evidence: {} },
      { rule: "dead-relu", severity: "warning", layer: "layers.0", message: "dead", evidence: {} },
    ] });
    expect(reportToProblems(r, id).map((p) => [p.code, p.severity, p.related])).toEqual([["nan-or-inf", "error", undefined], ["dead-relu", "warning", undefined]]);
  });

  it("prefers the warning's own location and resolves relative paths", () => {
    const r = sampleReport({ warnings: [{ rule: "dead-relu", severity: "warning", layer: "layers.2", message: "dead", evidence: {}, location: { file: "model.ts", line: 3, column: 1 } }] });
    expect(reportToProblems(r, (f) => `/abs/${f}`)).toEqual([{ file: "/abs/model.ts", line: 2, column: 0, severity: "warning", code: "dead-relu", message: "layers.2: dead" }]);
  });

  it("makes a failed check an error, from the warning or from the check itself", () => {
    const r = sampleReport({ warnings: [{ rule: "gradcheck-failed", severity: "warning", layer: "layers.0", message: "mismatch", evidence: {} }] });
    expect(reportToProblems(r, id)[0].severity).toBe("error");
    const g = sampleReport({ warnings: [] });
    g.gradcheck!.passed = false;
    g.gradcheck!.layers[1] = { ...g.gradcheck!.layers[1], passed: false, maxRelError: 0.5, worst: [{ index: [2, 3], analytic: 1, numeric: 2, relError: 0.5 }] };
    const [p] = reportToProblems(g, id);
    expect(p).toMatchObject({ severity: "error", code: "gradcheck-failed", line: 16 });
    expect(p.message).toMatch(/\[2, 3\]/);
  });

  it("an inconclusive check is not an error (nothing shows a backward rule is wrong)", () => {
    const g = sampleReport({ warnings: [] });
    g.gradcheck!.passed = false;
    g.gradcheck!.status = "inconclusive";
    g.gradcheck!.layers[1] = { ...g.gradcheck!.layers[1], passed: false, status: "inconclusive" };
    expect(reportToProblems(g, id).filter((p) => p.severity === "error")).toEqual([]);
    g.gradcheck!.status = "failed";
    g.gradcheck!.layers[0] = { ...g.gradcheck!.layers[0], passed: false, maxRelError: 0.5 };
    expect(reportToProblems(g, id).filter((p) => p.code === "gradcheck-failed").map((p) => p.message)).toHaveLength(1);
  });

  it("does not repeat the same diagnostic", () => {
    const w = sampleReport().warnings[0];
    expect(reportToProblems(sampleReport({ warnings: [w, w] }), id)).toHaveLength(1);
  });
});

describe("runErrorToProblems", () => {
  it("lists compiler diagnostics, else the error's location", () => {
    expect(runErrorToProblems({ kind: "syntax", message: "x", diagnostics: [{ message: "Expected ';'", location: { file: "/a.ts", line: 2, column: 5 } }] }, id))
      .toEqual([{ file: "/a.ts", line: 1, column: 4, severity: "error", code: "syntax", message: "Expected ';'" }]);
    expect(runErrorToProblems({ kind: "runtime", message: "boom", location: { file: "/a.ts", line: 9, column: 1 } }, id)[0]).toMatchObject({ line: 8, code: "runtime" });
    expect(runErrorToProblems({ kind: "timeout", message: "slow" }, id)).toEqual([]);
  });
});
