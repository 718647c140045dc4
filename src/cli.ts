/**
 * `gradient-lens`: check, train, report and list from a terminal or CI. Built to dist/cli.js.
 * Runs models through the isolated runner (`startRun`), prints tables (src/cli/format.ts) or `--json`,
 * and exits 0 healthy (an inconclusive gradient check included), 1 unhealthy (gradient check failed or an
 * error-level warning), 2 could not run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { version } from "../package.json";
import { parseArgs, USAGE, type CliArgs } from "./cli/args";
import { EXIT, exitCodeFor, exitCodeForReport, formatModels, formatProgress, formatReport, formatRunError, shouldColor, style } from "./cli/format";
import type { RunnerEvent, RunOutcome, RunRequest } from "./protocol/runner";
import { listModels, startRun } from "./runner";
import { validateReport } from "./cli/validate";

const out = (s: string) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith("\n") ? s : `${s}\n`);

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    err(`gradient-lens: ${(e as Error).message}\n\n${USAGE}`);
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
    case "list": {
      const result = await listModels(path.resolve(args.file!), { timeLimitMs: args.timeLimitMs });
      if (!result.ok) return printFailure(result, args, fmt);
      out(args.json ? JSON.stringify(result.models, null, 2) : formatModels(result.models, fmt));
      return EXIT.healthy;
    }
    case "check":
    case "train":
      return run(args, fmt);
  }
}

function printFailure(outcome: { ok: false; error: import("./protocol/runner").RunError }, args: CliArgs, fmt: { color: boolean; cwd: string }): number {
  if (args.json) out(JSON.stringify({ error: outcome.error }, null, 2));
  err(formatRunError(outcome.error, { ...fmt, color: shouldColor(process.stderr.isTTY, process.env) }));
  return EXIT.failed;
}

function showReport(args: CliArgs, fmt: { color: boolean; cwd: string }): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(args.file!, "utf8"));
  } catch (e) {
    err(`gradient-lens: cannot read ${args.file}: ${(e as Error).message}`);
    return EXIT.failed;
  }
  // Early reports could omit an empty warnings list; everything else must match the schema.
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && (parsed as { warnings?: unknown }).warnings === undefined) {
    (parsed as { warnings: unknown[] }).warnings = [];
  }
  const checked = validateReport(parsed);
  if (!checked.ok) {
    err(`gradient-lens: ${args.file} is not a valid Gradient Lens report (version 1): ${checked.problem}`);
    return EXIT.failed;
  }
  const report = checked.report;
  out(args.json ? JSON.stringify(report, null, 2) : formatReport(report, fmt));
  return exitCodeForReport(report);
}

async function run(args: CliArgs, fmt: { color: boolean; cwd: string }): Promise<number> {
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
      err(st.dim(`${args.command === "check" ? "Checking" : "Training"} "${e.name}" (export ${e.exportName}), ${e.totalSteps} steps…`));
    } else if (e.type === "log") {
      clearProgress();
      // The model's own output goes to stderr so stdout stays a clean table or JSON.
      err(e.level === "warn" ? st.yellow(e.text) : e.text);
    }
  };
  const handle = startRun(request, onEvent);
  const onSigint = () => handle.cancel();
  process.once("SIGINT", onSigint);
  const outcome: RunOutcome = await handle.result;
  process.off("SIGINT", onSigint);
  clearProgress();
  if (!outcome.ok) {
    if (outcome.error.partialReport && args.out) writeFileSync(args.out, JSON.stringify(outcome.error.partialReport, null, 2));
    return printFailure(outcome, args, fmt);
  }
  if (args.out) writeFileSync(args.out, JSON.stringify(outcome.report, null, 2));
  out(args.json ? JSON.stringify(outcome.report, null, 2) : formatReport(outcome.report, fmt));
  return exitCodeFor(outcome);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    err(`gradient-lens: internal error: ${(e as Error).stack ?? e}`);
    process.exitCode = EXIT.failed;
  },
);
