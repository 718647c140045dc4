/** Optimizers and learning-rate schedules: `optim.SGD`, `optim.Adam`, … */
export { BaseOptimizer, stepReporting, type Optimizer } from "./optimizer";
export { SGD, type SGDOptions } from "./sgd";
export { AdaGrad, type AdaGradOptions } from "./adagrad";
export { RMSProp, type RMSPropOptions } from "./rmsprop";
export { Adam, AdamW, type AdamOptions } from "./adam";
export { AdaptiveGains, type AdaptiveGainsOptions } from "./adaptive-gains";
export { constant, stepLR, exponentialLR, cosineLR, linearWarmup, momentumWarmup, type Schedule, type WarmupOptions } from "./schedules";
export { clipGradNorm, clipGradValue } from "./clip";
