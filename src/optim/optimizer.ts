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

  step(): void {
    this.t++;
    this.params.forEach((p, i) => {
      if (!p._g) return;
      this.paramSteps[i]++;
      this.update(p, p._g, i);
    });
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
