/**
 * Report → Problems-panel entries. Pure (no vscode import): the host turns each `ProblemEntry` into a
 * `vscode.Diagnostic`. A warning lands on the line that constructed the layer it blames — the warning's
 * own location, else the layer's — converted from the report's 1-based lines/columns to 0-based.
 */
import type { Report, Severity, SourceLocation } from "../report";
import { gradcheckLayerStatus, gradcheckStatus } from "../report";
import type { RunError } from "../protocol/runner";
import { problemsOf } from "../instrument/problems";

export const DIAGNOSTIC_SOURCE = "Gradient Lens";

export interface ProblemEntry {
  /** Absolute path, resolved by the caller's `resolveFile`. */
  file: string;
  /** 0-based. */
  line: number;
  /** 0-based. */
  column: number;
  severity: Severity;
  /** The rule id. */
  code: string;
  message: string;
  /** The problem's other warnings (its other causes and its symptoms), each on its own line: `DiagnosticRelatedInformation`. */
  related?: Array<{ file: string; line: number; column: number; message: string }>;
}

/**
 * @param resolveFile turns a report path (absolute, or relative to the model file) into an absolute path.
 */
export function reportToProblems(report: Report, resolveFile: (file: string) => string, modelLocation?: SourceLocation): ProblemEntry[] {
  const layerLocation = new Map<string, SourceLocation>();
  for (const l of report.model.layers) if (l.location) layerLocation.set(l.name, l.location);
  for (const l of report.gradcheck?.layers ?? []) if (l.location && !layerLocation.has(l.name)) layerLocation.set(l.name, l.location);

  const out: ProblemEntry[] = [];
  const seen = new Set<string>();
  const push = (entry: ProblemEntry) => {
    const key = `${entry.code}|${entry.file}|${entry.line}|${entry.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(entry);
  };
  const locate = (location: SourceLocation | undefined, layer: string | undefined) => location ?? (layer ? layerLocation.get(layer) : undefined);
  // Model-wide warnings (the loss) go on the defineModel line.
  const fallback = modelLocation ?? (report.model.file ? { file: report.model.file, line: 1, column: 1 } : undefined);

  // One entry per problem (warnings grouped by root cause), on its first cause's line; the problem's
  // other warnings are related information pointing at their own lines.
  const text = (w: Report["warnings"][number], hint: boolean) => {
    const where = w.layer && !w.message.includes(w.layer) ? `${w.layer}: ` : "";
    return `${where}${w.message}${hint && w.hint ? ` — ${w.hint}` : ""}`;
  };
  for (const p of problemsOf(report)) {
    const members = [...p.causes, ...p.symptoms].map((i) => report.warnings[i]).filter(Boolean);
    if (!members.length) continue;
    const first = members[0];
    const loc = locate(p.location ?? first.location, p.layer ?? first.layer) ?? fallback;
    if (!loc) continue;
    const severity: Severity = members.some((w) => w.rule === "gradcheck-failed") ? "error" : p.severity;
    const entry: ProblemEntry = members.length === 1
      ? { ...toZeroBased(loc, resolveFile), severity, code: first.rule, message: text(first, true) }
      : {
          ...toZeroBased(loc, resolveFile),
          severity,
          code: p.rule,
          message: `${p.title}: ${text(first, false)}${p.fix ? ` — ${p.fix}` : ""} (${members.length} warnings, see related)`,
        };
    const related = members.slice(1).flatMap((w) => {
      const at = locate(w.location, w.layer) ?? fallback;
      return at ? [{ ...toZeroBased(at, resolveFile), message: `${p.causes.includes(report.warnings.indexOf(w)) ? "cause" : "symptom"} ${w.rule}: ${text(w, false)}` }] : [];
    });
    if (related.length) entry.related = related;
    push(entry);
  }

  // A failed check is an error even if the rules did not emit a `gradcheck-failed` warning for it.
  const g = report.gradcheck;
  // An inconclusive check (it could not judge: non-finite loss, unverifiable kinks) is not a failure.
  const failed = g && gradcheckStatus(g) === "failed";
  if (g && failed) {
    const named = new Set(report.warnings.filter((w) => w.rule === "gradcheck-failed").map((w) => w.layer));
    for (const layer of g.layers) {
      if (gradcheckLayerStatus(layer) !== "failed" || named.has(layer.name)) continue;
      const loc = locate(layer.location, layer.name) ?? fallback;
      if (!loc) continue;
      const worst = layer.worst.find((e) => !e.kink);
      const detail = worst ? ` (worst entry [${worst.index.join(", ")}]: analytic ${fmt(worst.analytic)}, numeric ${fmt(worst.numeric)})` : "";
      push({
        ...toZeroBased(loc, resolveFile),
        severity: "error",
        code: "gradcheck-failed",
        message: `${layer.name}: analytic and numeric gradients differ, max relative error ${fmt(layer.maxRelError)}${detail}`,
      });
    }
  }
  return out;
}

/** A run that could not load or crashed, as one error on the line it points at (when it points at one). */
export function runErrorToProblems(error: RunError, resolveFile: (file: string) => string): ProblemEntry[] {
  const entries: ProblemEntry[] = [];
  if (error.diagnostics?.length) {
    for (const d of error.diagnostics) {
      if (d.location) entries.push({ ...toZeroBased(d.location, resolveFile), severity: "error", code: error.kind, message: d.message });
    }
  }
  if (!entries.length && error.location) {
    entries.push({ ...toZeroBased(error.location, resolveFile), severity: "error", code: error.kind, message: error.message });
  }
  return entries;
}

function toZeroBased(loc: SourceLocation, resolveFile: (file: string) => string) {
  return { file: resolveFile(loc.file), line: Math.max(0, loc.line - 1), column: Math.max(0, loc.column - 1) };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}
