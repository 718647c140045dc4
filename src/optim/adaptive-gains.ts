/**
 * Separate adaptive learning rates (Hinton, Coursera "Neural Networks for Machine Learning", lecture 6d;
 * Jacobs 1988's delta-bar-delta): each weight's step is the global lr times its own gain, which grows
 * additively while the weight's gradient keeps its sign and shrinks multiplicatively when it flips.
 */
import type { FloatArray, Tensor } from "../engine";
import { BaseOptimizer } from "./optimizer";

export interface AdaptiveGainsOptions {
  lr: number;
  /** Added to a gain when gₜ·gₜ₋₁ > 0 (default 0.05, the lecture's). */
  increase?: number;
  /** Multiplies a gain when gₜ·gₜ₋₁ < 0 (default 0.95, the lecture's). */
  decrease?: number;
  /** Gains are clipped to [minGain, maxGain] (default [0.01, 100], the wider range the lecture suggests). */
  minGain?: number;
  maxGain?: number;
  /** Momentum μ (default 0): v ← μv − lr·gain·g; w ← w + v. The lecture combines the two. */
  momentum?: number;
}

/**
 * Δw = −lr·gain·g per weight, gains starting at 1. A zero product (the first step, or a zero gradient)
 * leaves the gain unchanged: there is no sign to agree or disagree with.
 */
export class AdaptiveGains extends BaseOptimizer {
  private readonly gainBuf = this.buffers(1);
  private readonly prev = this.buffers();
  private readonly velocity = this.buffers();
  constructor(params: Iterable<Tensor>, readonly options: AdaptiveGainsOptions) {
    super(params, options.lr);
    const lo = options.minGain ?? 0.01;
    const hi = options.maxGain ?? 100;
    this.require(lo > 0 && lo <= 1 && hi >= 1, `need 0 < minGain ≤ 1 ≤ maxGain, got [${lo}, ${hi}]`);
    const dec = options.decrease ?? 0.95;
    this.require(dec > 0 && dec < 1 && (options.increase ?? 0.05) > 0, `need increase > 0 and 0 < decrease < 1, got ${options.increase}, ${dec}`);
  }

  /** The current gains of parameter `index` (ones before its first step). */
  gains(index: number): Float64Array {
    return this.gainBuf(index);
  }

  protected update(p: Tensor, g: FloatArray, i: number): void {
    const inc = this.options.increase ?? 0.05;
    const dec = this.options.decrease ?? 0.95;
    const lo = this.options.minGain ?? 0.01;
    const hi = this.options.maxGain ?? 100;
    const mu = this.options.momentum ?? 0;
    const w = p.data;
    const gain = this.gainBuf(i);
    const prev = this.prev(i);
    const v = mu > 0 ? this.velocity(i) : null;
    const measure = this.measuring;
    let d2 = 0, w2 = 0;
    for (let j = 0; j < w.length; j++) {
      const gj = g[j];
      const agree = gj * prev[j];
      if (agree > 0) gain[j] = Math.min(hi, gain[j] + inc);
      else if (agree < 0) gain[j] = Math.max(lo, gain[j] * dec);
      prev[j] = gj;
      const dw = -this.lr * gain[j] * gj;
      const old = w[j];
      if (v) {
        v[j] = mu * v[j] + dw;
        w[j] = old + v[j];
      } else {
        w[j] = old + dw;
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
