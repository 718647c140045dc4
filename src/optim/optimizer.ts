/** What every optimizer is: a set of parameters, a learning rate, and a step that reads their `.grad`. */
import type { Tensor } from "../engine";

export interface Optimizer {
  readonly params: readonly Tensor[];
  /** The current learning rate (schedules write it before each step). */
  lr: number;
  /** Updates every parameter from its accumulated gradient. Parameters without a gradient are skipped. */
  step(): void;
  /** Clears every parameter's gradient. */
  zeroGrad(): void;
  /**
   * Optional: asks the optimizer to measure its own updates (see `UpdateNorms`) from the next `step()`
   * on (`true`) or to stop (`false`). Returns the live sink, or null when this optimizer cannot (a custom
   * update rule): callers then compare against a copy of the weights taken before the step.
   */
  trackUpdateNorms?(on: boolean): UpdateNorms | null;
}

/**
 * Squared norms an optimizer measures inside its own update loops while tracking is on, so a recorder
 * needs neither a copy of the weights before the step nor a second pass over them. Indexed like
 * `Optimizer.params`; buffers are reused across steps.
 */
export interface UpdateNorms {
  /** Σ(w_after − w_before)² of each parameter in the last step (the difference of the stored values, float32 rounding included). */
  readonly update: Float64Array;
  /** Σ w_before² of each parameter in the last step: its squared norm just before the update. */
  readonly weight: Float64Array;
  /** 1 when the parameter was updated in the last step; 0 when it was skipped (no gradient), so `update`/`weight` are stale. */
  readonly updated: Uint8Array;
}

/**
 * `update` implementations that report their norms (built-in optimizers register theirs). A subclass
 * that overrides `update` or `step` is not in the set, so tracking falls back to the snapshot path
 * instead of returning sums its own rule never computed.
 */
const REPORTING_UPDATES = new WeakSet<object>();

/** Marks an optimizer class's `update` as calling `reportNorms` for every parameter it updates while tracking. */
export function reportsUpdateNorms(proto: { update?: unknown } | object): void {
  const update = (proto as { update?: unknown }).update;
  if (typeof update === "function") REPORTING_UPDATES.add(update);
}

/** Shared bookkeeping: parameters, lr, per-parameter state buffers, step count. */
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

  /** While tracking: where `update` writes each parameter's squared norms (null when off: plain training pays one test per parameter). */
  protected normSink: UpdateNorms | null = null;
  private norms: UpdateNorms | null = null;

  step(): void {
    this.t++;
    this.normSink?.updated.fill(0);
    const params = this.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      if (!p._g) continue;
      this.paramSteps[i]++;
      this.update(p, p._g, i);
    }
  }

  trackUpdateNorms(on: boolean): UpdateNorms | null {
    if (!on) {
      this.normSink = null;
      return null;
    }
    const self = this as unknown as { update: unknown; step: unknown };
    if (self.step !== BaseOptimizer.prototype.step || !REPORTING_UPDATES.has(self.update as object)) return null;
    const n = this.params.length;
    this.norms ??= { update: new Float64Array(n), weight: new Float64Array(n), updated: new Uint8Array(n) };
    this.normSink = this.norms;
    return this.norms;
  }

  /** Called by a tracking `update` once per parameter: Σ(Δw)² and Σw² (before the step) of parameter `index`. */
  protected reportNorms(index: number, updateSq: number, weightSq: number): void {
    const s = this.normSink;
    if (!s) return;
    s.update[index] = updateSq;
    s.weight[index] = weightSq;
    s.updated[index] = 1;
  }

  /** How many updates parameter `index` has received, counting the one in progress (bias corrections use it). */
  protected paramStep(index: number): number {
    return this.paramSteps[index];
  }

  /** Updates one parameter in place from its gradient `g`. */
  protected abstract update(p: Tensor, g: Float64Array | Float32Array, index: number): void;

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
