/**
 * "Where to look first": the tensors (and warned layers without tensors) furthest from healthy, most
 * severe first, one line each with the reason. Pure.
 */
import type { Severity, Warning } from "../src/report";
import { badness, SEVERITY_RANK, type TensorHealth } from "./tensors";
import { RULES } from "./explanations";
import { sci } from "./format";

export interface TriageItem {
  /** The tensor ("layers.3.weight"), or a layer that has no tensor (an activation with a warning). */
  name: string;
  layer: string;
  /** Index into the tensors, absent for a layer-only item. */
  tensor?: number;
  severity?: Severity;
  /** The most severe warning's index into the report's warnings. */
  warning?: number;
  deviation: number;
  value: number;
  reason: string;
}

/** Tensors within this many decades of the median, without a warning, are not listed. */
export const TRIAGE_MIN_DECADES = 1;

/**
 * Ranked: non-finite gradients, then by the most severe warning on the tensor's layer (a layer's warning
 * counts once, for its worst tensor), then by distance from the median in decades. `metric` names the
 * statistic in the reason ("RMS" or "norm").
 */
export function triage(health: TensorHealth[], warnings: Warning[], metric: "rms" | "norm", limit = 10): TriageItem[] {
  // The worst tensor of each layer carries the layer's warnings.
  const worstOfLayer = new Map<string, number>();
  health.forEach((t, i) => {
    const w = worstOfLayer.get(t.layer);
    if (w === undefined || badness(t) > badness(health[w])) worstOfLayer.set(t.layer, i);
  });
  const warningOf = new Map<string, number>();
  warnings.forEach((w, i) => {
    if (!w.layer) return;
    const prev = warningOf.get(w.layer);
    if (prev === undefined || SEVERITY_RANK[w.severity] > SEVERITY_RANK[warnings[prev].severity]) warningOf.set(w.layer, i);
  });
  const items: TriageItem[] = [];
  health.forEach((t, i) => {
    const wi = worstOfLayer.get(t.layer) === i ? warningOf.get(t.layer) : undefined;
    const far = t.status === "non-finite" || t.status === "zero" || (t.status === "ok" && Math.abs(t.deviation) >= TRIAGE_MIN_DECADES);
    if (wi === undefined && !far) return;
    items.push({ name: t.name, layer: t.layer, tensor: i, severity: wi === undefined ? undefined : warnings[wi].severity, warning: wi, deviation: t.deviation, value: t.value, reason: reasonOf(t, wi === undefined ? undefined : warnings[wi], metric) });
  });
  // Warned layers without a tensor of their own (activations): listed by their warning.
  const layersWithTensors = new Set(health.map((t) => t.layer));
  for (const [layer, wi] of warningOf) {
    if (layersWithTensors.has(layer)) continue;
    items.push({ name: layer, layer, severity: warnings[wi].severity, warning: wi, deviation: NaN, value: NaN, reason: reasonOf(undefined, warnings[wi], metric) });
  }
  const rank = (x: TriageItem) => [
    x.tensor !== undefined && health[x.tensor].status === "non-finite" ? 1 : 0,
    x.severity ? SEVERITY_RANK[x.severity] : 0,
    x.tensor !== undefined ? badness(health[x.tensor]) : -1,
  ];
  items.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let k = 0; k < ra.length; k++) if (ra[k] !== rb[k]) return rb[k] - ra[k];
    return 0;
  });
  return items.slice(0, limit);
}

/** "Vanishing gradient (warning) · RMS 3.1e-7, 4.2e-4× the median". */
export function reasonOf(t: TensorHealth | undefined, w: Warning | undefined, metric: "rms" | "norm"): string {
  const parts: string[] = [];
  if (w) parts.push(`${RULES[w.rule]?.title ?? w.rule} (${w.severity})`);
  const stat = metric === "rms" ? "RMS" : "norm";
  if (t?.status === "non-finite") parts.push(`non-finite gradient`);
  else if (t?.status === "zero") parts.push(`gradient exactly zero`);
  // Twelve decades under the median is float64 round-off of a gradient that is zero in exact arithmetic
  // (a parameter the loss does not depend on; those a layer declares, as an attention's key bias, are not listed).
  else if (t?.status === "ok" && t.deviation < -12) parts.push(`${stat} ${sci(t.value, 1)}, ${ratioText(t.deviation)} the median: zero up to round-off`);
  else if (t?.status === "ok") parts.push(`${stat} ${sci(t.value, 1)}, ${ratioText(t.deviation)} the median`);
  return parts.join(" · ");
}

/** 10^d as a ratio with two significant digits: "1.0×", "350×", "0.12×", "2.9e-4×". */
export function ratioText(decades: number): string {
  const r = 10 ** decades;
  if (r >= 1e4) return `${sci(r, 1)}×`;
  if (r >= 10) return `${Number(r.toPrecision(2))}×`;
  if (r >= 0.01) return `${r.toPrecision(2)}×`;
  return `${sci(r, 1)}×`;
}
