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
}

/** Shared bookkeeping: parameters, lr, per-parameter state buffers, step count. */
export abstract class BaseOptimizer implements Optimizer {
  readonly params: readonly Tensor[];
  lr: number;
  /** Number of completed steps (1 after the first `step()`). */
  t = 0;

  constructor(params: Iterable<Tensor>, lr: number) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${this.constructor.name}: no parameters to optimize`);
    if (!(lr >= 0)) throw new Error(`${this.constructor.name}: learning rate must be ≥ 0, got ${lr}`);
    this.lr = lr;
  }

  step(): void {
    this.t++;
    this.params.forEach((p, i) => {
      if (p._g) this.update(p, p._g, i);
    });
  }

  /** Updates one parameter in place from its gradient `g`. */
  protected abstract update(p: Tensor, g: Float64Array | Float32Array, index: number): void;

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** A zero buffer per parameter, created on first use. */
  protected buffers(): (index: number) => Float64Array {
    const store: Float64Array[] = [];
    return (i) => (store[i] ??= new Float64Array(this.params[i].size));
  }
}
