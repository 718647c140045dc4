/**
 * The runner's child process (built to dist/runner/worker.js, started by `startRun` with `fork`).
 * It receives one `run` command over IPC, compiles and loads the user's file, finds its models, runs
 * `inspect` with progress events and answers `report` or `failed`, then exits. Isolation, limits and
 * cancellation belong to the parent: this process may be killed at any moment.
 */
import * as lens from "../index";
import { isRunnerCommand, type ModelEntry, type RunError, type RunnerCommand, type RunnerEvent, type RunRequest } from "../protocol/runner";
import type { InspectOptions } from "../instrument/types";
import type { Report, SourceLocation } from "../report";
import type { DefinedModel } from "../train/spec";
import { DEFAULT_STEPS, resolveSteps, splitData } from "../train/loop";
import { datasetSize } from "../data/dataset";
import { compileModel } from "./compile";
import { Worker } from "node:worker_threads";
import { findModels, loadBundle, noModelsError, userStack, type EngineModule } from "./load";

/** Exit codes the parent reads when no message explains the exit. */
export const WORKER_EXIT = { ok: 0, modelCalledExit: 70 } as const;

const realExit = process.exit.bind(process);
let userFiles: ReadonlySet<string> = new Set();
let finished = false;

function send(event: RunnerEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });
}

/** Sends the final message, then leaves even if the model left timers or handles open. */
async function finish(event: RunnerEvent): Promise<void> {
  if (finished) return;
  finished = true;
  await send(event);
  realExit(WORKER_EXIT.ok);
}

function runtimeError(e: unknown, during: string): RunError {
  const err = e instanceof Error ? e : new Error(String(e));
  const { stack, location } = userStack(err.stack, userFiles);
  return { kind: "runtime", message: `${during}: ${err.message}`, stack, location };
}

/**
 * A model that calls process.exit would end the run without a word; make it an error at the calling
 * line instead. The parent still reports an exit that gets past this (process.reallyExit, kill).
 */
function guardProcessExit(): void {
  process.exit = ((code?: number | string | null) => {
    throw new Error(`the model called process.exit(${code ?? ""}); a model file must not end the process (return or throw instead)`);
  }) as typeof process.exit;
}

async function run(command: RunnerCommand): Promise<void> {
  const req: RunRequest = command.request;
  const compiled = await compileModel(req.file, { esbuildPath: command.esbuildPath });
  if (!compiled.ok) return finish({ type: "failed", error: compiled.error });
  userFiles = new Set(compiled.userFiles);
  for (const w of compiled.warnings) await send({ type: "log", level: "warn", text: w });

  guardProcessExit();
  const loaded = loadBundle(req.file, compiled.code, compiled.userFiles, lens as unknown as EngineModule);
  if (!loaded.ok) return finish({ type: "failed", error: loaded.error });

  const { models, others } = findModels(loaded.exports, lens.isModelSpec);
  // Default first, then in source order (esbuild lists named exports alphabetically).
  const line = (m: (typeof models)[number]) => (m.exportName === "default" ? -1 : loaded.specLocations.get(m.spec)?.line ?? Infinity);
  models.sort((a, b) => line(a) - line(b));
  const entries: ModelEntry[] = models.map((m) => ({ exportName: m.exportName, name: String(m.spec.name), location: loaded.specLocations.get(m.spec) }));
  if (req.command === "list") return finish({ type: "models", models: entries });
  if (models.length === 0) return finish({ type: "failed", error: noModelsError(req.file, others) });

  const chosen = req.exportName === undefined ? models[0] : models.find((m) => m.exportName === req.exportName);
  if (!chosen) {
    const available = entries.map((e) => e.exportName).join(", ");
    return finish({ type: "failed", error: { kind: "not-found", message: `${req.file} has no model export "${req.exportName}"; its models: ${available}` } });
  }
  await send({ type: "models", models: entries });

  const spec = chosen.spec as unknown as DefinedModel;
  const check = req.command === "check";
  // `check` is a short recorded run plus the gradient check; `train` checks gradients only when asked.
  const specSteps = req.steps === undefined ? specStepCount(spec, req.batchSize) : req.steps;
  const steps = req.steps ?? (check ? Math.min(specSteps, CHECK_MAX_STEPS) : undefined);
  const requested = req.gradcheck ?? (check ? { mode: "sampled" as const } : false);
  const budget = requested && requested.mode === "full" ? fullModeBudget(spec) : undefined;
  const gradcheck = budget ? { ...requested, mode: "sampled" as const } : requested;
  if (budget) await send({ type: "log", level: "warn", text: budget });
  await send({ type: "started", exportName: chosen.exportName, name: String(spec.name), totalSteps: steps ?? specSteps });

  let lastSent = 0;
  const options: InspectOptions = {
    steps,
    batchSize: req.batchSize,
    record: req.record,
    rules: req.rules,
    gradcheck,
    file: req.file,
    exportName: chosen.exportName,
    onProgress: (p) => {
      // IPC is asynchronous and training is not: throttle so progress never dominates a run.
      const now = Date.now();
      if (now - lastSent < 50 && p.step + 1 < p.totalSteps) return;
      lastSent = now;
      void send({ type: "progress", step: p.step, totalSteps: p.totalSteps, loss: p.loss, accuracy: p.accuracy, layers: p.layers });
    },
  };
  let report: Report;
  try {
    report = await lens.inspect(spec, options);
  } catch (e) {
    return finish({ type: "failed", error: runtimeError(e, `${spec.name} failed`) });
  }
  fillLocations(report, req.file, chosen.exportName);
  if (budget && report.gradcheck) report.gradcheck.notes = [budget, ...(report.gradcheck.notes ?? [])];
  if (report.status && report.status.ok === false) {
    // inspect keeps the steps done, the error's message and its stack, which we map to the user's source.
    const message = report.status.error ?? "the model failed during the run";
    const mapped = userStack(report.status.stack, userFiles);
    const error: RunError = { kind: "runtime", message: `${spec.name} failed: ${message}`, partialReport: report };
    if (mapped.stack) error.stack = mapped.stack;
    if (mapped.location) error.location = mapped.location;
    return finish({ type: "failed", error });
  }
  return finish({ type: "report", report });
}

/** `check` runs at most this many steps (fewer when the spec asks for fewer). */
export const CHECK_MAX_STEPS = 20;

/**
 * `full` mode compares every parameter, two forward passes each, so its cost grows with the square of
 * the model's size (a 4.5k-parameter MLP takes about a second, a 67k one minutes). Above this many
 * parameters the runner checks a sample instead and says so in the check's notes.
 */
export const FULL_MODE_PARAMETER_BUDGET = 20_000;

/**
 * The steps the spec asks for, as the training loop will count them: `steps`, else `epochs` over the
 * training set in batches (which needs the data's size: `data()` is called once here for it), else 100.
 */
function specStepCount(spec: DefinedModel, batchSizeOverride: number | undefined): number {
  if (spec.steps !== undefined || spec.epochs === undefined) return resolveSteps(spec, 0, 1);
  try {
    const n = datasetSize(splitData(spec.data()).train);
    const batchSize = Math.max(1, Math.min(batchSizeOverride ?? spec.batchSize ?? n, n));
    return resolveSteps(spec, n, batchSize);
  } catch {
    // The run itself reports data() failing, with the user's stack; the count only labels progress.
    return DEFAULT_STEPS;
  }
}

/** When `full` mode would exceed the parameter budget: the note saying the check was sampled instead. */
function fullModeBudget(spec: DefinedModel): string | undefined {
  let parameters: number;
  try {
    parameters = spec.model().parameterCount();
  } catch {
    return undefined; // the run reports the model failing to build
  }
  if (parameters <= FULL_MODE_PARAMETER_BUDGET) return undefined;
  return (
    `full mode would compare all ${parameters.toLocaleString("en-US")} parameters (two forward passes each), more than its ` +
    `budget of ${FULL_MODE_PARAMETER_BUDGET.toLocaleString("en-US")}: sampled mode was used instead (a sample of entries per tensor; ` +
    `directional mode checks every parameter at once along random directions)`
  );
}

/** Completes what the report leaves out: the file, layer locations from the built modules, warning locations from layers. */
function fillLocations(report: Report, file: string, exportName: string): void {
  report.model.file ??= file;
  report.model.exportName ??= exportName;
  const byPath = new Map<string, SourceLocation>();
  for (const layer of report.model.layers) if (layer.location) byPath.set(layer.name, layer.location);
  for (const w of report.warnings) if (!w.location && w.layer) w.location = byPath.get(w.layer);
  for (const l of report.gradcheck?.layers ?? []) l.location ??= byPath.get(l.name);
}

process.on("uncaughtException", (e) => void finish({ type: "failed", error: runtimeError(e, "uncaught exception") }));
process.on("unhandledRejection", (e) => void finish({ type: "failed", error: runtimeError(e, "unhandled promise rejection") }));

/**
 * The parent enforces the time limit and kills us on cancel; if it dies first (a crashed extension
 * host, a killed CLI) nobody would. A watchdog thread — it runs even while the model spins in a
 * synchronous loop — kills this process once the parent is gone or the time limit has long passed.
 */
function startWatchdog(timeLimitMs: number | undefined): void {
  const source = `
    const { workerData } = require("node:worker_threads");
    const started = Date.now();
    setInterval(() => {
      const orphaned = process.ppid !== workerData.parent;
      const overdue = workerData.limit > 0 && Date.now() - started > workerData.limit;
      if (orphaned || overdue) process.kill(workerData.self, "SIGKILL");
    }, 250);
  `;
  // Twice the limit plus a margin: normally the parent's own timer ends the run with a clear message.
  const limit = timeLimitMs ? 2 * timeLimitMs + 5000 : 0;
  const watchdog = new Worker(source, { eval: true, workerData: { parent: process.ppid, self: process.pid, limit } });
  watchdog.unref();
}

process.once("message", (message: unknown) => {
  if (isRunnerCommand(message)) startWatchdog(message.request.timeLimitMs);
  if (!isRunnerCommand(message)) {
    void finish({ type: "failed", error: { kind: "load", message: `runner: malformed request ${JSON.stringify(message)?.slice(0, 200)}` } });
    return;
  }
  run(message).catch((e) => finish({ type: "failed", error: runtimeError(e, "runner") }));
});
// Without a parent there is nobody to answer: leave instead of waiting forever.
if (!process.send) {
  process.stderr.write("gradient-lens runner: start me with child_process.fork (IPC required)\n");
  realExit(2);
}
