/** One-line summaries of a finished run, for the CodeLens and the status bar. Pure. */
import type { Problem, Report, Warning } from "../report";
import { gradcheckLayerStatus, gradcheckStatus } from "../report";
import { problemsOf } from "../instrument/problems";

/**
 * "3 warnings · gradcheck passed · max rel err 2e-9"; when warnings share root causes, the problems are
 * counted: "1 problem (7 warnings)", "1 error · 1 problem (3 warnings)". Info-level problems (what is
 * worth knowing but not wrong, as attention layers that barely learn) are counted apart, as notes:
 * "no warnings · 1 note".
 */
export function summarizeReport(report: Report): string {
  const parts: string[] = [];
  const { problems, warned, notes } = splitNotes(report);
  if (problems.length < warned.length) {
    const errors = problems.filter((p) => p.severity === "error").length;
    if (errors) parts.push(plural(errors, errors === problems.length ? "error" : "error problem"));
    const rest = problems.length - errors;
    if (rest) parts.push(plural(rest, "problem"));
    parts[parts.length - 1] += ` (${plural(warned.length, "warning")})`;
  } else {
    const errors = warned.filter((w) => w.severity === "error").length;
    const warnings = warned.length - errors;
    if (errors) parts.push(plural(errors, "error"));
    if (warnings || !errors) parts.push(warnings ? plural(warnings, "warning") : "no warnings");
  }
  if (notes) parts.push(plural(notes, "note"));
  const g = report.gradcheck;
  if (g) {
    const status = gradcheckStatus(g);
    if (status === "failed") {
      const failed = g.layers.filter((l) => gradcheckLayerStatus(l) === "failed").length;
      parts.push(g.layers.length ? `gradcheck FAILED (${failed} of ${plural(g.layers.length, "layer")})` : "gradcheck FAILED");
    } else {
      parts.push(`gradcheck ${status}`);
    }
    const max = Math.max(...g.layers.map((l) => l.maxRelError).filter(Number.isFinite));
    if (g.layers.length && Number.isFinite(max)) parts.push(`max rel err ${shortExp(max)}`);
  }
  if (report.status && !report.status.ok) parts.push("stopped by an error");
  return parts.join(" · ");
}

/** What the status bar shows for a finished run: icon, text and background, read from the shared verdict. */
export interface StatusBarLook {
  icon: "$(error)" | "$(warning)" | "$(pass)";
  text: string;
  /** A theme colour id, or undefined for the default background. */
  background?: "statusBarItem.errorBackground" | "statusBarItem.warningBackground";
}

/**
 * A failed check is an error (red); an inconclusive one is not a failure but is not a pass either
 * (warning colour, "gradcheck inconclusive"); otherwise the warning count decides (info-level findings
 * are notes: a run with only notes is healthy).
 */
export function statusBarLook(modelName: string, report: Report): StatusBarLook {
  const status = report.gradcheck ? gradcheckStatus(report.gradcheck) : undefined;
  const { warned, notes } = splitNotes(report);
  const warnings = warned.length;
  const what = warnings ? plural(warnings, "warning") : status === "inconclusive" ? "gradcheck inconclusive" : notes ? `healthy · ${plural(notes, "note")}` : "healthy";
  if (status === "failed") return { icon: "$(error)", text: `${modelName}: ${warnings ? what : "gradcheck FAILED"}`, background: "statusBarItem.errorBackground" };
  if (status === "inconclusive") return { icon: "$(warning)", text: `${modelName}: ${what}`, background: "statusBarItem.warningBackground" };
  return { icon: warnings ? "$(warning)" : "$(pass)", text: `${modelName}: ${what}` };
}

/**
 * The problems that are errors or warnings and the warnings they hold (an info-level symptom of such a
 * problem counts with it), and how many problems are only notes (info level).
 */
function splitNotes(report: Report): { problems: Problem[]; warned: Warning[]; notes: number } {
  const all = problemsOf(report);
  const problems = all.filter((p) => p.severity !== "info");
  const members = new Set(problems.flatMap((p) => [...p.causes, ...p.symptoms]));
  return { problems, warned: report.warnings.filter((_, i) => members.has(i)), notes: all.length - problems.length };
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
