/** AdaGrad (Duchi, Hazan & Singer 2011): per-weight steps shrink with the weight's accumulated squared gradient. */
import type { FloatArray, Tensor } from "../engine";
import { BaseOptimizer } from "./optimizer";

export interface AdaGradOptions {
  /** Default 0.01 (PyTorch's). */
  lr?: number;
  /** The learning rate at update t is lr / (1 + (t−1)·lrDecay) (default 0, PyTorch's). */
  lrDecay?: number;
  /** L2 weight decay added to the gradient: g ← g + λw (default 0). */
  weightDecay?: number;
  /** Starting value of the squared-gradient sum (default 0, PyTorch's). */
  initialAccumulatorValue?: number;
  /** Added to √sum (default 1e-10, PyTorch's). */
  eps?: number;
}

/** PyTorch's `torch.optim.Adagrad`: s ← s + g²; w ← w − lr·g/(√s + eps). */
export class AdaGrad extends BaseOptimizer {
  private readonly sum: (i: number) => Float64Array;
  constructor(params: Iterable<Tensor>, readonly options: AdaGradOptions = {}) {
    super(params, options.lr ?? 0.01);
    this.sum = this.buffers(options.initialAccumulatorValue ?? 0);
    this.require((options.lrDecay ?? 0) >= 0, `lrDecay must be ≥ 0, got ${options.lrDecay}`);
    this.require((options.initialAccumulatorValue ?? 0) >= 0, `initialAccumulatorValue must be ≥ 0, got ${options.initialAccumulatorValue}`);
  }

  protected update(p: Tensor, g: FloatArray, i: number): void {
    const wd = this.options.weightDecay ?? 0;
    const eps = this.options.eps ?? 1e-10;
    const lr = this.lr / (1 + (this.paramStep(i) - 1) * (this.options.lrDecay ?? 0));
    const w = p.data;
    const s = this.sum(i);
    const measure = this.measuring;
    let d2 = 0, w2 = 0;
    for (let j = 0; j < w.length; j++) {
      const old = w[j];
      const gj = g[j] + wd * old;
      s[j] += gj * gj;
      w[j] = old - (lr * gj) / (Math.sqrt(s[j]) + eps);
      if (measure) {
        const d = w[j] - old;
        d2 += d * d;
        w2 += old * old;
      }
    }
    if (measure) this.measured(d2, w2);
  }
}
