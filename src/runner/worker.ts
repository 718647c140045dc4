/**
 * The runner's child process (built to dist/runner/worker.js, started by `startRun` with `fork`).
 * It receives one `run` command over IPC, compiles and loads the user's file, finds its models, runs
 * `inspect` with progress events and answers `report` or `failed`, then exits. Isolation, limits and
 * cancellation belong to the parent: this process may be killed at any moment.
 */
import * as lens from "../index";
import { isRunnerCommand, isRunnerStop, type ModelEntry, type RunError, type RunnerCommand, type RunnerEvent, type RunRequest } from "../protocol/runner";
import type { InspectOptions } from "../instrument/types";
import type { Report, SourceLocation } from "../report";
import type { DefinedModel } from "../train/spec";
import { compileModel } from "./compile";
import { Worker } from "node:worker_threads";
import { findModels, loadBundle, noModelsError, userStack, type EngineModule } from "./load";

/** Exit codes the parent reads when no message explains the exit. */
export const WORKER_EXIT = { ok: 0, modelCalledExit: 70 } as const;

const realExit = process.exit.bind(process);
let userFiles: ReadonlySet<string> = new Set();
let finished = false;
/** Set by the parent's `stop` command (time limit, Ctrl-C): inspect ends training and reports the steps done. */
let stopRequested = false;

function send(event: RunnerEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });
}

/** One turn of the event loop: a promise rejected without a handler is reported by then. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves once everything written to `stream` so far has been handed to the OS. */
const drained = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));

/**
 * Sends the final message, then leaves even if the model left timers or handles open. A success waits
 * one turn first, so a rejection the model left unhandled fails the run every time rather than only
 * when the run happened to be long; the model's console output is flushed before the exit.
 */
async function finish(event: RunnerEvent): Promise<void> {
  if (finished) return;
  if (event.type !== "failed") await nextTurn();
  if (finished) return;
  finished = true;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
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
  await nextTurn(); // a top-level promise rejected while loading fails the run before training starts
  if (finished) return;

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
  // What a check run is (its step cap, the full check's budget) is inspect's policy: it builds the run
  // once and says how many steps it will take through onStart.
  let lastSent = 0;
  const options: InspectOptions = {
    purpose: req.command,
    steps: req.steps,
    batchSize: req.batchSize,
    record: req.record,
    rules: req.rules,
    gradcheck: req.gradcheck,
    file: req.file,
    exportName: chosen.exportName,
    shouldStop: () => stopRequested,
    onStart: (info) => {
      for (const note of info.notes) void send({ type: "log", level: "warn", text: note });
      void send({ type: "started", exportName: chosen.exportName, name: String(spec.name), totalSteps: info.totalSteps });
    },
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
    // A broken contract (data rows, labels, a non-scalar loss) is the spec's fault: name its defineModel line.
    const contract = report.status.stack?.startsWith("ModelContractError") ?? false;
    const error: RunError = contract
      ? { kind: "invalid-model", message: `invalid model: ${message}`, partialReport: report }
      : { kind: "runtime", message: `${spec.name} failed: ${message}`, partialReport: report };
    if (mapped.stack && !contract) error.stack = mapped.stack;
    // The first user frame; else the layer that threw (built on the user's line); else the defineModel line.
    const location = (contract ? undefined : mapped.location ?? report.status.location) ?? loaded.specLocations.get(chosen.spec);
    if (location) error.location = location;
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

// Ctrl-C in a terminal signals the whole process group, this child included: it is a request to stop
// (the parent decides, and kills after its grace period), not a reason to die without a report.
process.on("SIGINT", () => void (stopRequested = true));
process.on("SIGTERM", () => void (stopRequested = true));

let started = false;
process.on("message", (message: unknown) => {
  if (isRunnerStop(message)) {
    stopRequested = true;
    return;
  }
  if (started) return;
  started = true;
  if (!isRunnerCommand(message)) {
    void finish({ type: "failed", error: { kind: "load", message: `runner: malformed request ${JSON.stringify(message)?.slice(0, 200)}` } });
    return;
  }
  startWatchdog(message.request.timeLimitMs);
  run(message).catch((e) => finish({ type: "failed", error: runtimeError(e, "runner") }));
});
// Without a parent there is nobody to answer: leave instead of waiting forever.
if (!process.send) {
  process.stderr.write("gradient-lens runner: start me with child_process.fork (IPC required)\n");
  realExit(2);
}
