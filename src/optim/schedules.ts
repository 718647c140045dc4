/**
 * Schedules: plain functions of the 0-based step index (the number of steps already taken), returning
 * the value to use for the next step. They compose by wrapping (`linearWarmup(100, cosineLR(0.1, 900))`).
 * Closed forms of PyTorch's `torch.optim.lr_scheduler` classes, stepped once per optimizer step.
 */

/** A value as a function of the 0-based step index. */
export type Schedule = (step: number) => number;

function check(name: string, cond: boolean, what: string): void {
  if (!cond) throw new Error(`${name}: ${what}`);
}

/** A constant value. */
export function constant(value: number): Schedule {
  return () => value;
}

/** lr·γ^⌊step/stepSize⌋: PyTorch's StepLR (default γ = 0.1, PyTorch's). */
export function stepLR(lr: number, stepSize: number, gamma = 0.1): Schedule {
  check("stepLR", Number.isInteger(stepSize) && stepSize > 0, `stepSize must be a positive integer, got ${stepSize}`);
  return (step) => lr * Math.pow(gamma, Math.floor(step / stepSize));
}

/** lr·γ^step: PyTorch's ExponentialLR. */
export function exponentialLR(lr: number, gamma: number): Schedule {
  check("exponentialLR", gamma > 0, `gamma must be positive, got ${gamma}`);
  return (step) => lr * Math.pow(gamma, step);
}

/**
 * minLr + (lr − minLr)·(1 + cos(π·step/totalSteps))/2: PyTorch's CosineAnnealingLR (T_max = totalSteps,
 * eta_min = minLr, default 0). Held at minLr after totalSteps, where PyTorch's closed form would rise
 * again: a run longer than its schedule wants the floor, not a restart.
 */
export function cosineLR(lr: number, totalSteps: number, minLr = 0): Schedule {
  check("cosineLR", totalSteps > 0, `totalSteps must be positive, got ${totalSteps}`);
  return (step) => (step >= totalSteps ? minLr : minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * step) / totalSteps))) / 2);
}

export interface WarmupOptions {
  /** The factor of the target at step 0 (default 1/3, PyTorch's LinearLR `start_factor`). */
  startFactor?: number;
}

/**
 * Linear warm-up over `warmupSteps` steps, then `after`: at step s < warmupSteps the value is
 * target·(f + (1−f)·s/warmupSteps), target = after's value at its step 0 and f the start factor
 * (PyTorch's LinearLR); from then on `after(s − warmupSteps)`, so the schedule after warm-up starts fresh.
 */
export function linearWarmup(warmupSteps: number, after: Schedule | number, options: WarmupOptions = {}): Schedule {
  check("linearWarmup", Number.isInteger(warmupSteps) && warmupSteps >= 0, `warmupSteps must be a non-negative integer, got ${warmupSteps}`);
  const f = options.startFactor ?? 1 / 3;
  check("linearWarmup", f >= 0 && f <= 1, `startFactor must be in [0, 1], got ${f}`);
  const next = typeof after === "number" ? constant(after) : after;
  const target = next(0);
  return (step) => (step < warmupSteps ? target * (f + ((1 - f) * step) / warmupSteps) : next(step - warmupSteps));
}

/**
 * Momentum that rises linearly from `from` to `to` over `steps` steps and then stays at `to`: the
 * "start with 0.5, raise to 0.9 once the large initial gradients have gone" advice of Hinton's lecture 6c
 * (and Sutskever et al. 2013). Pass it as SGD's `momentum`.
 */
export function momentumWarmup(from = 0.5, to = 0.9, steps = 100): Schedule {
  check("momentumWarmup", steps >= 0, `steps must be non-negative, got ${steps}`);
  return (step) => (step >= steps ? to : from + ((to - from) * step) / steps);
}
