/**
 * What every optimizer is: a set of parameters, a learning rate, and a step that reads their `.grad`.
 * Optimizers report each tensor's update to the observers (`UpdateEvent`): `BaseOptimizer.step` does it
 * for every rule, and `stepReporting` for an optimizer that does not extend it.
 */
import { listening, report, type FloatArray, type Tensor } from "../engine";

export interface Optimizer {
  readonly params: readonly Tensor[];
  /** The current learning rate (schedules write it before each step). */
  lr: number;
  /** Updates every parameter from its accumulated gradient. Parameters without a gradient are skipped. */
  step(): void;
  /** Clears every parameter's gradient. */
  zeroGrad(): void;
}

/**
 * Shared bookkeeping: parameters, lr, per-parameter state buffers, step count, and the report of each
 * update. A rule (`update`) is one loop over the tensor; while `measuring`, it also sums Σ(Δw)² and Σw²
 * as it goes and hands them to `measured`: a loop-invariant test, so a step nobody observes pays nothing
 * (measured against a delta buffer applied afterwards, which cost 2–3× the update loop on 100k weights).
 */
export abstract class BaseOptimizer implements Optimizer {
  readonly params: readonly Tensor[];
  lr: number;
  /** Number of completed steps (1 after the first `step()`; already incremented while `update` runs). */
  t = 0;
  /** Steps each parameter has taken: one skipped for lack of a gradient is not counted, as in PyTorch's per-parameter `state["step"]`. */
  private readonly paramSteps: number[];

  constructor(params: Iterable<Tensor>, lr: number) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${this.constructor.name}: no parameters to optimize`);
    if (!(lr >= 0)) throw new Error(`${this.constructor.name}: learning rate must be ≥ 0, got ${lr}`);
    this.lr = lr;
    this.paramSteps = new Array<number>(this.params.length).fill(0);
  }

  /** True while an observer listens to updates: `update` then measures its step and calls `measured`. */
  protected measuring = false;
  private sums: { updateSq: number; weightSq: number } | null = null;
  /** Whether this optimizer's rule measures itself (learned on its first observed update; a subclass's own rule may not). */
  private ruleMeasures: boolean | null = null;
  /** The copy `updateAndReport` measures a self-unmeasured rule against (reused; may be longer than the tensor). */
  private before: FloatArray | null = null;

  step(): void {
    this.t++;
    this.measuring = listening("update") && !measuredByCaller;
    const params = this.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p._g;
      if (!g) continue;
      this.paramSteps[i]++;
      if (this.measuring) this.updateAndReport(p, g, i);
      else this.update(p, g, i);
    }
    this.measuring = false;
  }

  /** Called by `update` while `measuring`: Σ(w_after − w_before)² of the stored values and Σ w_before² of the tensor it updated. */
  protected measured(updateSq: number, weightSq: number): void {
    this.sums = { updateSq, weightSq };
  }

  private updateAndReport(p: Tensor, g: FloatArray, i: number): void {
    // A rule not known to measure itself is measured against a copy taken before it runs.
    const before = this.ruleMeasures === true ? null : (this.before = copyInto(this.before, p.data));
    this.sums = null;
    this.update(p, g, i);
    const sums = this.sums ?? (before ? squaresOfUpdate(p.data, before) : { updateSq: NaN, weightSq: NaN });
    this.ruleMeasures ??= this.sums !== null;
    this.sums = null;
    report.update({ optimizer: this, param: p, grad: g, updateSq: sums.updateSq, weightSq: sums.weightSq });
  }

  /** How many updates parameter `index` has received, counting the one in progress (bias corrections use it). */
  protected paramStep(index: number): number {
    return this.paramSteps[index];
  }

  /**
   * Updates one parameter in place from its gradient `g` (and, while `measuring`, calls `measured`). A
   * subclass's own rule that does not call `measured` is measured against a copy instead; one that calls
   * `super.update` and then changes the weights again must measure the whole change itself.
   */
  protected abstract update(p: Tensor, g: FloatArray, index: number): void;

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Throws, naming the optimizer, when a hyperparameter is out of range (as torch.optim's constructors do). */
  protected require(ok: boolean, what: string): void {
    if (!ok) throw new Error(`${this.constructor.name}: ${what}`);
  }

  /** A buffer per parameter filled with `initial`, created on first use; float64 whatever the parameter's dtype. */
  protected buffers(initial = 0): (index: number) => Float64Array {
    const store: Float64Array[] = [];
    return (i) => (store[i] ??= new Float64Array(this.params[i].size).fill(initial));
  }
}

/** True while `stepReporting` measures an optimizer from copies. */
let measuredByCaller = false;

/**
 * Runs `optimizer.step()` so that observers see each tensor's update: a `BaseOptimizer` reports them
 * itself; any other optimizer (an object with `step` and `zeroGrad`) is measured against copies of its
 * parameters taken before the step, only while an observer listens.
 */
export function stepReporting(optimizer: Optimizer): void {
  if (optimizer instanceof BaseOptimizer || !listening("update")) {
    optimizer.step();
    return;
  }
  const stepping: Array<{ param: Tensor; grad: FloatArray; before: FloatArray }> = [];
  for (const param of optimizer.params ?? []) if (param._g) stepping.push({ param, grad: param._g, before: param.data.slice() });
  // A BaseOptimizer it delegates to must not report the same updates a second time.
  measuredByCaller = true;
  try {
    optimizer.step();
  } finally {
    measuredByCaller = false;
  }
  for (const { param, grad, before } of stepping) report.update({ optimizer, param, grad, ...squaresOfUpdate(param.data, before) });
}

/** `target` holding a copy of `source` in its first entries (a new array when it does not fit). */
function copyInto(target: FloatArray | null, source: FloatArray): FloatArray {
  if (!target || target.length < source.length || target.constructor !== source.constructor) return source.slice();
  target.set(source);
  return target;
}

/** Σ(after − before)² and Σ before² over `after`'s length: an update measured against a copy. */
function squaresOfUpdate(after: FloatArray, before: FloatArray): { updateSq: number; weightSq: number } {
  let updateSq = 0, weightSq = 0;
  for (let j = 0; j < after.length; j++) {
    const d = after[j] - before[j];
    updateSq += d * d;
    weightSq += before[j] * before[j];
  }
  return { updateSq, weightSq };
}
