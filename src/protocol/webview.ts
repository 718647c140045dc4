/**
 * Messages between the extension host and its webviews (the report panel and the side view).
 * One typed module imported by both sides (after GitLens' `webviews/protocol.ts`): every message that
 * crosses the boundary is checked with an `is…` guard before use, in both directions. Imports only types.
 */
import type { Report, SourceLocation } from "../report";
import type { RunError, RunKind } from "./runner";

export type { RunKind } from "./runner";

/** A model a workspace file exports through `defineModel`, found statically. */
export interface ModelRef {
  /** Absolute path of the model file. */
  file: string;
  /** "default" or a named export; undefined = the file's first model. */
  exportName?: string;
  /** The spec's `name`, when written as a string literal. */
  name: string;
  /** 1-based line of the `defineModel` call. */
  line?: number;
}

export type RunPhase = "running" | "done" | "failed" | "cancelled";

/** One progress point of a run: the loss every step, per-layer gradient norms on recorded steps. */
export interface ProgressPoint {
  step: number;
  loss: number;
  accuracy?: number;
  layers?: Array<{ name: string; gradNorm: number }>;
}

/** Everything a webview needs to draw a run, live or finished; also what a webview persists in its state. */
export interface RunSnapshot {
  runId: number;
  command: RunKind;
  model: ModelRef;
  phase: RunPhase;
  totalSteps: number;
  progress: ProgressPoint[];
  report?: Report;
  error?: RunError;
  startedAt: number;
  endedAt?: number;
}

// ── host → webview ────────────────────────────────────────────────────────────────────────────

export type HostMessage =
  /** Replace everything shown (on open, on a new run, at the end of a run). */
  | { type: "snapshot"; snapshot: RunSnapshot | null }
  /** Append one progress point to the run being shown. */
  | { type: "progress"; runId: number; point: ProgressPoint }
  /** The side view's list of workspace models. */
  | { type: "models"; models: ModelRef[]; scanning: boolean }
  /** The answer to a webview request (`requestId` is the request's). */
  | { type: "response"; requestId: number; outcome: Outcome }
  /** Overlay run `b` on run `a` in the report panel ("Compare with…"). */
  | { type: "compare"; a: ComparedRun; b: ComparedRun };

/**
 * How the host answered a request: done (a query's answer carries what was asked in `result`); the
 * user dismissed a dialog it opened (nothing to show); or refused, with a reason the webview shows to
 * the user (a run of an unknown file, an untrusted workspace, nothing to export, a file that could not
 * be opened…).
 */
export type Outcome = { status: "ok"; result?: QueryResult } | { status: "cancelled" } | { status: "refused"; reason: string };

export const OK: Outcome = { status: "ok" };
export const CANCELLED: Outcome = { status: "cancelled" };
/**
 * A refusal with `reason` abridged to MAX_TEXT (a reason quoting an error or a path can be longer, and
 * the webview drops a response whose reason is over the bound: its request would never be answered)
 * and never empty.
 */
export const refuse = (reason: string): Outcome => ({
  status: "refused",
  reason: reason.length > MAX_TEXT ? `${reason.slice(0, MAX_TEXT - 1)}…` : reason || "Refused.",
});

export function isOutcome(v: unknown): v is Outcome {
  if (!isObject(v)) return false;
  if (v.status === "ok") return v.result === undefined || isQueryResult(v.result);
  if (v.status === "cancelled") return true;
  return v.status === "refused" && isBoundedString(v.reason, MAX_TEXT);
}

export function isModelRef(v: unknown): v is ModelRef {
  if (!isObject(v)) return false;
  return (
    isModelPath(v.file) &&
    typeof v.name === "string" && v.name.length <= MAX_NAME && !v.name.includes("\u0000") &&
    (v.exportName === undefined || isBoundedString(v.exportName, MAX_NAME)) &&
    (v.line === undefined || isLineNumber(v.line))
  );
}

export function isProgressPoint(v: unknown): v is ProgressPoint {
  if (!isObject(v)) return false;
  if (typeof v.step !== "number" || typeof v.loss !== "number") return false;
  if (v.accuracy !== undefined && typeof v.accuracy !== "number") return false;
  if (v.layers !== undefined) {
    if (!Array.isArray(v.layers)) return false;
    for (const l of v.layers) if (!isObject(l) || typeof l.name !== "string" || typeof l.gradNorm !== "number") return false;
  }
  return true;
}

const PHASES = new Set<string>(["running", "done", "failed", "cancelled"]);

export function isRunKind(v: unknown): v is RunKind {
  return v === "check" || v === "train";
}

export function isRunSnapshot(v: unknown): v is RunSnapshot {
  if (!isObject(v)) return false;
  return (
    typeof v.runId === "number" &&
    isRunKind(v.command) &&
    isModelRef(v.model) &&
    typeof v.phase === "string" &&
    PHASES.has(v.phase) &&
    typeof v.totalSteps === "number" &&
    Array.isArray(v.progress) &&
    v.progress.every(isProgressPoint) &&
    (v.report === undefined || isReportLike(v.report)) &&
    (v.error === undefined || (isObject(v.error) && typeof v.error.message === "string")) &&
    typeof v.startedAt === "number"
  );
}

/** Shallow check of the parts of a report the webviews index into. */
export function isReportLike(v: unknown): v is Report {
  if (!isObject(v) || v.version !== 1) return false;
  const m = v.model;
  return isObject(m) && typeof m.name === "string" && Array.isArray(m.layers) && Array.isArray(v.steps) && Array.isArray(v.warnings);
}

export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObject(v)) return false;
  switch (v.type) {
    case "snapshot":
      return v.snapshot === null || isRunSnapshot(v.snapshot);
    case "progress":
      return typeof v.runId === "number" && isProgressPoint(v.point);
    case "models":
      return Array.isArray(v.models) && v.models.every(isModelRef) && typeof v.scanning === "boolean";
    case "response":
      return isRequestId(v.requestId) && isOutcome(v.outcome);
    case "compare":
      return isComparedRun(v.a) && isComparedRun(v.b);
    default:
      return false;
  }
}

// ── webview → host ────────────────────────────────────────────────────────────────────────────

export type ExportFormat = "json" | "csv";

/** Tells the host something; no answer. */
export type WebviewNotification =
  /** The webview's script has loaded and listens: send it the current state. */
  { type: "ready" };

/** Asks the host to act; the host answers each with a `response` carrying the request's `requestId`. */
export type WebviewRequest =
  /** Open the source line (a warning's or a layer's location). The host only opens files it knows. */
  | { type: "reveal"; location: SourceLocation }
  /** Run a model (the one shown, or the one under the cursor, when `model` is absent). */
  | { type: "run"; command: RunKind; model?: ModelRef }
  | { type: "stop" }
  | { type: "openReport" }
  | { type: "export"; format: ExportFormat }
  /** Open a model file from the side view's list. */
  | { type: "openModel"; model: ModelRef }
  /** The side view's empty state: create a model file from a template, or open an example. */
  | { type: "newModelFile" }
  | { type: "openExample" }
  /** Queries, answered with a `result` (src/extension/compareCommand.ts): the runs kept in history, and one of them to overlay. */
  | { type: "listRuns" }
  | { type: "loadRun"; id: string };

export type WebviewMessage = WebviewNotification | (WebviewRequest & { requestId: number });

// What the validator admits is what the host can use: absolute TypeScript paths without control
// characters, short names, and line/column numbers an editor can show. Anything else is refused
// before the host looks at it (defence in depth: the host's own checks follow).
/** Longest path accepted (PATH_MAX on Linux). */
export const MAX_PATH = 4096;
/** Longest model name or export name accepted. */
export const MAX_NAME = 512;
/** Longest reason text in a response. */
export const MAX_TEXT = 2000;
/** Largest 1-based line or column accepted (VS Code's own limit on a line's length is far lower). */
export const MAX_LINE = 10_000_000;

/** An absolute path (POSIX, `C:\…` or `\\server\…`) to a `.ts`, `.mts` or `.cts` file, bounded, without control characters. */
export function isModelPath(v: unknown): v is string {
  return isAbsolutePath(v, /\.[cm]?ts$/i);
}

/**
 * An absolute path to a JavaScript or TypeScript source file: a model runs only from a `.ts` file, but
 * the layers it builds may come from a `.js`/`.mjs`/`.tsx` module it imports, and their lines must open.
 */
export function isSourcePath(v: unknown): v is string {
  return isAbsolutePath(v, /\.[cm]?[jt]sx?$/i);
}

/** Bounded, without control characters, absolute (POSIX, `C:\…` or `\\server\…`), its name matching `extension`. */
function isAbsolutePath(v: unknown, extension: RegExp): v is string {
  if (!isBoundedString(v, MAX_PATH) || /[\u0000-\u001f\u007f]/.test(v)) return false;
  const absolute = v.startsWith("/") || /^[A-Za-z]:[\\/]/.test(v) || v.startsWith("\\\\");
  return absolute && extension.test(v);
}

export function isSourceLocation(v: unknown): v is SourceLocation {
  return isObject(v) && isSourcePath(v.file) && isLineNumber(v.line) && isLineNumber(v.column);
}

/** A model name the protocol carries: longer ones are cut to MAX_NAME, ending in "…". */
export function abridgeName(name: string): string {
  return name.length <= MAX_NAME ? name : `${name.slice(0, MAX_NAME - 1)}…`;
}

export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (!isObject(v)) return false;
  if (v.type === "ready") return true;
  return isRequestId(v.requestId) && isWebviewRequest(v);
}

function isWebviewRequest(v: Record<string, unknown>): boolean {
  switch (v.type) {
    case "stop":
    case "openReport":
    case "newModelFile":
    case "openExample":
      return true;
    case "reveal":
      return isSourceLocation(v.location);
    case "run":
      return isRunKind(v.command) && (v.model === undefined || isModelRef(v.model));
    case "export":
      return v.format === "json" || v.format === "csv";
    case "openModel":
      return isModelRef(v.model);
    case "listRuns":
      return true;
    case "loadRun":
      return isRunId(v.id);
    default:
      return false;
  }
}

/**
 * A one-line description of a refused message for the log: its type and keys, abridged; never its
 * content (a hostile page could post megabytes).
 */
export function describeRefused(v: unknown): string {
  if (!isObject(v)) return Array.isArray(v) ? "an array" : v === null ? "null" : `a ${typeof v}`;
  const type = typeof v.type === "string" ? JSON.stringify(abridge(v.type, 40)) : "none";
  const keys = Object.keys(v);
  const shown = keys.slice(0, 6).map((k) => abridge(k, 24)).join(", ");
  return `type ${type}, keys ${shown}${keys.length > 6 ? `, … (${keys.length} in all)` : ""}`;
}

function abridge(s: string, max: number): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function isRequestId(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function isBoundedString(v: unknown, max: number): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= max && !v.includes("\u0000");
}

function isLineNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_LINE;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ── comparing runs ────────────────────────────────────────────────────────────────────────────

/** Why a run's training ended, as its report's `status.reason` says. */
export type RunEndReason = NonNullable<NonNullable<Report["status"]>["reason"]>;

const END_REASONS = new Set<string>(["completed", "stopped", "non-finite-loss", "error", "timeout", "cancelled"] satisfies RunEndReason[]);

/**
 * One run kept in a model's history (src/extension/runHistory.ts), as a picker lists it: no report.
 * Stopped and failed runs are kept too when they recorded steps: `phase` and `reason` say how it ended.
 */
export interface RunEntry {
  /** Opaque: "<model folder>/<run stem>", both from the host's own naming (RUN_ID). */
  id: string;
  model: ModelRef;
  command: RunKind;
  phase: RunPhase;
  startedAt: number;
  endedAt?: number;
  /** Steps the report holds (the loss is recorded every step). */
  steps: number;
  /** Warnings and errors in the report (info-level findings are `notes`). */
  warnings: number;
  /** Info-level findings, when there are any. */
  notes?: number;
  /** The report's `status.reason`, when it has one. */
  reason?: RunEndReason;
  /** Steps the run was asked for (the report's `status.totalSteps`), when known. */
  totalSteps?: number;
}

/** A run the overlay shows: whose it is, when it ran (or when its file was written), its report. */
export interface ComparedRun {
  /** The model's name. */
  name: string;
  /** Milliseconds since the epoch. */
  date: number;
  source: "history" | "file" | "current";
  report: Report;
}

/** What the `ok` outcome of a query carries. */
export type QueryResult =
  | { kind: "runs"; runs: RunEntry[] }
  | { kind: "run"; run: ComparedRun };

/** A history run's id: two names of letters, digits, `.`, `_`, `-` (no `..`: never a path out of the history folder). */
export const RUN_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

export function isRunId(v: unknown): v is string {
  return typeof v === "string" && RUN_ID.test(v) && !v.includes("..");
}

export function isRunEntry(v: unknown): v is RunEntry {
  if (!isObject(v)) return false;
  return (
    isRunId(v.id) &&
    isModelRef(v.model) &&
    isRunKind(v.command) &&
    typeof v.phase === "string" && PHASES.has(v.phase) &&
    isTime(v.startedAt) &&
    (v.endedAt === undefined || isTime(v.endedAt)) &&
    isCount(v.steps) &&
    isCount(v.warnings) &&
    (v.notes === undefined || isCount(v.notes)) &&
    (v.reason === undefined || (typeof v.reason === "string" && END_REASONS.has(v.reason))) &&
    (v.totalSteps === undefined || isCount(v.totalSteps))
  );
}

export function isComparedRun(v: unknown): v is ComparedRun {
  if (!isObject(v)) return false;
  return (
    typeof v.name === "string" && v.name.length <= MAX_NAME && !v.name.includes("\u0000") &&
    isTime(v.date) &&
    (v.source === "history" || v.source === "file" || v.source === "current") &&
    isReportLike(v.report)
  );
}

export function isQueryResult(v: unknown): v is QueryResult {
  if (!isObject(v)) return false;
  if (v.kind === "runs") return Array.isArray(v.runs) && v.runs.every(isRunEntry);
  if (v.kind === "run") return isComparedRun(v.run);
  return false;
}

function isTime(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
