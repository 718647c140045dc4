/** What the charts draw, derived from a run snapshot (a finished report, or the live progress). Pure. */
import type { RunSnapshot } from "../src/protocol/webview";
import type { GradcheckLayer, GradcheckResult, GradcheckStatus, Histogram, Report } from "../src/report";
import { gradcheckLayerStatus, gradcheckStatus, gradcheckStatusLabel, inconclusiveReason } from "../src/report";

export interface LayerSeries {
  /** Layers in model order (parameterized layers when the report says which those are). */
  layers: string[];
  /** Recorded steps (x of the heat map and the update-ratio chart). */
  steps: number[];
  /** gradNorm[layer][stepIndex]; NaN where the step did not record the layer. */
  gradNorm: number[][];
  /** updateRatio[layer][stepIndex]; empty when live (progress carries no update ratios). */
  updateRatio: number[][];
}

export function layerSeries(s: RunSnapshot): LayerSeries {
  const r = s.report;
  if (r && r.steps.length) {
    const layers = parameterLayers(r);
    const steps = r.steps.filter((st) => st.layers.length > 0);
    const index = new Map(layers.map((l, i) => [l, i]));
    const gradNorm = layers.map(() => steps.map(() => NaN));
    const updateRatio = layers.map(() => steps.map(() => NaN));
    steps.forEach((st, j) => {
      for (const l of st.layers) {
        const i = index.get(l.name);
        if (i === undefined) continue;
        gradNorm[i][j] = l.gradNorm;
        updateRatio[i][j] = l.updateRatio;
      }
    });
    return { layers, steps: steps.map((st) => st.step), gradNorm, updateRatio };
  }
  const points = s.progress.filter((p) => p.layers?.length);
  const layers: string[] = [];
  for (const p of points) for (const l of p.layers!) if (!layers.includes(l.name)) layers.push(l.name);
  const gradNorm = layers.map((name) => points.map((p) => p.layers!.find((l) => l.name === name)?.gradNorm ?? NaN));
  return { layers, steps: points.map((p) => p.step), gradNorm, updateRatio: [] };
}

/** Layers whose gradient statistics describe their own parameters (Linear, norms), in model order. */
export function parameterLayers(r: Report): string[] {
  const recorded = new Set<string>();
  const outputOnly = new Set<string>();
  for (const st of r.steps) for (const l of st.layers) {
    recorded.add(l.name);
    if (l.gradSource === "output") outputOnly.add(l.name);
  }
  const withParams = r.model.layers.filter((l) => l.parameters > 0 && recorded.has(l.name) && !outputOnly.has(l.name)).map((l) => l.name);
  if (withParams.length) return withParams;
  return [...recorded];
}

/** One bar per layer: the geometric mean of its recorded gradient norms (what "gradient flow" plots). */
export function gradientFlow(series: LayerSeries): Array<{ layer: string; value: number; min: number; max: number }> {
  return series.layers.map((layer, i) => {
    const xs = series.gradNorm[i].filter((x) => Number.isFinite(x) && x > 0);
    if (!xs.length) return { layer, value: NaN, min: NaN, max: NaN };
    const logMean = xs.reduce((a, x) => a + Math.log10(x), 0) / xs.length;
    return { layer, value: 10 ** logMean, min: Math.min(...xs), max: Math.max(...xs) };
  });
}

/**
 * Indices of the (at most `limit`) rows whose geometric mean over their positive finite values is
 * furthest from `healthy` in decades, in their original order; rows with no such value come last.
 */
export function furthestFromHealthy(rows: number[][], healthy: number, limit: number): number[] {
  if (rows.length <= limit) return rows.map((_, i) => i);
  const distance = rows.map((row) => {
    const logs = row.filter((v) => Number.isFinite(v) && v > 0).map(Math.log10);
    return logs.length ? Math.abs(logs.reduce((x, y) => x + y, 0) / logs.length - Math.log10(healthy)) : -1;
  });
  return rows.map((_, i) => i).sort((x, y) => distance[y] - distance[x]).slice(0, limit).sort((x, y) => x - y);
}

export function lossSeries(s: RunSnapshot): Array<{ x: number; y: number }> {
  if (s.report && s.report.steps.length) return s.report.steps.map((st) => ({ x: st.step, y: st.loss }));
  return s.progress.map((p) => ({ x: p.step, y: p.loss }));
}

/** The histogram of a layer's gradient at the last recorded step. */
export function lastHistogram(r: Report, layer: string): { step: number; histogram: Histogram } | undefined {
  for (let i = r.steps.length - 1; i >= 0; i--) {
    const l = r.steps[i].layers.find((x) => x.name === layer);
    if (l && l.histogram.counts.length) return { step: r.steps[i].step, histogram: l.histogram };
  }
  return undefined;
}

/** Log10 range of the finite positive values (for the heat map's color scale). */
export function logRange(values: number[][]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of values) for (const v of row) if (Number.isFinite(v) && v > 0) {
    const l = Math.log10(v);
    if (l < lo) lo = l;
    if (l > hi) hi = l;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  return hi - lo < 1e-9 ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** The gradient-check card's title badge and the sidebar's line: the shared verdict, its label, and why when inconclusive. */
export interface GradcheckVerdict {
  status: GradcheckStatus;
  label: "passed" | "FAILED" | "inconclusive";
  /** Inconclusive only: the reason, in the check's own words. */
  reason?: string;
}

export function gradcheckVerdict(g: GradcheckResult): GradcheckVerdict {
  const status = gradcheckStatus(g);
  return { status, label: gradcheckStatusLabel(status), reason: status === "inconclusive" ? inconclusiveReason(g) : undefined };
}

/** A layer row's badge: its verdict, then kinks and failures. */
export function gradcheckLayerBadge(l: GradcheckLayer): { text: string; kind: "ok" | "warn" | "error" } {
  const status = gradcheckLayerStatus(l);
  if (status === "inconclusive") return { text: "inconclusive", kind: "warn" };
  if (status === "failed") return { text: `fail${l.failures ? ` (${l.failures})` : ""}`, kind: "error" };
  if (l.kinks) return { text: `pass · ${l.kinks} kink${l.kinks === 1 ? "" : "s"}`, kind: "warn" };
  return { text: "pass", kind: "ok" };
}
