/** What the overlay of two runs draws (webview/compareData.ts), from two small reports with known numbers. */
import { describe, expect, it } from "vitest";
import { lossPoints, otherLabel, overlay, pickable, runTitle, warningKey } from "../../webview/compareData";
import { comparedPart, compareReports, runDate } from "../../src/compare";
import type { ComparedRun, RunEntry } from "../../src/protocol/webview";
import type { Report } from "../../src/report";
import { sampleReport } from "./fixtures";

const at = new Date(2026, 11, 2, 1, 2, 3).getTime(); // local time: runDate prints local time

function healthy(): Report {
  const r = structuredClone(sampleReport());
  for (const s of r.steps) for (const l of s.layers) {
    l.gradNorm *= 1000;
    l.updateRatio *= 100;
  }
  r.steps[1].loss = 0.5;
  r.warnings = [{ rule: "loss-oscillating", severity: "info", message: "swings", evidence: {} }];
  return r;
}

const run = (name: string, report: Report, source: ComparedRun["source"] = "history"): ComparedRun => ({ name, date: at, source, report });

describe("the overlay of two runs", () => {
  it("labels the datasets “this run” and “other: <model> <date>”", () => {
    expect(runDate(at)).toBe("2026-12-02 01:02:03");
    expect(otherLabel({ name: "Deep sigmoid", date: at })).toBe("other: Deep sigmoid 2026-12-02 01:02:03");
    expect(runTitle({ name: "M", date: at, source: "file" })).toBe("M · 2026-12-02 01:02:03 · report file");
    const o = overlay(run("ReLU", healthy(), "current"), run("Deep sigmoid", sampleReport()));
    expect(o.labels).toEqual({ a: "this run", b: "other: Deep sigmoid 2026-12-02 01:02:03" });
    expect(o.titles).toEqual({ a: "ReLU · 2026-12-02 01:02:03 · this window", b: "Deep sigmoid · 2026-12-02 01:02:03 · history" });
  });

  it("draws per-layer medians of both runs over the steps they share, only for layers with parameters", () => {
    const o = overlay(run("ReLU", healthy()), run("Deep sigmoid", sampleReport()));
    // layers.1 (Sigmoid) has no parameters and records nothing: not a bar.
    expect(o.layers).toEqual(["layers.0", "layers.2", "layers.3"]);
    expect(o.basis).toBe("medians over the 2 recorded steps both runs share");
    // sampleReport: layers.0 records 1e-7 and 4e-7 (median 2.5e-7), layers.2 1e-4 and 2e-4, layers.3 0.1 and 0.2; update ratio = norm / 10.
    const close = (xs: Array<number | null>, want: number[]) => xs.forEach((x, i) => expect(x! / want[i]).toBeCloseTo(1, 12));
    close(o.gradNorm.b, [2.5e-7, 1.5e-4, 0.15]);
    close(o.gradNorm.a, [2.5e-4, 0.15, 150]);
    close(o.updateRatio.b, [2.5e-8, 1.5e-5, 0.015]);
    close(o.updateRatio.a, [2.5e-6, 1.5e-3, 1.5]);
    expect(o.loss).toEqual({ a: [{ x: 0, y: 1.1 }, { x: 1, y: 0.5 }], b: [{ x: 0, y: 1.1 }, { x: 1, y: 1.05 }] });
  });

  it("leaves a gap where only one run has a layer", () => {
    const b = sampleReport();
    b.model.layers = b.model.layers.filter((l) => l.name !== "layers.2");
    for (const s of b.steps) s.layers = s.layers.filter((l) => l.name !== "layers.2");
    const o = overlay(run("a", healthy()), run("b", b));
    expect(o.layers).toEqual(["layers.0", "layers.2", "layers.3"]);
    expect(o.gradNorm.b[1]).toBeNull();
    expect(o.gradNorm.a[1]).not.toBeNull();
  });

  it("lists the warnings and problems only in this run, only in the other, and in both", () => {
    const a = healthy();
    a.warnings.push({ rule: "vanishing-gradient", severity: "warning", layer: "layers.2", step: 0, message: "m", evidence: {} });
    const o = overlay(run("a", a), run("b", sampleReport()));
    expect(o.warnings).toEqual({
      onlyA: [{ rule: "loss-oscillating", severity: "info" }, { rule: "vanishing-gradient", layer: "layers.2", severity: "warning" }],
      onlyB: [{ rule: "vanishing-gradient", layer: "layers.0", severity: "warning" }, { rule: "loss-not-decreasing", severity: "info" }],
      both: [],
    });
    expect(o.problems.onlyB).toEqual(["vanishing gradients in layers.0"]);
    const same = overlay(run("a", sampleReport()), run("b", sampleReport()));
    expect(same.warnings.onlyA).toEqual([]);
    expect(same.warnings.both).toEqual([{ rule: "vanishing-gradient", layer: "layers.0", severity: "warning" }, { rule: "loss-not-decreasing", severity: "info" }]);
  });

  it("splits a warning key at its first space (a layer name may hold spaces)", () => {
    expect(warningKey("dead-relu blocks.0 relu")).toEqual({ rule: "dead-relu", layer: "blocks.0 relu" });
    expect(warningKey("nan-or-inf")).toEqual({ rule: "nan-or-inf" });
  });

  it("draws a non-finite loss as a gap", () => {
    const r = sampleReport();
    r.steps[1].loss = Infinity;
    expect(lossPoints(r)[1].y).toBeNaN();
  });
});

describe("the panel's picker", () => {
  const entry = (id: string, startedAt: number, exportName = "default"): RunEntry => ({
    id, model: { file: "/ws/m.ts", exportName, name: exportName === "default" ? "M" : "N" }, command: "train", phase: "done", startedAt, steps: 200, warnings: 0,
  });

  it("offers every kept run but the one shown, newest first", () => {
    const runs = [entry("f/a", at - 2000), entry("f/b", at), entry("g/c", at - 1000, "other"), entry("f/d", at - 3000)];
    expect(pickable(runs, { file: "/ws/m.ts", exportName: "default", startedAt: at })).toEqual([
      { id: "g/c", label: `N · ${runDate(at - 1000)} · 200 steps` },
      { id: "f/a", label: `M · ${runDate(at - 2000)} · 200 steps` },
      { id: "f/d", label: `M · ${runDate(at - 3000)} · 200 steps` },
    ]);
    expect(pickable(runs, undefined)).toHaveLength(4);
  });

  it("says how a stopped or failed run ended, in the picker and in the overlay's legend", () => {
    const stopped: RunEntry = { ...entry("f/s", at), phase: "cancelled", reason: "cancelled", steps: 37, totalSteps: 300 };
    const failed: RunEntry = { ...entry("f/t", at - 1000), phase: "failed", reason: "timeout", steps: 12 };
    expect(pickable([stopped, failed], undefined).map((p) => p.label)).toEqual([
      `M · ${runDate(at)} · stopped by the user after 37 of 300 steps`,
      `M · ${runDate(at - 1000)} · timed out after 12 steps`,
    ]);
    const partial = sampleReport();
    partial.status = { ok: false, reason: "cancelled", steps: 2, totalSteps: 300 };
    expect(runTitle(run("Deep sigmoid", partial))).toBe("Deep sigmoid · 2026-12-02 01:02:03 · history · stopped by the user after 2 of 300 steps");
    expect(overlay(run("ReLU", healthy(), "current"), run("Deep sigmoid", partial)).titles.b).toMatch(/ · history · stopped by the user after 2 of 300 steps$/);
  });
});

describe("the part of a report sent for comparing", () => {
  it("compares the same as the whole report, without histograms, per-tensor statistics or the gradient check", () => {
    const a = healthy(), b = sampleReport();
    for (const s of b.steps) for (const l of s.layers) l.params = [{ name: `${l.name}.weight`, gradNorm: 1, gradMeanAbs: 1, gradMaxAbs: 1, weightNorm: 1, updateRatio: 1, zeroFraction: 0, histogram: { edges: [0, 1], counts: [5] } }];
    expect(compareReports(comparedPart(a), comparedPart(b))).toEqual(compareReports(a, b));
    const part = comparedPart(b);
    expect(part.gradcheck).toBeUndefined();
    expect(part.steps[0].layers[0]).toEqual({ name: "layers.0", gradNorm: 1e-7, gradMeanAbs: 1e-8, gradMaxAbs: 1e-7, weightNorm: 1, updateRatio: 1e-8, zeroFraction: 0, histogram: { edges: [], counts: [] } });
    expect(b.steps[0].layers[0].params).toHaveLength(1); // the original is untouched
    expect(JSON.stringify(part).length).toBeLessThan(JSON.stringify(b).length);
  });
});

