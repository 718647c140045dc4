/** SGD, the baseline every other optimizer is compared against. */
import type { FloatArray, Tensor } from "../engine";
import { BaseOptimizer } from "./optimizer";

export interface SGDOptions {
  lr: number;
  /**
   * Momentum μ (default 0): v ← μv + g; w ← w − lr·v (PyTorch's form). A number or a schedule of the
   * 0-based step index, e.g. `momentumWarmup(0.5, 0.9, 100)`.
   */
  momentum?: number | ((step: number) => number);
  /** Nesterov momentum: w ← w − lr·(g + μv). */
  nesterov?: boolean;
  /** L2 weight decay added to the gradient: g ← g + λw. */
  weightDecay?: number;
}

/** Stochastic gradient descent with optional (Nesterov) momentum and a momentum warm-up schedule. */
export class SGD extends BaseOptimizer {
  private readonly velocity = this.buffers();
  constructor(params: Iterable<Tensor>, readonly options: SGDOptions) {
    super(params, options.lr);
    const m = options.momentum ?? 0;
    this.require(typeof m === "function" || m >= 0, `momentum must be ≥ 0, got ${m}`);
    this.require(!options.nesterov || m !== 0, "Nesterov momentum needs a nonzero momentum");
  }

  /**
   * The momentum of the step in progress, or of the last one outside `step()`: a schedule sees the
   * 0-based step index, like a learning-rate schedule.
   */
  get momentum(): number {
    const m = this.options.momentum ?? 0;
    return typeof m === "function" ? m(Math.max(0, this.t - 1)) : m;
  }

  protected update(p: Tensor, g: FloatArray, i: number): void {
    const mu = this.momentum;
    const wd = this.options.weightDecay ?? 0;
    const lr = this.lr;
    const w = p.data;
    const measure = this.measuring;
    let d2 = 0, w2 = 0;
    // Two rules, a loop each: plain SGD pays no momentum test per weight and allocates no velocity.
    if (mu === 0) {
      for (let j = 0; j < w.length; j++) {
        const old = w[j];
        w[j] = old - lr * (g[j] + wd * old);
        if (measure) {
          const d = w[j] - old;
          d2 += d * d;
          w2 += old * old;
        }
      }
    } else {
      const v = this.velocity(i);
      const nesterov = this.options.nesterov ?? false;
      for (let j = 0; j < w.length; j++) {
        const old = w[j];
        const gj = g[j] + wd * old;
        v[j] = mu * v[j] + gj;
        w[j] = old - lr * (nesterov ? gj + mu * v[j] : v[j]);
        if (measure) {
          const d = w[j] - old;
          d2 += d * d;
          w2 += old * old;
        }
      }
    }
    if (measure) this.measured(d2, w2);
  }
}
