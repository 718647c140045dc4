/**
 * What the overlay of two runs draws, derived from their reports. Pure. The per-layer numbers are the
 * shared comparison's (src/compare.ts, also `gradient-lens compare`): medians over the steps both runs
 * recorded, or over each run's own when they share none.
 */
import type { ComparedRun, RunEntry } from "../src/protocol/webview";
import type { Report, Severity } from "../src/report";
import { compareReports, reportEnd, runDate, runEndLabel, type Comparison } from "../src/compare";
import { parameterLayers } from "./derive";

/** One side of the difference in warnings: a rule, and the layer it names (model-wide rules have none). */
export interface WarningKey {
  rule: string;
  layer?: string;
  /** The most severe of the run's warnings with this key (in both: of either run). */
  severity?: Severity;
}

export interface Overlay {
  /** The charts' dataset labels: "this run" and "other: <model> <date>". */
  labels: { a: string; b: string };
  /** Each run in full, for the heading: "<model> · <date> · <source>". */
  titles: { a: string; b: string };
  /** Layers with parameters in either run, in the first run's order, then the other's. */
  layers: string[];
  /** Per layer; null where the run has no such layer (or recorded none). */
  gradNorm: { a: Array<number | null>; b: Array<number | null> };
  updateRatio: { a: Array<number | null>; b: Array<number | null> };
  loss: { a: Array<{ x: number; y: number }>; b: Array<{ x: number; y: number }> };
  /** How the per-layer numbers were taken, in words. */
  basis: string;
  warnings: { onlyA: WarningKey[]; onlyB: WarningKey[]; both: WarningKey[] };
  problems: Comparison["problems"];
}

/** "other: Deep ReLU MLP 2026-12-02 01:02:03" — the brief's label for the run compared with. */
export function otherLabel(run: Pick<ComparedRun, "name" | "date">): string {
  return `other: ${run.name} ${runDate(run.date)}`;
}

/** "<model> · <date> · <source>", then how the run ended when it did not complete ("stopped by the user after 37 of 300 steps"). */
export function runTitle(run: Pick<ComparedRun, "name" | "date" | "source"> & { report?: ComparedRun["report"] }): string {
  const from = run.source === "file" ? "report file" : run.source === "current" ? "this window" : "history";
  const end = run.report ? runEndLabel(reportEnd(run.report)) : "";
  return `${run.name} · ${runDate(run.date)} · ${from}${end ? ` · ${end}` : ""}`;
}

export function overlay(a: ComparedRun, b: ComparedRun): Overlay {
  const c = compareReports(a.report, b.report);
  const withParams = new Set([...parameterLayers(a.report), ...parameterLayers(b.report)]);
  const rows = c.layers.filter((l) => withParams.has(l.name));
  const value = (v: number | undefined) => (v !== undefined && Number.isFinite(v) && v > 0 ? v : null);
  const basis = c.basis === "matching-steps"
    ? `medians over the ${c.steps!.length} recorded step${c.steps!.length === 1 ? "" : "s"} both runs share`
    : "medians over each run's own recorded steps (no step numbers in common)";
  return {
    labels: { a: "this run", b: otherLabel(b) },
    titles: { a: runTitle(a), b: runTitle(b) },
    layers: rows.map((l) => l.name),
    gradNorm: { a: rows.map((l) => value(l.gradNormA)), b: rows.map((l) => value(l.gradNormB)) },
    updateRatio: { a: rows.map((l) => value(l.updateRatioA)), b: rows.map((l) => value(l.updateRatioB)) },
    loss: { a: lossPoints(a.report), b: lossPoints(b.report) },
    basis,
    warnings: {
      onlyA: c.warnings.onlyA.map((k) => withSeverity(k, a.report)),
      onlyB: c.warnings.onlyB.map((k) => withSeverity(k, b.report)),
      both: c.warnings.both.map((k) => withSeverity(k, a.report, b.report)),
    },
    problems: c.problems,
  };
}

/** The comparison's "rule layer" key, split (a rule id has no spaces; a layer name may). */
export function warningKey(key: string): WarningKey {
  const i = key.indexOf(" ");
  return i < 0 ? { rule: key } : { rule: key.slice(0, i), layer: key.slice(i + 1) };
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

function withSeverity(key: string, ...reports: Report[]): WarningKey {
  const k = warningKey(key);
  for (const r of reports) for (const w of r.warnings) {
    if (w.rule === k.rule && w.layer === k.layer && (!k.severity || RANK[w.severity] > RANK[k.severity])) k.severity = w.severity;
  }
  return k;
}

/** The loss of every step; a non-finite loss is a gap. */
export function lossPoints(r: Report): Array<{ x: number; y: number }> {
  return r.steps.map((s) => ({ x: s.step, y: Number.isFinite(s.loss) ? s.loss : NaN }));
}

/** The webview's picker: the runs other than the one shown, newest first, each labelled as in the palette's picker. */
export function pickable(runs: readonly RunEntry[], shown: { file: string; exportName?: string; startedAt: number } | undefined): Array<{ id: string; label: string }> {
  return runs
    .filter((r) => !(shown && r.startedAt === shown.startedAt && r.model.file === shown.file && r.model.exportName === shown.exportName))
    .sort((x, y) => y.startedAt - x.startedAt)
    .map((r) => ({ id: r.id, label: `${r.model.name} · ${runDate(r.startedAt)} · ${runEndLabel(r) || `${r.steps} step${r.steps === 1 ? "" : "s"}`}` }));
}
