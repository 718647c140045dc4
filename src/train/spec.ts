/** `defineModel`: the description of a training run that every front end (CLI, extension) can execute. */
import type { Tensor } from "../engine";
import type { Module } from "../nn";
import type { Loss } from "../nn/losses";
import type { Optimizer } from "../optim";
import type { Dataset, SplitDataset } from "../data";

export interface ModelSpec {
  /** Shown in reports and CodeLens. */
  name: string;
  /** Builds the network (called once per run, after seeding). */
  model: () => Module;
  /** Builds the data: one set, or a train/validation split. */
  data: () => Dataset | SplitDataset;
  /** (prediction, target) → scalar loss. */
  loss: Loss;
  /** Builds the optimizer over the model's parameters. */
  optimizer: (params: Tensor[]) => Optimizer;
  /** Minibatch size (default: the whole set). */
  batchSize?: number;
  /** Number of optimizer steps (default 100), or… */
  steps?: number;
  /** …a number of epochs over the training set. */
  epochs?: number;
  /** Seed for init, shuffling, dropout and augmentation (default 0). */
  seed?: number;
  /** Reshuffle the training set each epoch (default true). */
  shuffle?: boolean;
  /** "classification" adds accuracy; inferred from the loss when omitted. */
  task?: "classification" | "regression";
  /** An extra loss term added each step (e.g. `(m) => losses.l2Penalty(m.parameters(), 1e-4)`). */
  regularizer?: (model: Module) => Tensor;
  /** Transforms each training batch (augmentation); off during gradient checks. */
  augment?: (batch: Dataset, step: number) => Dataset;
  /** Learning rate at each step, overriding the optimizer's (see optim schedules). */
  schedule?: (step: number) => number;
  /**
   * Clips the gradients of all parameters to this total 2-norm after backward, before the optimizer step
   * (`optim.clipGradNorm`); the report records each step's pre-clip norm and whether it clipped.
   */
  clipGradNorm?: number;
  /** Per-model overrides of rule thresholds, by rule id: `{ "vanishing-gradient": { ratio: 1e-4 } }`. */
  rules?: Record<string, Record<string, number | boolean>>;
}

const SPEC = Symbol.for("gradient-lens.model-spec");

export type DefinedModel = ModelSpec & { readonly [SPEC]: true };

/**
 * A model that breaks the `defineModel` contract in a way only running it shows (data of mismatched
 * rows, labels beyond the output, a loss that is not a scalar). The runner reports it as an invalid
 * model at the user's `defineModel` line.
 */
export class ModelContractError extends Error {
  override name = "ModelContractError";
}

const describeValue = (v: unknown) => (typeof v === "number" ? String(v) : v === null ? "null" : typeof v === "string" ? JSON.stringify(v) : typeof v);

/** Declares a model for Gradient Lens; export it (default or named) from a model file. Throws on a malformed spec, naming the field. */
export function defineModel(spec: ModelSpec): DefinedModel {
  if (typeof spec !== "object" || spec === null) throw new Error(`defineModel: expects an object { name, model, data, loss, optimizer, batchSize?, steps? }, got ${describeValue(spec)}`);
  const missing = (["name", "model", "data", "loss", "optimizer"] as const).filter((k) => spec[k] === undefined);
  if (missing.length) throw new Error(`defineModel: missing ${missing.join(", ")} (expected { name, model, data, loss, optimizer, batchSize?, steps? })`);
  for (const k of ["model", "data", "loss", "optimizer"] as const) {
    if (typeof spec[k] !== "function") throw new Error(`defineModel: "${k}" must be a function, got ${typeof spec[k]}`);
  }
  // 0 or a negative batch size or step count used to train silently with batch 1 or no steps at all.
  for (const k of ["batchSize", "steps", "epochs"] as const) {
    const v = spec[k] as unknown;
    if (v !== undefined && !(typeof v === "number" && Number.isSafeInteger(v) && v > 0)) {
      throw new Error(`defineModel: "${k}" must be a positive integer, got ${describeValue(v)}`);
    }
  }
  for (const k of ["regularizer", "augment", "schedule"] as const) {
    if (spec[k] !== undefined && typeof spec[k] !== "function") throw new Error(`defineModel: "${k}" must be a function, got ${describeValue(spec[k])}`);
  }
  return Object.assign({}, spec, { [SPEC]: true as const });
}

const isTensorLike = (v: unknown): v is Tensor => typeof v === "object" && v !== null && Array.isArray((v as Tensor).shape) && typeof (v as Tensor).size === "number";

/** Checks what `data()` returned: a set (or train/validation split) of tensors with as many targets as inputs. */
export function checkSpecData(spec: ModelSpec, d: unknown): void {
  if (typeof (d as PromiseLike<unknown> | undefined)?.then === "function") {
    throw new ModelContractError(`${spec.name}: data() returned a Promise; it must return the data itself ({ x, y } tensors). Load files synchronously (readFileSync) or build the tensors before defineModel`);
  }
  if (typeof d !== "object" || d === null) throw new ModelContractError(`${spec.name}: data() must return { x, y } (or { train, validation }), got ${describeValue(d)}`);
  const parts = "train" in d && (d as SplitDataset).train ? Object.entries(d as SplitDataset).filter(([, v]) => v !== undefined) : [["data()", d] as const];
  for (const [label, part] of parts) {
    const set = part as Partial<Dataset>;
    if (!isTensorLike(set?.x) || !isTensorLike(set?.y)) throw new ModelContractError(`${spec.name}: ${label === "data()" ? "data()" : `data().${label}`} must have tensors x and y`);
    const rows = set.x.shape[0] ?? 1;
    const targets = set.y.shape[0] ?? 1;
    if (rows !== targets) throw new ModelContractError(`${spec.name}: ${label === "data()" ? "data()" : `data().${label}`} has ${rows} inputs (x rows) but ${targets} targets (y rows)`);
  }
}

/** Checks what `optimizer(params)` returned. */
export function checkSpecOptimizer(spec: ModelSpec, optimizer: unknown): void {
  if (typeof (optimizer as Optimizer | undefined)?.step !== "function" || typeof (optimizer as Optimizer).zeroGrad !== "function") {
    throw new ModelContractError(`${spec.name}: optimizer(params) must return an optimizer with step() and zeroGrad() (e.g. new optim.SGD(params, { lr: 0.1 })), got ${describeValue(optimizer)}`);
  }
}

/** Checks what `model()` returned: a Module (something with parameters and `call`). */
export function checkSpecModel(spec: ModelSpec, model: unknown): void {
  const m = model as Partial<Module> | undefined;
  if (typeof m?.namedModules !== "function" || typeof m.call !== "function" || typeof m.parameters !== "function") {
    throw new ModelContractError(`${spec.name}: model() must return an nn.Module (e.g. new nn.Sequential(new nn.Linear(2, 8), …)), got ${describeValue(model)}`);
  }
}

/**
 * Checks the first forward pass, before the loss sees it: the model returned a tensor and, for a
 * classification run with class labels, every label is a class the model's output can score.
 */
export function checkFirstForward(spec: ModelSpec, prediction: unknown, target: Tensor, classification: boolean): void {
  if (!isTensorLike(prediction)) throw new ModelContractError(`${spec.name}: the model's forward must return a Tensor, got ${describeValue(prediction)}`);
  const n = prediction.shape[0] ?? 1;
  const classes = prediction.ndim === 2 ? prediction.shape[1] : 0;
  if (!classification || classes < 2 || target.size !== n) return;
  for (let i = 0; i < target.size; i++) {
    const label = target.data[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ModelContractError(`${spec.name}: class label ${label} (in the first batch) is outside the model's ${classes} outputs (labels must be integers 0..${classes - 1})`);
    }
  }
}

/** Checks the first step's loss: a scalar tensor. */
export function checkFirstLoss(spec: ModelSpec, loss: unknown): void {
  if (!isTensorLike(loss)) throw new ModelContractError(`${spec.name}: loss(prediction, target) must return a scalar Tensor, got ${describeValue(loss)}`);
  if (loss.size !== 1) throw new ModelContractError(`${spec.name}: loss(prediction, target) must return a scalar, got a tensor of shape [${loss.shape.join(", ")}] (take its mean)`);
}

export function isModelSpec(value: unknown): value is DefinedModel {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SPEC] === true;
}
