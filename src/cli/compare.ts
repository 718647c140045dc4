/**
 * `gradient-lens compare a.json b.json`: run b against run a. Per layer, the gradient norm and update
 * ratio of each and their ratio b/a — medians over the recorded steps both runs share (the same step
 * numbers), or over each run's own recorded steps when they share none; the loss at the start and end of
 * each; and the warnings and problems only one of them has. Pure: reports in, data and text out.
 */
import type { Report, StepRecord } from "../report";
import { problemsOf } from "../instrument/problems";
import { eng, style, table, type FormatOptions } from "./format";

export interface LayerComparison {
  name: string;
  gradNormA?: number;
  gradNormB?: number;
  /** b / a; absent when either is missing or a is 0. */
  gradNormRatio?: number;
  updateRatioA?: number;
  updateRatioB?: number;
  updateRatioRatio?: number;
}

export interface Comparison {
  /** "matching steps" when both runs recorded the same step numbers (those are compared), else "medians". */
  basis: "matching-steps" | "medians";
  /** The step numbers compared (matching steps only). */
  steps?: number[];
  layers: LayerComparison[];
  loss: { firstA?: number; lastA?: number; firstB?: number; lastB?: number };
  /** Warnings keyed "rule layer" (or "rule" for model-wide ones). */
  warnings: { onlyA: string[]; onlyB: string[]; both: string[] };
  problems: { onlyA: string[]; onlyB: string[]; both: string[] };
}

const median = (xs: number[]): number | undefined => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined && a !== 0 ? b / a : undefined);

function diff(a: string[], b: string[]) {
  const sa = new Set(a), sb = new Set(b);
  return { onlyA: [...sa].filter((x) => !sb.has(x)), onlyB: [...sb].filter((x) => !sa.has(x)), both: [...sa].filter((x) => sb.has(x)) };
}

export function compareReports(a: Report, b: Report): Comparison {
  const recA = a.steps.filter((s) => s.layers.length);
  const recB = b.steps.filter((s) => s.layers.length);
  const stepsB = new Set(recB.map((s) => s.step));
  const common = recA.map((s) => s.step).filter((s) => stepsB.has(s));
  const basis = common.length ? "matching-steps" : "medians";
  const pick = (steps: StepRecord[]) => (common.length ? steps.filter((s) => common.includes(s.step)) : steps);
  const selA = pick(recA), selB = pick(recB);
  const names = [...new Set([...a.model.layers.map((l) => l.name), ...b.model.layers.map((l) => l.name)])];
  const series = (steps: StepRecord[], name: string, key: "gradNorm" | "updateRatio") =>
    median(steps.flatMap((s) => s.layers.filter((l) => l.name === name && (key === "gradNorm" || l.gradSource !== "output")).map((l) => l[key])));
  const layers = names
    .map((name) => {
      const c: LayerComparison = { name };
      const put = <K extends keyof LayerComparison>(k: K, v: LayerComparison[K] | undefined) => { if (v !== undefined) c[k] = v; };
      put("gradNormA", series(selA, name, "gradNorm"));
      put("gradNormB", series(selB, name, "gradNorm"));
      put("gradNormRatio", ratio(c.gradNormA, c.gradNormB));
      // Layers without parameters (activations) have no update.
      const hasParams = (r: Report) => (r.model.layers.find((l) => l.name === name)?.parameters ?? 0) > 0;
      if (hasParams(a)) put("updateRatioA", series(selA, name, "updateRatio"));
      if (hasParams(b)) put("updateRatioB", series(selB, name, "updateRatio"));
      put("updateRatioRatio", ratio(c.updateRatioA, c.updateRatioB));
      return c;
    })
    .filter((c) => c.gradNormA !== undefined || c.gradNormB !== undefined);
  const loss: Comparison["loss"] = {};
  if (a.steps.length) { loss.firstA = a.steps[0].loss; loss.lastA = a.steps[a.steps.length - 1].loss; }
  if (b.steps.length) { loss.firstB = b.steps[0].loss; loss.lastB = b.steps[b.steps.length - 1].loss; }
  const keys = (r: Report) => r.warnings.map((w) => (w.layer ? `${w.rule} ${w.layer}` : w.rule));
  const titles = (r: Report) => problemsOf(r).map((p) => p.title);
  const c: Comparison = { basis, layers, loss, warnings: diff(keys(a), keys(b)), problems: diff(titles(a), titles(b)) };
  if (common.length) c.steps = common;
  return c;
}

const x = (v?: number) => (v === undefined ? "—" : `${eng(v)}×`);

/** The comparison for a terminal. Strings from the reports must be sanitized by the caller. */
export function formatComparison(c: Comparison, names: { a: string; b: string }, options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  const basis = c.basis === "matching-steps"
    ? `medians over ${c.steps!.length} matching recorded step${c.steps!.length === 1 ? "" : "s"}`
    : "medians over each run's recorded steps (no step numbers in common)";
  const parts = [`${st.bold("a")} ${names.a}\n${st.bold("b")} ${names.b}\n${st.dim(`per layer: b vs a, ${basis}`)}`];
  parts.push(table(
    ["layer", "grad norm a", "grad norm b", "b/a", "update ratio a", "update ratio b", "b/a"],
    c.layers.map((l) => [l.name, eng(l.gradNormA), eng(l.gradNormB), x(l.gradNormRatio), eng(l.updateRatioA), eng(l.updateRatioB), x(l.updateRatioRatio)]),
    ["left", "right", "right", "right", "right", "right", "right"],
    st,
  ));
  parts.push(`loss  a ${eng(c.loss.firstA)} → ${eng(c.loss.lastA)}   b ${eng(c.loss.firstB)} → ${eng(c.loss.lastB)}`);
  const list = (title: string, d: { onlyA: string[]; onlyB: string[]; both: string[] }) => {
    const lines = [`${title}: ${d.onlyA.length} only in a, ${d.onlyB.length} only in b, ${d.both.length} in both`];
    for (const s of d.onlyA) lines.push(`  ${st.dim("only a")}  ${s}`);
    for (const s of d.onlyB) lines.push(`  ${st.dim("only b")}  ${s}`);
    return lines.join("\n");
  };
  parts.push(list("problems", c.problems));
  parts.push(list("warnings", c.warnings));
  return parts.join("\n\n");
}
