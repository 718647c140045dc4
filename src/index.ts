/**
 * The `gradient-lens` module: what a user's model file imports.
 * `import { tensor, nn, optim, losses, data, defineModel, checkGradients, inspect } from "gradient-lens"`.
 */
export {
  Tensor, tensor, zeros, ones, full, randn, rand, arange, noGrad, defineOp, ops, listOps, manualSeed, Random,
  addOpObserver, setKernels, type DType, type CustomOpSpec, type Kernels,
} from "./engine";
export {
  observe, type Observer, type OpEvent, type BackwardEvent, type ModuleEvent, type ObservedModule, type StepEvent, type UpdateEvent,
} from "./engine";
export * as nn from "./nn";
export * as losses from "./nn/losses";
export * as optim from "./optim";
export * as data from "./data";
export { defineModel, isModelSpec, type ModelSpec, type DefinedModel } from "./train/spec";
export * from "./instrument/types";
export * from "./report";
export {
  inspect, checkGradients, RULES, RULE_IDS, runRules, NanTracker, Recorder,
  type GradcheckTarget, type ModuleTarget, type FunctionTarget, type CheckGradientsOptions, type Rule, type RuleId, type RuleContext, type NanOrigin,
} from "./instrument";
export { train, createTrainer, type TrainOptions, type TrainHooks, type TrainResult, type StepContext, type AfterStepContext } from "./train/loop";
/** Records the gradient reaching an intermediate tensor (one entry per call, in forward order) while a run is recorded: `tap(h, "h")`. */
export { tap } from "./engine";
