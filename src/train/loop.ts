/**
 * The training loop every front end runs: seeded build, seeded per-epoch shuffling, minibatches (the
 * last partial batch kept), augmentation in training only, lr schedules, loss + regularizer, backward,
 * optimizer step. It reports each step to the observers (`beforeStep`, `afterBackward`, `afterStep`; the
 * ops, modules and optimizer report their own events); the loop itself knows nothing about statistics
 * or rules, so it stays the same loop a user would write by hand.
 */
import { manualSeed, noGrad, observe, ops, Random, report, type Observer, type StepEvent, type Tensor } from "../engine";
import type { Module } from "../nn";
import { binaryCrossEntropyWithLogits, softmaxCrossEntropy } from "../nn/losses";
import { clipGradNorm, stepReporting, type Optimizer } from "../optim";
import { batches, datasetSize, type Dataset, type SplitDataset } from "../data";
import { checkFirstForward, checkFirstLoss, checkSpecData, checkSpecModel, checkSpecOptimizer, type ModelSpec } from "./spec";

/** Default number of steps when a spec gives neither `steps` nor `epochs` (ModelSpec documents 100). */
export const DEFAULT_STEPS = 100;

/** What an observer's step events carry from this loop. Tensors are live: read them, do not keep them past the event. */
export interface StepContext extends StepEvent {
  /** 0-based step index. */
  step: number;
  totalSteps: number;
  epoch: number;
  model: Module;
  optimizer: Optimizer;
  /** The (augmented) training batch of this step. */
  batch: Dataset;
  /** The learning rate used for this step (after the schedule). */
  lr: number;
  /** Set from afterBackward on: the step's total loss (data loss + regularizer). */
  loss: number;
  /** The data loss without the regularizer. */
  dataLoss: number;
  /** Classification only: fraction of the batch predicted correctly. */
  accuracy?: number;
  /** Parameters in `model.namedParameters()` order. */
  params: ReadonlyArray<readonly [string, Tensor]>;
}

/** @deprecated The loop's `afterStep` carries a `StepContext`; updates arrive as `update` events (‖Δw‖², ‖w‖²). */
export type AfterStepContext = StepContext;

/** @deprecated An observer of this loop's steps: `Observer<StepContext>` (pass it in `TrainOptions.observers`). */
export type TrainHooks = Observer<StepContext>;

export type Task = "classification" | "regression";

export interface TrainOptions {
  /** Overrides the spec's step count (and epochs). */
  steps?: number;
  /** Caps the step count the spec (or `steps`) asks for. */
  maxSteps?: number;
  /** Overrides the spec's batch size. */
  batchSize?: number;
  /**
   * Observers attached while this run's steps run (detached between steps and when it ends): they see
   * the run's step events with its `StepContext`, and every op, module and update event inside a step.
   */
  observers?: ReadonlyArray<Observer<StepContext>>;
  /** @deprecated One more entry of `observers`. */
  hooks?: TrainHooks;
  /** Polled before each step; true stops training (the result covers the steps done). */
  shouldStop?: () => boolean;
}

export type StopReason = "completed" | "stopped" | "non-finite-loss";

export interface TrainResult {
  model: Module;
  optimizer: Optimizer;
  task: Task;
  /** Loss of every step run, in order. */
  losses: number[];
  /** Accuracy of every step (classification only). */
  accuracies?: number[];
  /** With `clipGradNorm` in the spec: each step's total gradient norm before clipping, and whether clipping scaled it. */
  gradClip?: Array<{ totalNorm: number; clipped: boolean }>;
  /** Steps actually run. */
  steps: number;
  totalSteps: number;
  reason: StopReason;
  /** Loss and accuracy on the validation split in eval mode, when the data has one and training completed. */
  validation?: { loss: number; accuracy?: number };
  /** Wall time of each step (forward, backward, hooks, optimizer), milliseconds. */
  stepMs: number[];
  /** The minibatch size used (the last batch of an epoch may be smaller). */
  batchSize: number;
}

/** Splits `Dataset | SplitDataset` into its training and validation parts. */
export function splitData(d: Dataset | SplitDataset): { train: Dataset; validation?: Dataset } {
  if ("train" in d && d.train) return { train: d.train, validation: d.validation };
  return { train: d as Dataset };
}

/** "classification" for losses whose targets are classes (softmaxCrossEntropy, BCE with logits), else "regression". */
export function inferTask(spec: Pick<ModelSpec, "task" | "loss">): Task {
  if (spec.task) return spec.task;
  return spec.loss === softmaxCrossEntropy || spec.loss === binaryCrossEntropyWithLogits ? "classification" : "regression";
}

/** The number of steps a spec asks for, given the training-set size and batch size. */
export function resolveSteps(spec: ModelSpec, n: number, batchSize: number, override?: number): number {
  if (override !== undefined) return Math.max(0, Math.floor(override));
  if (spec.steps !== undefined) return Math.max(0, Math.floor(spec.steps));
  if (spec.epochs !== undefined) return Math.max(0, Math.floor(spec.epochs)) * Math.ceil(n / Math.max(1, Math.min(batchSize, n)));
  return DEFAULT_STEPS;
}

/**
 * Fraction correct: argmax over classes for [N, C>1] logits against integer labels; for one output
 * per example (BCE with logits) the prediction is logit > 0 against target > 0.5.
 */
export function accuracyOf(prediction: Tensor, target: Tensor): number {
  const p = prediction.data;
  const t = target.data;
  const n = prediction.shape[0] ?? 1;
  const c = prediction.size / Math.max(1, n);
  let correct = 0;
  if (c > 1 && target.size === n) {
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (p[r * c + j] > p[r * c + best]) best = j;
      if (best === t[r]) correct++;
    }
    return correct / n;
  }
  for (let i = 0; i < p.length; i++) if (p[i] > 0 === t[i] > 0.5) correct++;
  return correct / Math.max(1, p.length);
}

/**
 * Builds everything a run needs, seeded: the global generator is reset from `spec.seed` before the
 * model and the data are built, so the same spec gives the same initial weights and data every time.
 * `namedModules()` is called once so every module knows its path before the first forward.
 */
export function buildRun(spec: ModelSpec): { model: Module; optimizer: Optimizer; train: Dataset; validation?: Dataset; task: Task } {
  manualSeed(spec.seed ?? 0);
  const model = spec.model();
  checkSpecModel(spec, model);
  model.namedModules();
  const raw = spec.data();
  checkSpecData(spec, raw);
  const { train, validation } = splitData(raw);
  const optimizer = spec.optimizer(model.parameters());
  checkSpecOptimizer(spec, optimizer);
  return { model, optimizer, train, validation, task: inferTask(spec) };
}

/**
 * Trains `spec` synchronously. A non-finite loss stops training at that step (reason
 * "non-finite-loss") instead of stepping the optimizer with NaN gradients; errors thrown by the
 * user's model propagate. `createTrainer` is the same loop one step at a time (for callers that must
 * yield to an event loop between steps).
 */
export function train(spec: ModelSpec, options: TrainOptions = {}): TrainResult {
  const trainer = createTrainer(spec, options);
  while (trainer.next()) { /* one step per call */ }
  return trainer.result();
}

export interface Trainer {
  /** Runs one step; false once training is over (completed, stopped or non-finite). */
  next(): boolean;
  result(): TrainResult;
  readonly model: Module;
}

export function createTrainer(spec: ModelSpec, options: TrainOptions = {}): Trainer {
  const { model, optimizer, train: trainSet, validation, task } = buildRun(spec);
  const observers = [...(options.observers ?? []), ...(options.hooks ? [options.hooks] : [])];
  const n = datasetSize(trainSet);
  if (n === 0) throw new Error(`${spec.name}: the training set is empty`);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? spec.batchSize ?? n, n));
  const totalSteps = Math.min(resolveSteps(spec, n, batchSize, options.steps), options.maxSteps ?? Infinity);
  const params = model.namedParameters().map(([name, p]) => [name, p] as const);
  // Shuffling draws from its own stream, derived from the seed after init: adding a layer changes the
  // weights but not the order of the batches, and vice versa.
  const shuffleRng = new Random(((spec.seed ?? 0) ^ 0x5eed_1e55) >>> 0);
  const losses: number[] = [];
  const gradClip = spec.clipGradNorm !== undefined ? [] as Array<{ totalNorm: number; clipped: boolean }> : undefined;
  const accuracies: number[] | undefined = task === "classification" ? [] : undefined;
  const stepMs: number[] = [];
  let epoch = -1;
  let iterator: Iterator<Dataset> | null = null;
  let step = 0;
  let reason: StopReason = "completed";
  let done = totalSteps === 0;
  let validationResult: TrainResult["validation"];

  const nextBatch = (): Dataset => {
    for (;;) {
      if (iterator) {
        const r = iterator.next();
        if (!r.done) return r.value;
      }
      epoch++;
      iterator = batches(trainSet, { batchSize, shuffle: spec.shuffle ?? true, rng: shuffleRng });
    }
  };

  const finish = () => {
    done = true;
    if (reason === "completed" && validation) validationResult = evaluate(spec, model, validation, task);
  };

  const runStep = (): void => {
    const t0 = performance.now();
    model.train(true);
    let batch = nextBatch();
    if (spec.augment) batch = spec.augment(batch, step);
    if (spec.schedule) optimizer.lr = spec.schedule(step);
    const ctx: StepContext = {
      step, totalSteps, epoch, model, optimizer, batch, lr: optimizer.lr, loss: NaN, dataLoss: NaN, params,
    };
    report.beforeStep(ctx);
    const prediction = model.call(batch.x);
    if (step === 0) checkFirstForward(spec, prediction, batch.y, task === "classification");
    const dataLoss = spec.loss(prediction, batch.y);
    if (step === 0) checkFirstLoss(spec, dataLoss);
    const total = spec.regularizer ? ops.add(dataLoss, spec.regularizer(model)) : dataLoss;
    ctx.dataLoss = dataLoss.item();
    ctx.loss = total.item();
    if (accuracies) ctx.accuracy = accuracyOf(prediction, batch.y);
    losses.push(ctx.loss);
    if (accuracies) accuracies.push(ctx.accuracy!);
    if (!Number.isFinite(ctx.loss)) {
      // Stepping on NaN gradients would only spread the NaN into every weight; the instrumentation
      // has already seen the op that produced it.
      reason = "non-finite-loss";
      stepMs.push(performance.now() - t0);
      step++;
      finish();
      return;
    }
    total.backward();
    // Observers see the gradients backward produced (what the debugger diagnoses); the optimizer the clipped ones.
    report.afterBackward(ctx);
    if (gradClip) {
      const totalNorm = clipGradNorm(params.map(([, p]) => p), spec.clipGradNorm!);
      gradClip.push({ totalNorm, clipped: spec.clipGradNorm! / (totalNorm + 1e-6) < 1 });
    }
    stepReporting(optimizer);
    report.afterStep(ctx);
    optimizer.zeroGrad();
    // Parameters the optimizer does not own (frozen, or a partial optimizer) must not accumulate forever.
    for (const [, p] of params) p.zeroGrad();
    stepMs.push(performance.now() - t0);
    step++;
    if (step >= totalSteps) finish();
  };

  return {
    model,
    next(): boolean {
      if (done) return false;
      if (options.shouldStop?.()) {
        reason = "stopped";
        finish();
        return false;
      }
      const detach = observers.length ? observe(...observers) : null;
      try {
        runStep();
      } finally {
        detach?.();
      }
      return !done;
    },
    result(): TrainResult {
      return { model, optimizer, task, losses, accuracies, gradClip, steps: step, totalSteps, reason, validation: validationResult, stepMs, batchSize };
    },
  };
}

/** Loss and accuracy of `model` on `data` in eval mode, without a graph. */
export function evaluate(spec: ModelSpec, model: Module, data: Dataset, task: Task): { loss: number; accuracy?: number } {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const prediction = model.call(data.x);
      const loss = spec.loss(prediction, data.y).item();
      return task === "classification" ? { loss, accuracy: accuracyOf(prediction, data.y) } : { loss };
    });
  } finally {
    model.train(wasTraining);
  }
}
