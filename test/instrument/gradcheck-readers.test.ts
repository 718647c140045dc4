/**
 * Every reader of the gradient check's verdict goes through `gradcheckStatus` / `gradcheckLayerStatus`
 * (src/report.ts): the gradcheck rule and the CLI's table must not call an inconclusive layer failing,
 * must take `status` over `passed`, and must read reports written before `status` existed from `passed`.
 */
import { describe, expect, it } from "vitest";
import { formatGradcheck } from "../../src/cli/format";
import { gradcheckFailed } from "../../src/instrument/rules";
import { REPORT_VERSION, type GradcheckLayer, type GradcheckResult, type Report } from "../../src/report";

const layer = (name: string, over: Partial<GradcheckLayer>): GradcheckLayer => ({
  name, checked: 4, maxRelError: 0, passed: true, worst: [], ...over,
});

/** A failed check: layers.0 wrong, layers.2 inconclusive (a non-finite entry), layers.4 passed. */
function mixed(): GradcheckResult {
  return {
    mode: "full", eps: 1e-6, passed: false, status: "failed",
    layers: [
      layer("layers.0", { passed: false, status: "failed", failures: 2, maxRelError: 0.5, worst: [{ index: [0, 1], analytic: 2, numeric: 1, relError: 0.5, passed: false }] }),
      layer("layers.2", { passed: false, status: "inconclusive", failures: 0, worst: [{ index: [3], analytic: NaN, numeric: 1, relError: NaN, nonFinite: true }] }),
      layer("layers.4", { passed: true, status: "passed" }),
    ],
    notes: ["layers.2.weight: 1 of 4 entries have a non-finite analytic or numeric gradient at the checked point (inconclusive, not a wrong rule; see the nan-or-inf warning)"],
  };
}

const report = (gradcheck: GradcheckResult): Report => ({
  version: REPORT_VERSION, model: { name: "m", parameters: 12, layers: [] }, steps: [], warnings: [], gradcheck,
});

describe("the gradcheck rule reads verdicts through the tri-state functions", () => {
  it("a failed check warns about the failed layer only, not the inconclusive one", () => {
    const w = gradcheckFailed.check({ steps: [], layers: [], gradcheck: mixed() }, {});
    expect(w.map((x) => [x.rule, x.severity, x.layer])).toEqual([["gradcheck-failed", "error", "layers.0"]]);
  });

  it("with a culprit, the message names only the failed layer", () => {
    const g = { ...mixed(), culprit: { op: "cubeWrong", layer: "layers.1", inputShapes: [[4, 8]] } };
    const [w] = gradcheckFailed.check({ steps: [], layers: [], gradcheck: g }, {});
    expect(w.message).toMatch(/gradients of layers\.0 differ/);
    expect(w.evidence.failingLayers).toEqual(["layers.0"]);
  });

  it("an old report (no status) that compared nothing and says why is inconclusive (info), as gradcheckStatus reads it", () => {
    const g: GradcheckResult = { mode: "sampled", eps: 1e-6, passed: false, layers: [], notes: ["the check could not run: out of memory"] };
    const w = gradcheckFailed.check({ steps: [], layers: [], gradcheck: g }, {});
    expect(w.map((x) => [x.rule, x.severity])).toEqual([["gradcheck-inconclusive", "info"]]);
    expect(w[0].message).toMatch(/the check could not run: out of memory/);
  });

  it("`status: \"passed\"` wins over a stale `passed: false`; `status: \"failed\"` over `passed: true`", () => {
    expect(gradcheckFailed.check({ steps: [], layers: [], gradcheck: { ...mixed(), status: "passed" } }, {})).toEqual([]);
    const stale = { ...mixed(), passed: true };
    expect(gradcheckFailed.check({ steps: [], layers: [], gradcheck: stale }, {}).map((x) => x.layer)).toEqual(["layers.0"]);
  });
});

describe("the CLI's gradient-check table reads layer verdicts through gradcheckLayerStatus", () => {
  it("failed, inconclusive and passed layers are labelled so, and only the failed one lists entries", () => {
    const text = formatGradcheck(report(mixed()));
    expect(text).toMatch(/layers\.0 .* fail \(2\)/);
    expect(text).toMatch(/layers\.2 .* inconclusive/);
    expect(text).toMatch(/layers\.4 .* ok/);
    expect(text).toMatch(/layers\.0\[0, 1\]\s+analytic 2/);
    expect(text).not.toMatch(/layers\.2\[3\]/);
  });

  it("a layer whose `status` says failed is not shown ok because of a stale `passed: true`", () => {
    const g = mixed();
    g.layers[0] = { ...g.layers[0], passed: true };
    const text = formatGradcheck(report(g));
    expect(text).toMatch(/layers\.0 .* fail \(2\)/);
    expect(text).toMatch(/layers\.0\[0, 1\]/);
  });
});
