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

/** Declares a model for Gradient Lens; export it (default or named) from a model file. */
export function defineModel(spec: ModelSpec): DefinedModel {
  const missing = (["name", "model", "data", "loss", "optimizer"] as const).filter((k) => spec[k] === undefined);
  if (missing.length) throw new Error(`defineModel: missing ${missing.join(", ")} (expected { name, model, data, loss, optimizer, batchSize?, steps? })`);
  for (const k of ["model", "data", "loss", "optimizer"] as const) {
    if (typeof spec[k] !== "function") throw new Error(`defineModel: "${k}" must be a function, got ${typeof spec[k]}`);
  }
  return Object.assign({}, spec, { [SPEC]: true as const });
}

export function isModelSpec(value: unknown): value is DefinedModel {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SPEC] === true;
}
