/**
 * Messages between the runner's child process and whoever started it (CLI, extension host).
 * One typed module for both sides (STYLE.md); `isRunnerEvent` validates what crosses the process boundary.
 */
import type { GradcheckOptions, RecordSchedule, Report, RuleOverrides, SourceLocation } from "../report";

/** What the extension and the CLI run a model for: a short recorded run + gradient check, or a full recorded run. */
export type RunKind = "check" | "train";

export type RunCommand = RunKind | "list";

/** What to run. */
export interface RunRequest {
  /** Absolute path of the user's model file (.ts or .js). */
  file: string;
  /** Which export ("default" or a named export); the first model found when omitted. */
  exportName?: string;
  /** check: a short recorded run + gradient check; train: full recorded run (+ check if asked); list: find models only. */
  command: RunCommand;
  steps?: number;
  batchSize?: number;
  gradcheck?: GradcheckOptions | false;
  rules?: RuleOverrides;
  record?: RecordSchedule;
  /** Wall-clock limit (default 120 000 ms). */
  timeLimitMs?: number;
  /** Memory limit of the child process: its resident size, V8 heap and buffers together (default 2048 MB). */
  memoryLimitMb?: number;
}

/** A model a file exports through defineModel. */
export interface ModelEntry {
  exportName: string;
  name: string;
  location?: SourceLocation;
}

export type RunErrorKind =
  | "syntax" // esbuild could not compile the file
  | "load" // the file threw while being loaded, or an import failed
  | "invalid-model" // no defineModel export, or a malformed one
  | "not-found" // the requested export does not exist
  | "runtime" // the model threw while training or checking
  | "timeout"
  | "out-of-memory"
  | "cancelled";

export interface RunError {
  kind: RunErrorKind;
  message: string;
  /** Where in the user's source, when known. */
  location?: SourceLocation;
  /** The stack mapped to the user's source. */
  stack?: string;
  /** All compiler diagnostics, for syntax errors. */
  diagnostics?: Array<{ message: string; location?: SourceLocation }>;
  /** What the run recorded before it failed (a model that threw mid-training), when there is anything. */
  partialReport?: Report;
}

export type RunnerEvent =
  | { type: "models"; models: ModelEntry[] }
  | { type: "started"; exportName: string; name: string; totalSteps: number }
  | { type: "progress"; step: number; totalSteps: number; loss: number; accuracy?: number; layers?: Array<{ name: string; gradNorm: number }> }
  | { type: "log"; level: "info" | "warn"; text: string }
  | { type: "report"; report: Report }
  | { type: "failed"; error: RunError };

const EVENT_TYPES = new Set(["models", "started", "progress", "log", "report", "failed"]);

/** Validates a message from the child process before anyone uses it. */
export function isRunnerEvent(value: unknown): value is RunnerEvent {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.type !== "string" || !EVENT_TYPES.has(v.type)) return false;
  switch (v.type) {
    case "models":
      return Array.isArray(v.models);
    case "started":
      return typeof v.exportName === "string" && typeof v.name === "string" && typeof v.totalSteps === "number";
    case "progress":
      return typeof v.step === "number" && typeof v.totalSteps === "number" && typeof v.loss === "number";
    case "log":
      return typeof v.text === "string";
    case "report":
      return typeof v.report === "object" && v.report !== null && (v.report as { version?: unknown }).version === 1;
    case "failed":
      return typeof v.error === "object" && v.error !== null && typeof (v.error as { message?: unknown }).message === "string";
    default:
      return false;
  }
}

/** How a run ended. */
export type RunOutcome = { ok: true; report: Report } | { ok: false; error: RunError };

const COMMANDS = new Set(["check", "train", "list"]);
const optionalNumber = (v: unknown) => v === undefined || (typeof v === "number" && Number.isFinite(v) && v > 0);
const optionalObject = (v: unknown) => v === undefined || (typeof v === "object" && v !== null);

/** Validates a run request on the child's side: the parent process is trusted no more than the child. */
export function isRunRequest(value: unknown): value is RunRequest {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.file === "string" && v.file.length > 0 &&
    typeof v.command === "string" && COMMANDS.has(v.command) &&
    (v.exportName === undefined || typeof v.exportName === "string") &&
    optionalNumber(v.steps) && optionalNumber(v.batchSize) && optionalNumber(v.timeLimitMs) && optionalNumber(v.memoryLimitMb) &&
    (v.gradcheck === undefined || v.gradcheck === false || optionalObject(v.gradcheck)) &&
    optionalObject(v.rules) && optionalObject(v.record)
  );
}

/** Messages from the parent to the runner child: one `run` per process (the child exits after answering). */
export type RunnerCommand = {
  type: "run";
  request: RunRequest;
  /** Where the child loads esbuild from (a module path or name; default "esbuild"): packaging decides. */
  esbuildPath?: string;
};

/** Asks a running child to end training and answer with the steps done (the parent kills it after a grace period). */
export type RunnerStop = { type: "stop" };

export function isRunnerStop(value: unknown): value is RunnerStop {
  return typeof value === "object" && value !== null && (value as { type?: unknown }).type === "stop";
}

/** Validates a message from the parent process. */
export function isRunnerCommand(value: unknown): value is RunnerCommand {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.type === "run" && isRunRequest(v.request) && (v.esbuildPath === undefined || typeof v.esbuildPath === "string");
}
