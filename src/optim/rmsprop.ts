/** RMSProp (Tieleman & Hinton, Coursera lecture 6e): divide the gradient by a running RMS of recent gradients. */
import type { FloatArray, Tensor } from "../engine";
import { BaseOptimizer } from "./optimizer";

export interface RMSPropOptions {
  /** Default 0.01 (PyTorch's). */
  lr?: number;
  /** Decay of the running mean of g² (default 0.99, PyTorch's; the lecture used 0.9). */
  alpha?: number;
  /** Added to the RMS (default 1e-8, PyTorch's). */
  eps?: number;
  /** Momentum on the scaled step (default 0). */
  momentum?: number;
  /** Divide by an estimate of the variance (E[g²] − E[g]²) instead of E[g²] (default false). */
  centered?: boolean;
  /** L2 weight decay added to the gradient: g ← g + λw (default 0). */
  weightDecay?: number;
}

/**
 * PyTorch's `torch.optim.RMSprop`: v ← αv + (1−α)g²; step = g/(√v + eps); with momentum μ,
 * b ← μb + step and w ← w − lr·b, else w ← w − lr·step.
 */
export class RMSProp extends BaseOptimizer {
  private readonly square = this.buffers();
  private readonly gradAvg = this.buffers();
  private readonly velocity = this.buffers();
  constructor(params: Iterable<Tensor>, readonly options: RMSPropOptions = {}) {
    super(params, options.lr ?? 0.01);
    const alpha = options.alpha ?? 0.99;
    this.require(alpha >= 0 && alpha <= 1, `alpha must be in [0, 1], got ${alpha}`);
    this.require((options.momentum ?? 0) >= 0, `momentum must be ≥ 0, got ${options.momentum}`);
    this.require((options.eps ?? 1e-8) >= 0, `eps must be ≥ 0, got ${options.eps}`);
  }

  protected update(p: Tensor, g: FloatArray, i: number): void {
    const alpha = this.options.alpha ?? 0.99;
    const eps = this.options.eps ?? 1e-8;
    const mu = this.options.momentum ?? 0;
    const wd = this.options.weightDecay ?? 0;
    const centered = this.options.centered ?? false;
    const w = p.data;
    const v = this.square(i);
    const ga = centered ? this.gradAvg(i) : null;
    const b = mu > 0 ? this.velocity(i) : null;
    const lr = this.lr;
    const measure = this.measuring;
    let d2 = 0, w2 = 0;
    for (let j = 0; j < w.length; j++) {
      const old = w[j];
      const gj = g[j] + wd * old;
      v[j] = alpha * v[j] + (1 - alpha) * gj * gj;
      let denom: number;
      if (ga) {
        ga[j] = alpha * ga[j] + (1 - alpha) * gj;
        denom = Math.sqrt(v[j] - ga[j] * ga[j]) + eps;
      } else {
        denom = Math.sqrt(v[j]) + eps;
      }
      if (b) {
        b[j] = mu * b[j] + gj / denom;
        w[j] = old - lr * b[j];
      } else {
        w[j] = old - (lr * gj) / denom;
      }
      if (measure) {
        const d = w[j] - old;
        d2 += d * d;
        w2 += old * old;
      }
    }
    if (measure) this.measured(d2, w2);
  }
}
