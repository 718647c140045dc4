/**
 * The pure parts of the panel's views: tensor series from a report, the module tree and each group's
 * worst member, the triage ranking, the recent window, and the gradients-through-time maps.
 */
import { describe, expect, it } from "vitest";
import type { RunSnapshot } from "../../src/protocol/webview";
import type { Report, Warning } from "../../src/report";
import {
  ancestorsOf, buildTree, defaultExpanded, gradientModel, groupRow, medianOf, nodeOfLayer, stepMedians, summarizeTree, tensorHealth, tensorSeries,
  visibleRows, type TensorSeries, type TreeNode,
} from "../../webview/tensors";
import { ratioText, triage } from "../../webview/triage";
import { MIN_COLUMNS, recentWindow, windowedPoints, windowStartStep } from "../../webview/recent";
import { attentionTable, survivalDecades, timeHeats } from "../../webview/timeSeries";
import { furthestFromHealthy } from "../../webview/derive";
import { syntheticReport, timeSeriesReport } from "../fixtures/reports";

const snap = (report?: Report, progress: RunSnapshot["progress"] = []): RunSnapshot => ({
  runId: 1, command: "train", model: { file: "/ws/m.ts", name: "M" }, phase: "done", totalSteps: 3, progress, report, startedAt: 0,
});

/** A series from rows written out by hand: names, and values[tensor][step]. */
const series = (names: string[], values: number[][], layers = names.map((n) => n.split(".").slice(0, -1).join("."))): TensorSeries => ({
  names, layers, steps: values[0].map((_, j) => j), values, metric: "rms", zeroReasons: names.map(() => undefined),
});

describe("tensor series", () => {
  it("reads per-tensor RMS from a report, in model order, skipping output-gradient layers", () => {
    const r = syntheticReport({ steps: 3, histograms: false });
    const s = tensorSeries(snap(r));
    expect(s.names.length).toBe(200);
    expect(s.names.slice(0, 4)).toEqual(["layers.0.weight", "layers.0.bias", "layers.1.selfAttn.qProj.weight", "layers.1.selfAttn.qProj.bias"]);
    expect(s.names).not.toContain("layers.1.activation");
    expect(s.metric).toBe("rms");
    expect(s.layers[2]).toBe("layers.1.selfAttn.qProj");
    expect(s.values[2][1]).toBe(r.steps[1].layers[1].params![0].gradRms);
  });

  it("marks a gradient that came through JSON as null (NaN/Inf) non-finite, and falls back to norms and to live progress", () => {
    const r = syntheticReport({ steps: 2, histograms: false });
    (r.steps[1].layers[0].params![0] as { gradRms: unknown }).gradRms = null;
    expect(tensorSeries(snap(r)).values[0]).toEqual([r.steps[0].layers[0].params![0].gradRms, Infinity]);
    const live = tensorSeries(snap(undefined, [{ step: 0, loss: 1, layers: [{ name: "a", gradNorm: 2 }] }, { step: 1, loss: 1, layers: [{ name: "a", gradNorm: 3 }, { name: "b", gradNorm: 1 }] }]));
    expect(live).toEqual({ names: ["a", "b"], layers: ["a", "b"], steps: [0, 1], values: [[2, 3], [NaN, 1]], metric: "norm", zeroReasons: [undefined, undefined] });
  });
});

describe("health and the module tree", () => {
  const s = series(
    ["a.0.w", "a.0.b", "a.1.w", "a.1.b", "head.w"],
    [[1e-2, 1e-2], [1e-3, 1e-3], [1e-7, 1e-5], [0, 0], [Infinity, 1]],
  );

  it("summarizes each tensor as the geometric mean over the window, in decades from the median", () => {
    const { tensors, median } = tensorHealth(s);
    // Finite positive means: 1e-2, 1e-3, 1e-6 → median 1e-3.
    expect(median).toBeCloseTo(1e-3, 15);
    expect(tensors.map((t) => t.status)).toEqual(["ok", "ok", "ok", "zero", "non-finite"]);
    expect(tensors[2].value).toBeCloseTo(1e-6, 18);
    expect(tensors[2].deviation).toBeCloseTo(-3, 12);
    expect(tensors[0].deviation).toBeCloseTo(1, 12);
    expect(tensors[3].deviation).toBe(-Infinity);
    // The window [1, 2): only the second step.
    expect(tensorHealth(s, [1, 2]).tensors[2].value).toBeCloseTo(1e-5, 18);
    expect(tensorHealth(s, [1, 2]).tensors[4].status).toBe("ok");
  });

  it("groups dotted names into a tree, joining single-child chains", () => {
    const root = buildTree(["blocks.0.attn.q.weight", "blocks.0.attn.q.bias", "blocks.1.mlp.fc.weight", "out.weight"]);
    expect(root.children.map((c) => c.label)).toEqual(["blocks", "out"]);
    const blocks = root.children[0];
    expect(blocks.children.map((c) => [c.label, c.path])).toEqual([["0.attn.q", "blocks.0.attn.q"], ["1.mlp.fc", "blocks.1.mlp.fc"]]);
    expect(blocks.children[0].children.map((c) => [c.label, c.tensor])).toEqual([["weight", 0], ["bias", 1]]);
    expect(blocks.members).toEqual([0, 1, 2]);
    expect(root.children[1].children.map((c) => c.path)).toEqual(["out.weight"]);
  });

  it("summarizes a group by its worst member and its most severe warning", () => {
    const root = buildTree(s.names);
    const { tensors } = tensorHealth(s);
    const warnings: Warning[] = [
      { rule: "dead-relu", severity: "warning", layer: "a.1.act", message: "", evidence: {} },
      { rule: "nan-or-inf", severity: "error", layer: "head", message: "", evidence: {} },
      { rule: "loss-not-decreasing", severity: "info", message: "", evidence: {} },
    ];
    const sum = summarizeTree(root, tensors, warnings);
    // a.1: the all-zero bias is worse than the weight at 1e-3 of the median.
    expect(sum.get("a.1")).toEqual({ worst: 3, severity: "warning", warnings: [0] });
    expect(sum.get("a.0")?.worst).toBe(0);
    expect(sum.get("a")?.worst).toBe(3);
    // The root: the non-finite head wins; an error outranks the warning.
    expect(sum.get("")).toEqual({ worst: 4, severity: "error", warnings: [0, 1] });
    expect(nodeOfLayer(root, "a.1.act")?.path).toBe("a.1");
    expect(nodeOfLayer(root, "nowhere")).toBeUndefined();
  });

  it("opens a single top group by default, lists visible rows, and finds a tensor's ancestors", () => {
    const r = syntheticReport({ steps: 2, histograms: false });
    const root = buildTree(tensorSeries(snap(r)).names);
    const open = defaultExpanded(root);
    expect([...open]).toEqual(["layers"]);
    const rows = visibleRows(root, open);
    expect(rows.map((x) => x.node.path)).toEqual(["layers", ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17].map((i) => `layers.${i}`)]);
    expect(rows[1].depth).toBe(1);
    expect(ancestorsOf(root, "layers.8.selfAttn.kProj.weight")).toEqual(["layers", "layers.8", "layers.8.selfAttn", "layers.8.selfAttn.kProj"]);
    // 200 tensors, 17 rows: readable.
    expect(root.members.length).toBe(200);
  });

  it("a group's heat-map row follows its member furthest from each step's median", () => {
    const t = series(["g.x", "g.y", "h.z"], [[1e-3, 1e-3, NaN], [1e-1, 1e-6, 1e-2], [1e-2, 1e-2, 1e-2]]);
    const med = stepMedians(t);
    expect(med[0]).toBeCloseTo(1e-2, 15);
    expect(med[1]).toBeCloseTo(1e-3, 15);
    const root = buildTree(t.names);
    const g = root.children[0];
    // Step 0: 1e-3 and 1e-1 are both a decade off 1e-2 → the first found; step 1: 1e-6 is three decades off 1e-3; step 2: only y.
    expect(groupRow(g, t, med, 0, 3)).toEqual([1e-3, 1e-6, 1e-2]);
    expect(groupRow(g.children[1], t, med, 1, 3)).toEqual([1e-6, 1e-2]);
    expect(medianOf([1, 100, 10, 1000])).toBeCloseTo(100 ** 0.5 * 10 ** 0.5, 12);
  });
});

describe("triage", () => {
  it("ranks non-finite first, then warnings by severity, then distance from the median; one warning per layer", () => {
    const s = series(
      ["a.w", "a.b", "b.w", "c.w", "d.w", "e.w", "f.w"],
      [[1e-3], [1e-6], [2e-4], [1e-3], [Infinity], [1e-1], [1.5e-3]],
    );
    const { tensors } = tensorHealth(s);
    const warnings: Warning[] = [
      { rule: "vanishing-gradient", severity: "warning", layer: "a", message: "", evidence: {} },
      { rule: "dead-relu", severity: "warning", layer: "act", message: "", evidence: {} },
      { rule: "exploding-gradient", severity: "error", layer: "c", message: "", evidence: {} },
    ];
    const items = triage(tensors, warnings, "rms");
    // Median of 1e-3, 1e-6, 2e-4, 1e-3, 1e-1, 1.5e-3 (the non-finite one left out) is √(1e-3·1e-3) = 1e-3.
    expect(items.map((x) => x.name)).toEqual(["d.w", "c.w", "a.b", "act", "e.w"]);
    expect(items[0].reason).toBe("non-finite gradient");
    expect(items[1].reason).toBe("Exploding gradient (error) · RMS 1.0e-3, 1.0× the median");
    // a's warning goes to its worst tensor (the bias, 3 decades under), not to the weight.
    expect(items[2]).toMatchObject({ layer: "a", severity: "warning", warning: 0 });
    expect(items[2].reason).toBe("Vanishing gradient (warning) · RMS 1.0e-6, 1.0e-3× the median");
    expect(items[3]).toMatchObject({ name: "act", reason: "Dead ReLU units (warning)" });
    expect(items[3].tensor).toBeUndefined();
    expect(items[4].reason).toBe("RMS 0.10, 100× the median");
    // b.w (0.7 decades under) and f.w (0.18 over) are near enough to healthy; the limit cuts the list.
    expect(triage(tensors, warnings, "rms", 2).map((x) => x.name)).toEqual(["d.w", "c.w"]);
  });

  it("a gradient zero by design (an attention's key bias) is shown as such, never ranked, and left out of the medians", () => {
    const r = syntheticReport({ steps: 4, histograms: false });
    const bias = "layers.3.selfAttn.kProj.bias";
    for (const st of r.steps) for (const l of st.layers) for (const p of l.params ?? []) if (p.name === bias) p.gradRms = 1e-19;
    const plain = gradientModel(tensorSeries(snap(r)), [0, 4], []);
    expect(triage(plain.health, [], "rms")[0].name).toBe(bias);
    r.model.layers.find((l) => l.name === "layers.3.selfAttn.kProj")!.zeroGradient = [{ name: bias, reason: "softmax ignores a shift shared by all keys" }];
    const s = tensorSeries(snap(r));
    const m = gradientModel(s, [0, 4], []);
    const i = s.names.indexOf(bias);
    expect(m.health[i]).toMatchObject({ status: "zero-by-design", reason: "softmax ignores a shift shared by all keys" });
    expect(triage(m.health, [], "rms").map((x) => x.name)).not.toContain(bias);
    // The kProj group's worst member and heat-map row come from its weight, not its bias.
    const kProj = m.root.children.flatMap(function all(n): TreeNode[] { return [n, ...n.children.flatMap(all)]; }).find((n) => n.path === "layers.3.selfAttn.kProj")!;
    expect(m.summaries.get(kProj.path)!.worst).toBe(s.names.indexOf("layers.3.selfAttn.kProj.weight"));
    expect(groupRow(kProj, s, m.stepMedians, 0, 4)).toEqual(s.values[s.names.indexOf("layers.3.selfAttn.kProj.weight")]);
    // The medians are those of the other tensors.
    const others = s.values.filter((_, k) => k !== i).map((row) => row[0]).filter((v) => v > 0);
    expect(m.stepMedians[0]).toBeCloseTo(medianOf(others), 15);
  });

  it("finds the planted problems of the 200-tensor report first", () => {
    const r = syntheticReport({ steps: 10, histograms: false });
    const m = gradientModel(tensorSeries(snap(r)), [0, 10], r.warnings);
    const items = triage(m.health, r.warnings, "rms");
    expect(items.slice(0, 4).map((x) => x.name)).toEqual(["layers.7.selfAttn.kProj.weight", "layers.8.selfAttn.kProj.weight", "layers.9.selfAttn.kProj.weight", "layers.12.activation"]);
  });

  it("writes ratios with two significant digits", () => {
    expect([0, 2.4477, -0.5, -3, 5].map(ratioText)).toEqual(["1.0×", "280×", "0.32×", "1.0e-3×", "1.0e5×"]);
  });
});

describe("recent window", () => {
  it("keeps the recorded steps among the last N training steps, at least MIN_COLUMNS of them", () => {
    const dense = Array.from({ length: 200 }, (_, i) => i);
    expect(recentWindow(dense, 199, 50)).toEqual([150, 200]);
    expect(recentWindow(dense, 199, "all")).toEqual([0, 200]);
    expect(recentWindow(dense.slice(0, 30), 29, 50)).toEqual([0, 30]);
    // Sparse (log schedule, compacted): 0, 1, 3, 7, … 511 and step 999 last → the window widens to 8 columns.
    const sparse = [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 990, 999];
    expect(MIN_COLUMNS).toBe(8);
    expect(recentWindow(sparse, 999, 50)).toEqual([4, 12]);
    expect(windowStartStep(sparse, 999, 50)).toBe(15);
    expect(windowStartStep(dense, 199, 50)).toBe(150);
    expect(windowStartStep(dense, 199, "all")).toBe(-Infinity);
  });

  it("scales y to the points in the window", () => {
    const pts = [{ x: 0, y: 40 }, { x: 1, y: 2 }, { x: 2, y: 1 }, { x: 3, y: 1.5 }];
    const w = windowedPoints(pts, 1);
    expect(w.points.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(w.y![0]).toBeCloseTo(0.95, 12);
    expect(w.y![1]).toBeCloseTo(2.05, 12);
    expect(windowedPoints([{ x: 0, y: 2 }], 0).y).toEqual([1.9, 2.1]);
  });

  it("keeps the update-ratio lines furthest from the healthy value", () => {
    expect(furthestFromHealthy([[1e-3], [1e-1], [1e-6], [2e-3]], 1e-3, 2)).toEqual([1, 2]);
    expect(furthestFromHealthy([[1e-3]], 1e-3, 2)).toEqual([0]);
  });
});

describe("gradients through time", () => {
  it("builds one steps × time map per series, windowed, with the survival of the gradient in decades", () => {
    const r = timeSeriesReport(30);
    const heats = timeHeats(r, (steps) => recentWindow(steps, steps[steps.length - 1], 10));
    expect(heats.map((x) => x.info.name)).toEqual(["rnn", "lstm"]);
    expect(heats[0].steps).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(heats[0].times.length).toBe(24);
    const last = (r.steps[29] as unknown as { timeNorms: Array<{ norms: number[] }> }).timeNorms[0].norms;
    expect(heats[0].values[9]).toEqual(last);
    expect(survivalDecades(heats[0])).toBeCloseTo(Math.log10(last[0] / last[23]), 12);
    // ×0.6 per step over 23 steps, ±10% noise at each end.
    expect(survivalDecades(heats[0])).toBeLessThan(23 * Math.log10(0.6) + 0.1);
    expect(survivalDecades(heats[1])).toBeGreaterThan(-0.5);
  });

  it("shows an undeclared recorded series as a tap, pads short rows, and reads the last attention entropies", () => {
    const r = {
      ...timeSeriesReport(2), model: { ...timeSeriesReport(2).model, timeSeries: [] },
      steps: [{ step: 0, loss: 1, layers: [], timeNorms: [{ name: "h", norms: [1, 2] }] }, { step: 1, loss: 1, layers: [], timeNorms: [{ name: "h", norms: [3] }], attention: [{ layer: "l", entropy: [0.5, 1] }] }],
    } as unknown as Report;
    const [heat] = timeHeats(r, (steps) => [0, steps.length]);
    expect(heat.info).toEqual({ name: "h", kind: "tap" });
    expect(heat.values).toEqual([[1, 2], [3, NaN]]);
    expect(attentionTable(r)).toEqual({ step: 1, layers: ["l"], entropy: [[0.5, 1]], heads: 2 });
    expect(timeHeats(syntheticReport({ steps: 1, histograms: false }), (s) => [0, s.length])).toEqual([]);
  });
});
