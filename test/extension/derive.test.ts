import { describe, expect, it } from "vitest";
import { gradientFlow, layerSeries, logRange, lossSeries, parameterLayers, lastHistogram } from "../../webview/derive";
import type { RunSnapshot } from "../../src/protocol/webview";
import { sampleReport } from "./fixtures";

const base: RunSnapshot = { runId: 1, command: "check", model: { file: "/ws/m.ts", name: "M" }, phase: "running", totalSteps: 3, progress: [], startedAt: 0 };

describe("chart data", () => {
  it("uses parameterized layers in model order from a report", () => {
    const r = sampleReport();
    expect(parameterLayers(r)).toEqual(["layers.0", "layers.2", "layers.3"]);
    const s = layerSeries({ ...base, report: r });
    expect(s.steps).toEqual([0, 1]);
    expect(s.gradNorm[0]).toEqual([1e-7, 4e-7]);
  });

  it("gradient flow is the geometric mean per layer", () => {
    const bars = gradientFlow(layerSeries({ ...base, report: sampleReport() }));
    expect(bars[0].value).toBeCloseTo(2e-7, 12);
    expect(bars[0].min).toBe(1e-7);
  });

  it("builds series from live progress when there is no report yet", () => {
    const live = { ...base, progress: [{ step: 0, loss: 2 }, { step: 1, loss: 1.5, layers: [{ name: "a", gradNorm: 1 }] }] };
    expect(lossSeries(live)).toEqual([{ x: 0, y: 2 }, { x: 1, y: 1.5 }]);
    expect(layerSeries(live)).toEqual({ layers: ["a"], steps: [1], gradNorm: [[1]], updateRatio: [] });
  });

  it("finds the last histogram and a log range", () => {
    expect(lastHistogram(sampleReport(), "layers.2")?.step).toBe(1);
    expect(logRange([[1e-7, NaN], [0.1, 0]])).toEqual([-7, -1]);
    expect(logRange([[NaN]])).toEqual([0, 1]);
  });
});
