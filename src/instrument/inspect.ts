/**
 * `inspect`: trains a spec with recording, tracks the first NaN/Inf, runs the rules and (optionally)
 * the gradient check, and returns the Report every front end reads. Errors thrown by the user's model
 * end the run but still produce a report (status.ok = false) with the steps done so far.
 */
import { observe } from "../engine";
import { layerOfError, type Module } from "../nn/module";
import { layerRole, zeroGradientReason } from "../nn/roles";
import { REPORT_VERSION, type SourceLocation, type GradcheckResult, type LayerInfo, type Report, type StepRecord } from "../report";
import { createTrainer, type TrainResult, type Trainer } from "../train/loop";
import type { ModelSpec } from "../train/spec";
import { checkGradients } from "./gradcheck";
import { NanTracker } from "./nan";
import { DEFAULT_RECORD, Recorder } from "./recorder";
import { runRules, type RuleLayer } from "./rules";
import { groupProblems } from "./problems";
import { compactReport } from "./compact";
import { ENGINE_VERSION } from "../version";
import type { GradcheckOptions, InspectOptions, ProgressInfo } from "./types";

/** A `check` run takes at most this many steps (fewer when the spec asks for fewer; an explicit `steps` wins). */
export const CHECK_MAX_STEPS = 20;

/**
 * `full` mode compares every parameter, two forward passes each, so its cost grows with the square of
 * the model's size (a 4.5k-parameter MLP takes about a second, a 67k one minutes). Above this many
 * parameters `inspect` checks a sample instead and says so in the check's notes.
 */
export const FULL_MODE_PARAMETER_BUDGET = 20_000;

/** The gradient check a run asks for: explicit options win; a `train` run checks only when asked. */
function requestedCheck(options: InspectOptions): GradcheckOptions | false {
  if (options.gradcheck !== undefined) return options.gradcheck;
  return options.purpose === "train" ? false : { mode: "sampled" };
}

/** When `full` mode on `parameters` would exceed its budget: the note saying the check was sampled instead. */
export function fullModeBudgetNote(parameters: number): string | undefined {
  if (parameters <= FULL_MODE_PARAMETER_BUDGET) return undefined;
  return (
    `full mode would compare all ${parameters.toLocaleString("en-US")} parameters (two forward passes each), more than its ` +
    `budget of ${FULL_MODE_PARAMETER_BUDGET.toLocaleString("en-US")}: sampled mode was used instead (a sample of entries per tensor; ` +
    `directional mode checks every parameter at once along random directions)`
  );
}

/** How often `inspect` yields to the event loop (so a worker can receive a cancel message), ms. */
const YIELD_EVERY_MS = 50;

/** The leaf modules of a named model: the layers a user wrote, with kind, parameter count and source line. */
export function modelLayers(model: Module): LayerInfo[] {
  const named = model.namedModules();
  const paths = named.map(([p]) => p);
  return named
    .filter(([p]) => !paths.some((q) => q !== p && (p === "" || q.startsWith(`${p}.`))))
    .map(([path, m]) => {
      const info: LayerInfo = { name: path || "model", kind: m.kind, parameters: m.ownParameters().reduce((s, [, t]) => s + t.size, 0) };
      if (m.location) info.location = m.location;
      const role = layerRole(m);
      if (role) info.role = { kind: role.role, within: role.owner.path };
      const zero = m.ownParameters().flatMap(([, t]) => {
        const reason = zeroGradientReason(t);
        return reason && t.name ? [{ name: t.name, reason }] : [];
      });
      if (zero.length) info.zeroGradient = zero;
      return info;
    });
}

/**
 * Trains `spec` with per-layer recording and returns the report (version 1).
 * Steps and batch size default to the spec's; recording defaults to every step; the gradient check
 * defaults to `sampled` on the freshly initialized model, on the run's batch size of rows (pass
 * `gradcheck: false` to skip it). A check that throws is reported with status "inconclusive".
 */
export async function inspect(spec: ModelSpec, options: InspectOptions = {}): Promise<Report> {
  const started = performance.now();
  const nan = options.nanTracking === false ? null : new NanTracker();
  let recorder: Recorder | null = null;
  let detachRecorder: (() => void) | null = null;
  let trainer: Trainer | null = null;
  let result: TrainResult | null = null;
  let error: string | undefined;
  let errorStack: string | undefined;
  let errorLocation: SourceLocation | undefined;
  const report: Report = {
    version: REPORT_VERSION,
    model: { name: spec.name, parameters: 0, layers: [] },
    steps: [],
    warnings: [],
    engine: { version: ENGINE_VERSION },
  };
  if (options.file) report.model.file = options.file;
  if (options.exportName) report.model.exportName = options.exportName;
  let check = requestedCheck(options);
  const checkNotes: string[] = [];

  try {
    // The NaN tracker watches the build too (an init that overflows); the recorder needs the built model.
    nan?.start();
    trainer = createTrainer(spec, {
      steps: options.steps,
      maxSteps: options.purpose === "check" && options.steps === undefined ? CHECK_MAX_STEPS : undefined,
      batchSize: options.batchSize,
      shouldStop: () => (options.shouldStop?.() ?? false) || !!nan?.origin,
    });
    const run = trainer;
    const model = run.model;
    const rec = (recorder = new Recorder(options.record ?? DEFAULT_RECORD, run.result().totalSteps));
    rec.attach(model, model.namedParameters());
    detachRecorder = observe(rec);
    report.model.parameters = model.parameterCount();
    report.model.layers = modelLayers(model);
    const budget = check && check.mode === "full" ? fullModeBudgetNote(report.model.parameters) : undefined;
    if (check && budget) {
      check = { ...check, mode: "sampled" };
      checkNotes.push(budget);
    }
    options.onStart?.({ totalSteps: run.result().totalSteps, parameters: report.model.parameters, notes: [...checkNotes] });
    let lastYield = performance.now();
    let reported = 0;
    const emit = () => {
      const r = run.result();
      for (; reported < r.losses.length; reported++) {
        const info: ProgressInfo = { step: reported, totalSteps: r.totalSteps, loss: r.losses[reported] };
        if (r.accuracies) info.accuracy = r.accuracies[reported];
        const layers = rec.stats.get(reported);
        // Live gradient-flow charts show the layers with parameters, as the finished report's does.
        if (layers) info.layers = layers.filter((l) => l.gradSource !== "output").map((l) => ({ name: l.name, gradNorm: l.gradNorm }));
        options.onProgress?.(info);
      }
    };
    for (;;) {
      let more: boolean;
      try {
        more = run.next();
      } finally {
        emit();
      }
      if (!more) break;
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
    }
    result = run.result();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    if (e instanceof Error && e.stack) errorStack = e.stack;
    errorLocation = layerOfError(e)?.location;
    result = trainer?.result() ?? null;
  } finally {
    nan?.stop();
    detachRecorder?.();
    recorder?.stop();
  }

  const rec = recorder;
  const steps: StepRecord[] = (result?.losses ?? []).map((loss, step) => {
    const s: StepRecord = { step, loss, layers: rec?.stats.get(step) ?? [] };
    if (result?.accuracies) s.accuracy = result.accuracies[step];
    if (result?.gradClip?.[step]) s.gradClip = result.gradClip[step];
    return s;
  });
  rec?.taps.fill(steps);
  if (rec?.taps.series.size) report.model.timeSeries = rec.taps.timeSeries();
  report.steps = steps;
  if (result?.validation) report.validation = result.validation;

  let gradcheck: GradcheckResult | undefined;
  // A run its caller stopped (time limit, Ctrl-C) reports what it has without starting the check.
  const stoppedByCaller = options.shouldStop?.() ?? false;
  if (check !== false && !error && !stoppedByCaller) {
    // Checked on as many rows as the run trains on (its batch size, capped by the data): a model that
    // reshapes to a fixed batch would throw on any other row count.
    const gcOptions = { ...check };
    if (gcOptions.batchSize === undefined && result?.batchSize) gcOptions.batchSize = result.batchSize;
    try {
      gradcheck = checkGradients(spec, gcOptions);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // Nothing was compared: inconclusive, not a failure of the backward rules.
      gradcheck = {
        mode: gcOptions.mode ?? "sampled", eps: gcOptions.eps ?? 1e-6, passed: false, status: "inconclusive", layers: [],
        notes: [`the check could not run (inconclusive): ${msg}`],
      };
    }
    if (checkNotes.length) gradcheck.notes = [...checkNotes, ...(gradcheck.notes ?? [])];
    report.gradcheck = gradcheck;
  }

  const roles = new Map(report.model.layers.flatMap((l) => (l.role ? [[l.name, l.role] as const] : [])));
  const layers: RuleLayer[] = (rec?.layers ?? []).map((l) => {
    const r: RuleLayer = { name: l.name, kind: l.kind, hasParams: l.params.length > 0 };
    if (l.activation) r.activation = l.activation;
    if (l.module.location) r.location = l.module.location;
    const role = roles.get(l.name);
    if (role) r.role = role;
    return r;
  });
  report.warnings = runRules({ steps, layers, nanOrigin: nan?.origin ?? null, gradcheck, batchSize: result?.batchSize, timeSeries: report.model.timeSeries }, spec.rules, options.rules);
  report.problems = groupProblems(report.warnings, report.model.layers.map((l) => l.name));

  const recordedCount = rec ? steps.filter((s) => s.layers.length).length : 0;
  if (rec && result && recordedCount) {
    const { stepMs } = result;
    const recordedMs = steps.filter((s) => s.layers.length).reduce((sum, s) => sum + (stepMs[s.step] ?? 0), 0);
    report.timing = {
      stepMsMean: recordedMs / recordedCount,
      recordMsMean: rec.recordMs / recordedCount,
      overhead: rec.recordMs / Math.max(1e-9, recordedMs - rec.recordMs),
      recordedSteps: recordedCount,
    };
  }
  report.status = {
    ok: !error,
    durationMs: performance.now() - started,
    steps: result?.steps ?? 0,
    totalSteps: result?.totalSteps ?? 0,
    // A NaN made by an optimizer update stops training through shouldStop: it is a non-finite run, not a user's stop.
    reason: error ? "error" : nan?.origin && result?.reason === "stopped" && !options.shouldStop?.() ? "non-finite-loss" : result?.reason ?? "completed",
  };
  if (error) report.status.error = error;
  if (errorStack) report.status.stack = errorStack;
  if (errorLocation) report.status.location = errorLocation;
  return compactReport(report);
}
