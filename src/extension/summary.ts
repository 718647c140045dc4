/** One-line summaries of a finished run, for the CodeLens and the status bar. Pure. */
import type { Report } from "../report";
import { problemsOf } from "../instrument/problems";

/**
 * "3 warnings · gradcheck passed · max rel err 2e-9"; when warnings share root causes, the problems are
 * counted: "1 problem (7 warnings)", "1 error · 1 problem (3 warnings)".
 */
export function summarizeReport(report: Report): string {
  const parts: string[] = [];
  const problems = problemsOf(report);
  if (problems.length < report.warnings.length) {
    const errors = problems.filter((p) => p.severity === "error").length;
    if (errors) parts.push(plural(errors, errors === problems.length ? "error" : "error problem"));
    const rest = problems.length - errors;
    if (rest) parts.push(plural(rest, "problem"));
    parts[parts.length - 1] += ` (${plural(report.warnings.length, "warning")})`;
  } else {
    const errors = report.warnings.filter((w) => w.severity === "error").length;
    const warnings = report.warnings.length - errors;
    if (errors) parts.push(plural(errors, "error"));
    if (warnings || !errors) parts.push(warnings ? plural(warnings, "warning") : "no warnings");
  }
  const g = report.gradcheck;
  if (g) {
    parts.push(g.passed ? "gradcheck passed" : `gradcheck FAILED (${g.layers.filter((l) => !l.passed).length} of ${g.layers.length} layers)`);
    const max = Math.max(...g.layers.map((l) => l.maxRelError).filter(Number.isFinite));
    if (g.layers.length && Number.isFinite(max)) parts.push(`max rel err ${shortExp(max)}`);
  }
  if (report.status && !report.status.ok) parts.push("stopped by an error");
  return parts.join(" · ");
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** 2.04e-9 → "2e-9"; 0 → "0". */
export function shortExp(x: number): string {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return String(x);
  const [m, e] = x.toExponential(0).split("e");
  return `${m}e${Number(e)}`;
}
