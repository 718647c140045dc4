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
import { compileModel } from "./compile";
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
  const specSteps = spec.steps ?? 100;
  const check = req.command === "check";
  // `check` is a short recorded run plus the gradient check; `train` checks gradients only when asked.
  const steps = req.steps ?? (check ? Math.min(specSteps, 20) : undefined);
  const gradcheck = req.gradcheck ?? (check ? { mode: "sampled" as const } : false);
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

process.once("message", (message: unknown) => {
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
