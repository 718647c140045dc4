/**
 * Terminal formatting for the CLI: pure functions from reports and errors to text, so every table and
 * message is unit-tested without a process. Colour is a parameter (the caller decides from the TTY and
 * NO_COLOR); nothing here reads the environment.
 */
import * as path from "node:path";
import type { ModelEntry, RunError, RunOutcome } from "../protocol/runner";
import { gradcheckLayerStatus, gradcheckStatus, inconclusiveReason } from "../report";
import type { GradcheckResult, Problem, Report, SourceLocation, Warning } from "../report";
import { problemsOf } from "../instrument/problems";

/** CLI exit codes (documented in `--help`). */
export const EXIT = {
  /** Healthy: no error-level warning and the gradient check (when run) did not fail (passed or inconclusive). */
  healthy: 0,
  /** The gradient check failed (status "failed"; `passed: false` in reports without a status), or a warning of severity "error" fired. */
  unhealthy: 1,
  /** The model could not be loaded or run (syntax, load, invalid model, runtime, timeout, memory, cancel). */
  failed: 2,
} as const;

/** The verdict and its reason are read through the report's shared functions, like every other front end. */
export { gradcheckStatus, inconclusiveReason };

/**
 * The exit code for a report: 1 for a failed gradient check or an error-level warning, 2 for a partial
 * report of a run that did not finish (an error, the time limit, a cancel), else 0.
 */
export function exitCodeForReport(report: Report): number {
  if (report.status?.ok === false) return EXIT.failed;
  if (report.gradcheck && gradcheckStatus(report.gradcheck) === "failed") return EXIT.unhealthy;
  if (report.warnings.some((w) => w.severity === "error")) return EXIT.unhealthy;
  return EXIT.healthy;
}

/** The exit code for a run's outcome (0, 1 or 2). */
export function exitCodeFor(outcome: RunOutcome): number {
  return outcome.ok ? exitCodeForReport(outcome.report) : EXIT.failed;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

/** ANSI styles, or identity functions when colour is off. */
export function style(color: boolean): Style {
  if (!color) return { bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39) };
}

/** Whether to colour a stream: a TTY, and NO_COLOR (https://no-color.org) unset or empty; FORCE_COLOR wins. */
export function shouldColor(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return isTTY === true && env.TERM !== "dumb";
}

const ANSI = /\x1b\[[0-9;]*m/g;
/** Printed width of a string (ANSI codes take no columns). */
export const visibleLength = (s: string) => s.replace(ANSI, "").length;

/**
 * A number for a table, three significant digits. Magnitudes in [1e-3, 1e4) are plain decimals
 * (0.559, 0.00123, 12.3, 6530); outside that range, engineering notation: the exponent is a multiple
 * of 3 (1.23e-6, 45.6e-6, 12.3e6). NaN and ±Inf as words, missing values as "—".
 */
export function eng(x: number | undefined | null, digits = 3): string {
  if (x === undefined || x === null) return "—";
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Inf" : "-Inf";
  if (x === 0) return "0";
  const sign = x < 0 ? "-" : "";
  const a = Math.abs(x);
  // Decide the form on the rounded value: 9999.6 prints as 10.0e3, 0.00099996 as 0.00100.
  const rounded = Number(a.toPrecision(digits));
  if (rounded >= 1e-3 && rounded < 1e4) {
    const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(rounded)));
    return `${sign}${rounded.toFixed(decimals)}`;
  }
  // The exponent of the rounded value, so a carry (999.96e-6, 9999.6) lands on the next mantissa form.
  let exp = Math.floor(Math.log10(rounded) / 3) * 3;
  let text = mantissa(rounded / 10 ** exp, digits);
  // Floating-point division can still leave 999.99…: move to the next exponent.
  if (Number(text) >= 1000) {
    exp += 3;
    text = mantissa(rounded / 10 ** exp, digits);
  }
  return `${sign}${text}${exp === 0 ? "" : `e${exp}`}`;
}

function mantissa(m: number, digits: number): string {
  const intDigits = m >= 100 ? 3 : m >= 10 ? 2 : 1;
  return m.toFixed(Math.max(0, digits - intDigits));
}

/** An integer count with thousands separators (parameters, steps). */
export const count = (n: number) => Math.round(n).toLocaleString("en-US");

export type Align = "left" | "right";

/** Rows as aligned columns (two spaces between), header underlined with dashes. */
export function table(headers: string[], rows: string[][], align: Align[] = [], st: Style = style(false)): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const pad = (s: string, i: number) => {
    const fill = " ".repeat(widths[i] - visibleLength(s));
    return align[i] === "right" ? fill + s : s + fill;
  };
  const line = (cells: string[]) => cells.map((c, i) => pad(c, i)).join("  ").replace(/\s+$/, "");
  return [st.bold(line(headers)), st.dim(widths.map((w) => "─".repeat(w)).join("  ")), ...rows.map(line)].join("\n");
}

/** "file.ts:12" relative to `cwd` when inside it. */
export function formatLocation(loc: SourceLocation | undefined, cwd?: string, withColumn = false): string {
  if (!loc) return "";
  const rel = cwd ? path.relative(cwd, loc.file) : loc.file;
  const file = cwd && rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : loc.file;
  return `${file}:${loc.line}${withColumn ? `:${loc.column}` : ""}`;
}

export interface FormatOptions {
  color?: boolean;
  /** Locations are shown relative to this directory. */
  cwd?: string;
}

const severityStyle = (st: Style, s: Warning["severity"]) => (s === "error" ? st.red : s === "warning" ? st.yellow : st.cyan);

/** The per-layer table: layer, kind, location, grad norm at the first and last recorded step, update ratio, warnings. */
export function formatLayerTable(report: Report, options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  const recorded = report.steps.filter((s) => s.layers.length > 0);
  const first = recorded[0];
  const last = recorded[recorded.length - 1];
  const stat = (step: typeof first, name: string) => step?.layers.find((l) => l.name === name);
  const warningsByLayer = new Map<string, Warning[]>();
  for (const w of report.warnings) if (w.layer) warningsByLayer.set(w.layer, [...(warningsByLayer.get(w.layer) ?? []), w]);
  const rows = report.model.layers.map((layer) => {
    const a = stat(first, layer.name);
    const b = stat(last, layer.name);
    const ws = warningsByLayer.get(layer.name) ?? [];
    const worst = ws.some((w) => w.severity === "error") ? "error" : ws.some((w) => w.severity === "warning") ? "warning" : "info";
    const hasParams = layer.parameters > 0;
    return [
      layer.name,
      layer.kind,
      formatLocation(layer.location, options.cwd),
      eng(a?.gradNorm),
      eng(b?.gradNorm),
      hasParams ? eng(b?.updateRatio) : "—",
      ws.length ? severityStyle(st, worst)(String(ws.length)) : st.dim("0"),
    ];
  });
  const stepLabel = (s: typeof first) => (s ? ` @${s.step}` : "");
  return table(
    ["layer", "kind", "location", `grad norm${stepLabel(first)}`, `grad norm${stepLabel(last)}`, "update ratio", "warnings"],
    rows,
    ["left", "left", "left", "right", "right", "right", "right"],
    st,
  );
}

const SPARK = "▁▂▃▄▅▆▇█";

/**
 * Norms over time as one character per time step (bins of steps averaged in log space when there are
 * more than `width`), on a log scale from the row's smallest to its largest norm: ▁ smallest, █ largest,
 * "·" a step no gradient reached (0), "?" a non-finite norm.
 */
export function sparkline(norms: readonly number[], width = 32): string {
  if (!norms.length) return "";
  const bins = Math.min(width, norms.length);
  const logs: number[] = [];
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor((b * norms.length) / bins);
    const hi = Math.max(lo + 1, Math.floor(((b + 1) * norms.length) / bins));
    const part = norms.slice(lo, hi);
    if (part.some((v) => v === null || !Number.isFinite(v))) logs.push(NaN);
    else if (part.some((v) => v <= 0)) logs.push(-Infinity);
    else logs.push(part.reduce((a, v) => a + Math.log10(v), 0) / part.length);
  }
  const finite = logs.filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return logs.map((l) => {
    if (Number.isNaN(l)) return "?";
    if (l === -Infinity) return "·";
    const f = max > min ? (l - min) / (max - min) : 1;
    return SPARK[Math.min(SPARK.length - 1, Math.round(f * (SPARK.length - 1)))];
  }).join("");
}

/**
 * Gradients through time, one row per series (recurrent layers' hidden states, taps) at the last
 * recorded step that has them: ‖∂L/∂h_t‖ at the first, middle and last time step, first/last, and a
 * sparkline over t; then each attention layer's per-head entropies against uniform attention's.
 * Empty for a model without either.
 */
export function formatTimeSeries(report: Report, options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  const out: string[] = [];
  const withNorms = report.steps.filter((s) => s.timeNorms?.length);
  const at = withNorms[withNorms.length - 1];
  if (at) {
    const info = new Map((report.model.timeSeries ?? []).map((s) => [s.name, s]));
    const rows = at.timeNorms!.map(({ name, norms }) => {
      const s = info.get(name);
      const location = s?.location ?? (s?.layer ? report.model.layers.find((l) => l.name === s.layer)?.location : undefined);
      const first = norms[0];
      const last = norms[norms.length - 1];
      return [
        name, s?.kind ?? "tap", formatLocation(location, options.cwd), String(norms.length),
        eng(first), eng(norms[Math.floor((norms.length - 1) / 2)]), eng(last),
        last > 0 && Number.isFinite(first) ? eng(first / last) : "—",
        sparkline(norms),
      ];
    });
    out.push(`Gradients through time (‖∂L/∂h_t‖, step ${at.step}):`);
    out.push(table(["series", "kind", "location", "T", "first", "middle", "last", "first/last", "over t"], rows,
      ["left", "left", "left", "right", "right", "right", "right", "right", "left"], st));
  }
  const withAttention = report.steps.filter((s) => s.attention?.length);
  const att = withAttention[withAttention.length - 1];
  if (att) {
    const rows = att.attention!.map((a) => [a.layer, a.entropy.map((e) => eng(e)).join(" "), eng(a.uniformEntropy)]);
    out.push(`Attention entropy per head (nats, step ${att.step}):`);
    out.push(table(["layer", "heads", "uniform"], rows, ["left", "left", "right"], st));
  }
  return out.join("\n");
}

/** Warnings, one block each: severity, rule, layer and file:line, message, hint. */
export function formatWarnings(warnings: readonly Warning[], options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  if (warnings.length === 0) return st.green("No warnings.");
  const order = { error: 0, warning: 1, info: 2 } as const;
  const sorted = [...warnings].sort((a, b) => order[a.severity] - order[b.severity]);
  return sorted
    .map((w) => {
      const where = [w.layer, formatLocation(w.location, options.cwd), w.step !== undefined ? `step ${w.step}` : ""].filter(Boolean).join("  ");
      const head = `${severityStyle(st, w.severity)(w.severity)} ${st.bold(w.rule)}${where ? `  ${st.dim(where)}` : ""}`;
      const lines = [head, `  ${w.message}`];
      if (w.hint) lines.push(`  ${st.dim("hint:")} ${w.hint}`);
      return lines.join("\n");
    })
    .join("\n");
}

/**
 * Problems, one block each: severity, title, blamed layer's file:line, the fix, then its warnings
 * indented beneath (causes first, then symptoms), each with its rule, layer, step and message.
 */
export function formatProblems(problems: readonly Problem[], warnings: readonly Warning[], options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  if (problems.length === 0) return st.green("No warnings.");
  return problems
    .map((p) => {
      const n = p.causes.length + p.symptoms.length;
      // A problem of one warning reads best as that warning.
      if (n === 1 && warnings[p.causes[0]]) return formatWarnings([warnings[p.causes[0]]], options).replace(/^No warnings\.$/, "");
      const where = formatLocation(p.location, options.cwd);
      const head = `${severityStyle(st, p.severity)(p.severity)} ${st.bold(p.title)}${where ? `  ${st.dim(where)}` : ""}${n > 1 ? st.dim(`  (${n} warnings)`) : ""}`;
      const lines = [head];
      if (p.fix) lines.push(`  ${st.dim("fix:")} ${p.fix}`);
      const member = (i: number, role: string) => {
        const w = warnings[i];
        if (!w) return;
        const at = [w.layer, formatLocation(w.location, options.cwd), w.step !== undefined ? `step ${w.step}` : ""].filter(Boolean).join("  ");
        lines.push(`  ${st.dim(role)} ${w.rule}${at ? `  ${st.dim(at)}` : ""}`);
        lines.push(`      ${w.message}`);
      };
      for (const i of p.causes) member(i, "cause  ");
      for (const i of p.symptoms) member(i, "symptom");
      return lines.join("\n");
    })
    .join("\n");
}

/** The gradient check: verdict, the failing layers with their worst entries, and the culprit op. */
export function formatGradcheck(report: Report, options: FormatOptions = {}): string {
  const gc = report.gradcheck;
  if (!gc) return "";
  const st = style(options.color ?? false);
  const status = gradcheckStatus(gc);
  const notes = gc.notes ?? [];
  if (status === "inconclusive") {
    // Nothing shows the backward rules are wrong: say why the check could not judge, not "FAILED".
    const reason = inconclusiveReason(gc);
    // The heading already says "inconclusive" (notes may too: "the check could not run (inconclusive): …").
    const out = [st.yellow(`Gradient check inconclusive: ${reason.replace(/\s*\(inconclusive\)/i, "")}`)];
    out.push(st.dim(`  (${gc.mode}, eps ${eng(gc.eps)})`));
    for (const n of notes) if (n !== reason) out.push(st.dim(`  note: ${n}`));
    return out.join("\n");
  }
  const verdict = status === "passed" ? st.green("passed") : st.red("FAILED");
  const out = [`Gradient check (${gc.mode}, eps ${eng(gc.eps)}): ${verdict}`];
  for (const n of notes) out.push(st.dim(`  note: ${n}`));
  const rows = gc.layers.map((l) => [
    l.name,
    formatLocation(l.location ?? report.model.layers.find((x) => x.name === l.name)?.location, options.cwd),
    String(l.checked),
    eng(l.maxRelError),
    gradcheckLayerStatus(l) === "passed"
      ? st.green(l.kinks ? `ok (${l.kinks} kink${l.kinks === 1 ? "" : "s"})` : "ok")
      : gradcheckLayerStatus(l) === "inconclusive"
        ? st.yellow("inconclusive")
        : st.red(`fail${l.failures ? ` (${l.failures})` : ""}`),
  ]);
  if (rows.length) out.push(table(["layer", "location", "checked", "max rel error", ""], rows, ["left", "left", "right", "right", "left"], st));
  for (const l of gc.layers.filter((x) => gradcheckLayerStatus(x) === "failed")) {
    for (const e of l.worst.slice(0, 3)) {
      out.push(`  ${l.name}[${e.index.join(", ")}]  analytic ${eng(e.analytic)}  numeric ${eng(e.numeric)}  rel error ${eng(e.relError)}`);
    }
  }
  const c = (gc as { culprit?: { op: string; layer?: string; location?: SourceLocation } }).culprit;
  if (c) out.push(`  wrong backward rule: op ${st.bold(c.op)}${c.layer ? ` in ${c.layer}` : ""}${c.location ? ` at ${formatLocation(c.location, options.cwd)}` : ""}`);
  return out.join("\n");
}

/** The whole report for a terminal: header, layer table, gradient check, warnings. */
export function formatReport(report: Report, options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  const steps = report.steps;
  const lastLoss = steps.length ? steps[steps.length - 1].loss : undefined;
  const firstLoss = steps.length ? steps[0].loss : undefined;
  const acc = steps.length ? steps[steps.length - 1].accuracy : undefined;
  const where = report.model.file ? `  ${st.dim(formatLocation({ file: report.model.file, line: 1, column: 1 }, options.cwd).replace(/:1$/, ""))}` : "";
  const head = [
    `${st.bold(report.model.name)}${report.model.exportName && report.model.exportName !== "default" ? ` (${report.model.exportName})` : ""}${where}`,
    `${count(report.model.parameters)} parameters, ${count(steps.length)} steps, loss ${eng(firstLoss)} → ${eng(lastLoss)}${acc !== undefined ? `, accuracy ${(acc * 100).toFixed(1)}%` : ""}`,
  ];
  if (report.validation) {
    const v = report.validation;
    head.push(`validation loss ${eng(v.loss)}${v.accuracy !== undefined ? `, accuracy ${(v.accuracy * 100).toFixed(1)}%` : ""}`);
  }
  if (report.status && report.status.reason && report.status.reason !== "completed") {
    head.push(st.yellow(`stopped after ${count(report.status.steps ?? steps.length)} of ${count(report.status.totalSteps ?? steps.length)} steps (${report.status.reason})`));
  }
  const parts = [head.join("\n"), formatLayerTable(report, options)];
  const time = formatTimeSeries(report, options);
  if (time) parts.push(time);
  const gc = formatGradcheck(report, options);
  if (gc) parts.push(gc);
  parts.push(formatProblems(problemsOf(report), report.warnings, options));
  parts.push(verdictLine(report, st));
  return parts.join("\n\n");
}

function verdictLine(report: Report, st: Style): string {
  if (report.status?.ok === false) {
    const why = { timeout: "stopped by its time limit", cancelled: "cancelled" }[report.status.reason as string] ?? "the model failed";
    return st.red(`Did not finish (${why}): a partial report of ${count(report.status.steps ?? report.steps.length)} steps.`);
  }
  const errors = report.warnings.filter((w) => w.severity === "error").length;
  const warnings = report.warnings.filter((w) => w.severity === "warning").length;
  const status = report.gradcheck ? gradcheckStatus(report.gradcheck) : undefined;
  if (exitCodeForReport(report) === EXIT.healthy) {
    // Warnings and an inconclusive check do not fail a run (exit 0) but must not read as a clean bill of health.
    const problems = problemsOf(report).filter((p) => p.severity !== "info").length;
    const caveats = [
      warnings
        ? problems === warnings
          ? `${warnings} warning${warnings === 1 ? "" : "s"}`
          : `${problems} problem${problems === 1 ? "" : "s"} (${warnings} warning${warnings === 1 ? "" : "s"})`
        : "",
      status === "inconclusive" ? "gradient check inconclusive" : "",
    ].filter(Boolean);
    return caveats.length ? st.yellow(`No errors; ${caveats.join(", ")}.`) : st.green("Healthy.");
  }
  const why = [status === "failed" ? "gradient check failed" : "", errors ? `${errors} error${errors === 1 ? "" : "s"}` : ""].filter(Boolean);
  return st.red(`Unhealthy: ${why.join(", ")}.`);
}

/** A failed run: kind, message, location, and the user's stack (or every compiler diagnostic). */
export function formatRunError(error: RunError, options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  const lines = [`${st.red(st.bold(`error[${error.kind}]`))} ${error.message}`];
  if (error.location && !error.message.includes(`${error.location.file}:${error.location.line}`)) {
    lines.push(`  at ${formatLocation(error.location, options.cwd, true)}`);
  }
  if (error.diagnostics && error.diagnostics.length > 1) {
    for (const d of error.diagnostics) lines.push(`  ${formatLocation(d.location, options.cwd, true)}: ${d.message}`);
  } else if (error.stack && error.kind !== "syntax") {
    const frames = error.stack.split("\n").filter((l) => /^\s+at /.test(l));
    if (frames.length) lines.push(st.dim(frames.map((f) => `  ${f.trim()}`).join("\n")));
  }
  return lines.join("\n");
}

/** The models of a file, one per line. */
export function formatModels(models: readonly ModelEntry[], options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  if (models.length === 0) return "No models found.";
  return table(
    ["export", "name", "location"],
    models.map((m) => [m.exportName, m.name, formatLocation(m.location, options.cwd)]),
    [],
    st,
  );
}

/** One progress line (for a TTY, rewritten in place). */
export function formatProgress(p: { step: number; totalSteps: number; loss: number; accuracy?: number }, width = 24): string {
  const done = Math.min(1, (p.step + 1) / Math.max(1, p.totalSteps));
  const filled = Math.round(done * width);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const acc = p.accuracy !== undefined ? `  acc ${(p.accuracy * 100).toFixed(1)}%` : "";
  return `${bar} step ${p.step + 1}/${p.totalSteps}  loss ${eng(p.loss)}${acc}`;
}
