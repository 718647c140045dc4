/**
 * Command-line parsing for `gradient-lens` on `node:util` parseArgs: pure, so every accepted and
 * rejected form is unit-tested. A flag whose value is missing never takes the next flag as its value.
 */
import { parseArgs as utilParseArgs } from "node:util";
import type { GradcheckMode } from "../instrument/types";

export type CliCommand = "check" | "train" | "report" | "list" | "compare" | "help" | "version";

export interface CliArgs {
  command: CliCommand;
  /** The model file (check/train/list) or report file (report). */
  file?: string;
  /** The second report (compare: b, compared against `file`, a). */
  file2?: string;
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
  compare <a.json> <b.json>
                        Compare two saved reports: per-layer gradient norm and update
                        ratio of b vs a, the loss, warnings and problems in one only
                        (always exits 0 for valid reports)

Options:
  --model NAME          Which export to run (default: the default export, else the first)
  --mode MODE           Gradient check mode: full | sampled | directional
                        (check: default sampled; train: runs a check only when given;
                        full above 20,000 parameters checks a sample instead, with a note)
  --steps N             Number of training steps (default: the model's steps, or its
                        epochs over the training set; check: at most 20)
  --batch-size N        Override the model's batch size
  --json                Print the report (or the error) as JSON on stdout
  --out FILE            Also write the report as JSON to FILE (checked before the run,
                        written atomically; the partial report of a stopped run too)
  --time-limit SECONDS  Stop the run after this long (default 120); the steps done are
                        printed as a partial report, as on Ctrl-C
  --memory MB           Memory limit of the model's process: its resident size, heap
                        and buffers together (default 2048)
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

/** The options, as `node:util` parseArgs reads them: a value-taking flag never takes the next flag as its value. */
const OPTIONS = {
  model: { type: "string" },
  mode: { type: "string" },
  steps: { type: "string" },
  "batch-size": { type: "string" },
  json: { type: "boolean" },
  out: { type: "string" },
  "time-limit": { type: "string" },
  memory: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

type OptionName = keyof typeof OPTIONS;

function positiveInt(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v.trim() === "" || !Number.isInteger(n) || n <= 0) throw new Error(`${flag} expects a positive integer, got ${v || "nothing"}`);
  return n;
}

function positiveNumber(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v.trim() === "" || !(n > 0) || !Number.isFinite(n)) throw new Error(`${flag} expects a positive number, got ${v || "nothing"}`);
  return n;
}

/** node:util's messages, reworded to one line in the CLI's terms. */
function reword(e: Error & { code?: string }, argv: readonly string[]): Error {
  const flag = /'(--?[\w-]+)/.exec(e.message)?.[1];
  const name = flag?.replace(/^-+/, "") as OptionName | undefined;
  const expected: Partial<Record<OptionName, string>> = {
    model: "an export name",
    mode: "full, sampled or directional",
    steps: "a positive integer",
    "batch-size": "a positive integer",
    out: "a file name",
    "time-limit": "a positive number",
    memory: "a positive integer",
  };
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new Error(`unknown option ${flag ?? ""}`.trim());
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && name && expected[name]) {
    const i = argv.indexOf(`--${name}`);
    const next = i >= 0 ? argv[i + 1] : undefined;
    return new Error(`--${name} expects ${expected[name]}, got ${next === undefined ? "nothing" : `the option ${next}`}`);
  }
  return new Error(e.message.split("\n")[0]);
}

/** `--steps -3`: a negative number after a value-taking flag is that flag's (invalid) value, not an option. */
function attachNegativeNumbers(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? (argv[i].slice(2) as OptionName) : undefined;
    if (name && OPTIONS[name]?.type === "string" && /^-\d/.test(argv[i + 1] ?? "")) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/** Parses argv (without node and the script); throws an Error with a one-line message on bad input. */
export function parseArgs(argv: readonly string[]): CliArgs {
  let parsed: { values: Partial<Record<OptionName, string | boolean>>; positionals: string[] };
  try {
    parsed = utilParseArgs({ args: attachNegativeNumbers(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw reword(e as Error & { code?: string }, argv);
  }
  const v = parsed.values as Partial<Record<OptionName, string>> & { json?: boolean; help?: boolean; version?: boolean };
  if (v.help) return { command: "help", json: false };
  if (v.version) return { command: "version", json: false };
  const args: CliArgs = { command: "help", json: v.json === true };
  if (v.model !== undefined) {
    if (!v.model) throw new Error("--model expects an export name");
    args.model = v.model;
  }
  if (v.mode !== undefined) {
    if (!MODES.has(v.mode)) throw new Error(`--mode expects full, sampled or directional, got ${v.mode || "nothing"}`);
    args.mode = v.mode as GradcheckMode;
  }
  if (v.steps !== undefined) args.steps = positiveInt("--steps", v.steps);
  if (v["batch-size"] !== undefined) args.batchSize = positiveInt("--batch-size", v["batch-size"]);
  if (v.out !== undefined) {
    if (!v.out) throw new Error("--out expects a file name");
    args.out = v.out;
  }
  if (v["time-limit"] !== undefined) args.timeLimitMs = Math.round(positiveNumber("--time-limit", v["time-limit"]) * 1000);
  if (v.memory !== undefined) args.memoryLimitMb = positiveInt("--memory", v.memory);

  const positional = parsed.positionals;
  if (positional.length === 0) return args;
  const [command, file, ...rest] = positional;
  if (command === "compare") {
    if (!file || !rest[0]) throw new Error("compare expects two report files");
    if (rest.length > 1) throw new Error(`unexpected argument "${rest[1]}"`);
    return { ...args, command: "compare", file, file2: rest[0] };
  }
  if (!["check", "train", "report", "list"].includes(command)) throw new Error(`unknown command "${command}"`);
  if (!file) throw new Error(`${command} expects a file`);
  if (rest.length) throw new Error(`unexpected argument "${rest[0]}"`);
  return { ...args, command: command as CliCommand, file };
}
