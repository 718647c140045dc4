/**
 * `gradient-lens`: check, train, report and list from a terminal or CI. Built to dist/cli.js.
 * Runs models through the isolated runner (`startRun`), prints tables (src/cli/format.ts) or `--json`,
 * and exits 0 healthy (an inconclusive gradient check included), 1 unhealthy (gradient check failed or an
 * error-level warning), 2 could not run.
 *
 * Nothing finished is lost: a run stopped by its time limit, Ctrl-C or SIGTERM prints and saves the
 * partial report; `--out` is checked before the run, written atomically, and when writing fails anyway
 * the report still goes to stdout. Text from data is sanitized (src/cli/sanitize.ts); `--json` is exact.
 */
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { version } from "../package.json";
import { parseArgs, USAGE, type CliArgs } from "./cli/args";
import { EXIT, exitCodeFor, exitCodeForReport, formatModels, formatProgress, formatReport, formatRunError, shouldColor, style } from "./cli/format";
import { checkModelFile, checkOutFile, writeFileAtomic } from "./cli/files";
import { sanitize, sanitizeDeep } from "./cli/sanitize";
import type { RunError, RunnerEvent, RunOutcome, RunRequest } from "./protocol/runner";
import type { Report } from "./report";
import { listModels, startRun } from "./runner";
import { validateReport } from "./cli/validate";
import { compareReports, formatComparison } from "./cli/compare";

const out = (s: string) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith("\n") ? s : `${s}\n`);

type Fmt = { color: boolean; cwd: string };

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    err(`gradient-lens: ${sanitize((e as Error).message)}\n\n${USAGE}`);
    return EXIT.failed;
  }
  const color = shouldColor(process.stdout.isTTY, process.env);
  const fmt = { color, cwd: process.cwd() };
  switch (args.command) {
    case "help":
      out(USAGE);
      return EXIT.healthy;
    case "version":
      out(version);
      return EXIT.healthy;
    case "report":
      return showReport(args, fmt);
    case "compare":
      return compare(args, fmt);
    case "list": {
      const problem = checkModelFile(args.file!);
      if (problem) return usageError(problem);
      const result = await listModels(path.resolve(args.file!), { timeLimitMs: args.timeLimitMs });
      if (!result.ok) return printFailure(result.error, args, fmt);
      out(args.json ? JSON.stringify(result.models, null, 2) : formatModels(sanitizeDeep(result.models), fmt));
      return EXIT.healthy;
    }
    case "check":
    case "train":
      return run(args, fmt);
  }
}

function usageError(message: string): number {
  err(`gradient-lens: ${sanitize(message)}`);
  return EXIT.failed;
}

function printFailure(error: RunError, args: CliArgs, fmt: Fmt): number {
  if (args.json) out(JSON.stringify({ error }, null, 2));
  const { partialReport, ...rest } = error;
  if (partialReport && partialReport.steps.length > 0 && !args.json) out(formatReport(sanitizeDeep(partialReport), fmt));
  err(formatRunError(sanitizeDeep(rest), { ...fmt, color: shouldColor(process.stderr.isTTY, process.env) }));
  return EXIT.failed;
}

/** Reads and validates a saved report; on failure says why and returns the exit code instead. */
function loadReport(file: string): Report | number {
  let parsed: unknown;
  try {
    if (statSync(file).isDirectory()) return usageError(`${file} is a directory, not a report file`);
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") return usageError(`no such file: ${file}`);
    return usageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  // Early reports could omit an empty warnings list; everything else must match the schema.
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && (parsed as { warnings?: unknown }).warnings === undefined) {
    (parsed as { warnings: unknown[] }).warnings = [];
  }
  const checked = validateReport(parsed);
  if (!checked.ok) return usageError(`${file} is not a valid Gradient Lens report (version 1): ${checked.problem}`);
  return checked.report;
}

function showReport(args: CliArgs, fmt: Fmt): number {
  const report = loadReport(args.file!);
  if (typeof report === "number") return report;
  out(args.json ? JSON.stringify(report, null, 2) : formatReport(sanitizeDeep(report), fmt));
  return exitCodeForReport(report);
}

/** b against a; exit 0 whatever the runs' health (2 when a file is not a report). */
function compare(args: CliArgs, fmt: Fmt): number {
  const a = loadReport(args.file!);
  if (typeof a === "number") return a;
  const b = loadReport(args.file2!);
  if (typeof b === "number") return b;
  const c = compareReports(a, b);
  const name = (r: Report, file: string) => `${r.model.name}  (${file})`;
  out(args.json ? JSON.stringify(c, null, 2) : formatComparison(sanitizeDeep(c), { a: sanitize(name(a, args.file!)), b: sanitize(name(b, args.file2!)) }, fmt));
  return EXIT.healthy;
}

/** Saves the report to --out; on failure says so in one line (the report still goes to stdout). */
function save(report: Report, file: string): boolean {
  try {
    writeFileAtomic(file, JSON.stringify(report, null, 2));
    return true;
  } catch (e) {
    err(`gradient-lens: could not write the report to ${sanitize(file)}: ${sanitize((e as Error).message)} (the report is printed below)`);
    return false;
  }
}

async function run(args: CliArgs, fmt: Fmt): Promise<number> {
  const problem = checkModelFile(args.file!) ?? (args.out ? checkOutFile(args.out) : undefined);
  if (problem) return usageError(problem);
  const request: RunRequest = {
    file: path.resolve(args.file!),
    command: args.command as "check" | "train",
    exportName: args.model,
    steps: args.steps,
    batchSize: args.batchSize,
    timeLimitMs: args.timeLimitMs,
    memoryLimitMb: args.memoryLimitMb,
    ...(args.mode ? { gradcheck: { mode: args.mode } } : {}),
  };
  // Progress is for people: only on an interactive stderr, rewritten in place.
  const live = process.stderr.isTTY === true;
  const st = style(shouldColor(process.stderr.isTTY, process.env));
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) process.stderr.write("\r\x1b[K");
    progressShown = false;
  };
  const onEvent = (e: RunnerEvent) => {
    if (e.type === "progress" && live) {
      process.stderr.write(`\r\x1b[K${formatProgress(e)}`);
      progressShown = true;
    } else if (e.type === "started" && !args.json) {
      err(st.dim(`${args.command === "check" ? "Checking" : "Training"} "${sanitize(e.name)}" (export ${sanitize(e.exportName)}), ${e.totalSteps} steps…`));
    } else if (e.type === "log") {
      clearProgress();
      // The model's own output goes to stderr so stdout stays a clean table or JSON.
      err(e.level === "warn" ? st.yellow(sanitize(e.text)) : sanitize(e.text));
    }
  };
  const handle = startRun(request, onEvent);
  // Ctrl-C or SIGTERM asks the run to stop: it answers with the steps done (a second signal still waits for it).
  const onSignal = () => handle.cancel();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const outcome: RunOutcome = await handle.result;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  clearProgress();
  if (!outcome.ok) {
    const partial = outcome.error.partialReport;
    if (partial && args.out) save(partial, args.out);
    return printFailure(outcome.error, args, fmt);
  }
  const saved = args.out ? save(outcome.report, args.out) : true;
  out(args.json ? JSON.stringify(outcome.report, null, 2) : formatReport(sanitizeDeep(outcome.report), fmt));
  return saved ? exitCodeFor(outcome) : EXIT.failed;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    err(`gradient-lens: internal error: ${sanitize(String((e as Error).stack ?? e))}`);
    process.exitCode = EXIT.failed;
  },
);
