/** Command-line parsing for `gradient-lens`: pure, so every accepted and rejected form is unit-tested. */
import type { GradcheckMode } from "../instrument/types";

export type CliCommand = "check" | "train" | "report" | "list" | "help" | "version";

export interface CliArgs {
  command: CliCommand;
  /** The model file (check/train/list) or report file (report). */
  file?: string;
  model?: string;
  mode?: GradcheckMode;
  steps?: number;
  batchSize?: number;
  json: boolean;
  out?: string;
  timeLimitMs?: number;
  memoryLimitMb?: number;
}

export const USAGE = `Usage: gradient-lens <command> [options]

Commands:
  check <model.ts>      Short recorded run + numeric gradient check
  train <model.ts>      Train with recording; per-layer table and warnings
  report <report.json>  Print a saved report
  list <model.ts>       List the models a file exports

Options:
  --model NAME          Which export to run (default: the default export, else the first)
  --mode MODE           Gradient check mode: full | sampled | directional
                        (check: default sampled; train: runs a check only when given;
                        full above 20,000 parameters checks a sample instead, with a note)
  --steps N             Number of training steps (default: the model's steps, or its
                        epochs over the training set; check: at most 20)
  --batch-size N        Override the model's batch size
  --json                Print the report (or the error) as JSON on stdout
  --out FILE            Also write the report as JSON to FILE
  --time-limit SECONDS  Stop the run after this long (default 120)
  --memory MB           Heap limit of the model's process (default 2048)
  -h, --help            Show this help
  -v, --version         Show the version

Exit codes:
  0  healthy: no error-level warning, and the gradient check (when run) passed or
     was inconclusive (it could not run or could not judge: printed with the reason)
  1  the gradient check failed (status "failed"; in reports without a status,
     passed: false), or a warning of severity "error" fired
  2  the model could not be loaded or run (syntax error, missing export, exception,
     timeout, out of memory), or the command line was wrong

Colour is used on a terminal only; NO_COLOR=1 turns it off.`;

const MODES = new Set(["full", "sampled", "directional"]);

function positiveInt(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n <= 0) throw new Error(`${flag} expects a positive integer, got ${v ?? "nothing"}`);
  return n;
}

function positiveNumber(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !(n > 0) || !Number.isFinite(n)) throw new Error(`${flag} expects a positive number, got ${v ?? "nothing"}`);
  return n;
}

/** Parses argv (without node and the script); throws an Error with a one-line message on bad input. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { command: "help", json: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case "-h":
      case "--help":
        return { ...args, command: "help" };
      case "-v":
      case "--version":
        return { ...args, command: "version" };
      case "--json":
        args.json = true;
        break;
      case "--model":
        args.model = value();
        if (!args.model) throw new Error("--model expects an export name");
        break;
      case "--mode": {
        const m = value();
        if (!m || !MODES.has(m)) throw new Error(`--mode expects full, sampled or directional, got ${m ?? "nothing"}`);
        args.mode = m as GradcheckMode;
        break;
      }
      case "--steps":
        args.steps = positiveInt("--steps", value());
        break;
      case "--batch-size":
        args.batchSize = positiveInt("--batch-size", value());
        break;
      case "--out":
        args.out = value();
        if (!args.out) throw new Error("--out expects a file name");
        break;
      case "--time-limit":
        args.timeLimitMs = Math.round(positiveNumber("--time-limit", value()) * 1000);
        break;
      case "--memory":
        args.memoryLimitMb = positiveInt("--memory", value());
        break;
      default:
        if (a.startsWith("-") && a !== "-") throw new Error(`unknown option ${a}`);
        positional.push(a);
    }
  }
  if (positional.length === 0) return args;
  const [command, file, ...rest] = positional;
  if (!["check", "train", "report", "list"].includes(command)) throw new Error(`unknown command "${command}"`);
  if (!file) throw new Error(`${command} expects a file`);
  if (rest.length) throw new Error(`unexpected argument "${rest[0]}"`);
  return { ...args, command: command as CliCommand, file };
}
