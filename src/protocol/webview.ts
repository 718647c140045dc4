/**
 * Messages between the extension host and its webviews (the report panel and the side view).
 * One typed module imported by both sides (after GitLens' `webviews/protocol.ts`): every message that
 * crosses the boundary is checked with an `is…` guard before use, in both directions. Imports only types.
 */
import type { Report, SourceLocation } from "../report";
import type { RunError, RunCommand } from "./runner";

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
  command: Exclude<RunCommand, "list">;
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
  | { type: "models"; models: ModelRef[]; scanning: boolean };

export function isModelRef(v: unknown): v is ModelRef {
  if (!isObject(v)) return false;
  return (
    typeof v.file === "string" &&
    v.file.length > 0 &&
    typeof v.name === "string" &&
    (v.exportName === undefined || typeof v.exportName === "string") &&
    (v.line === undefined || isPositiveInt(v.line))
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

export function isRunSnapshot(v: unknown): v is RunSnapshot {
  if (!isObject(v)) return false;
  return (
    typeof v.runId === "number" &&
    (v.command === "check" || v.command === "train") &&
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
    default:
      return false;
  }
}

// ── webview → host ────────────────────────────────────────────────────────────────────────────

export type ExportFormat = "json" | "csv";

export type WebviewMessage =
  /** The webview's script has loaded and listens: send it the current state. */
  | { type: "ready" }
  /** Open the source line (a warning's or a layer's location). The host only opens files it knows. */
  | { type: "reveal"; location: SourceLocation }
  /** Run a model (the one shown, or the one under the cursor, when `model` is absent). */
  | { type: "run"; command: "check" | "train"; model?: ModelRef }
  | { type: "stop" }
  | { type: "openReport" }
  | { type: "export"; format: ExportFormat }
  /** Open a model file from the side view's list. */
  | { type: "openModel"; model: ModelRef }
  /** The side view's empty state: create a model file from a template, or open an example. */
  | { type: "newModelFile" }
  | { type: "openExample" };

export function isSourceLocation(v: unknown): v is SourceLocation {
  return isObject(v) && typeof v.file === "string" && v.file.length > 0 && isPositiveInt(v.line) && isPositiveInt(v.column);
}

export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (!isObject(v)) return false;
  switch (v.type) {
    case "ready":
    case "stop":
    case "openReport":
    case "newModelFile":
    case "openExample":
      return true;
    case "reveal":
      return isSourceLocation(v.location);
    case "run":
      return (v.command === "check" || v.command === "train") && (v.model === undefined || isModelRef(v.model));
    case "export":
      return v.format === "json" || v.format === "csv";
    case "openModel":
      return isModelRef(v.model);
    default:
      return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1;
}
