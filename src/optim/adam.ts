/** Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019). */
import type { FloatArray, Tensor } from "../engine";
import { BaseOptimizer } from "./optimizer";

export interface AdamOptions {
  /** Default 0.001 (the paper's and PyTorch's). */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999], the paper's). */
  betas?: readonly [number, number];
  /** Added to √v̂ (default 1e-8, the paper's). */
  eps?: number;
  /**
   * Adam: L2 decay added to the gradient (g ← g + λw, as torch.optim.Adam; default 0).
   * AdamW: decoupled decay w ← w − lr·λ·w before the Adam step (default 0.01, as torch.optim.AdamW).
   */
  weightDecay?: number;
  /** Use the running maximum of v (Reddi et al. 2018's AMSGrad; default false). */
  amsgrad?: boolean;
}

/**
 * PyTorch's `torch.optim.Adam`: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * w ← w − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + eps). The first step moves each weight by ≈ lr·sign(g).
 */
export class Adam extends BaseOptimizer {
  private readonly m = this.buffers();
  private readonly v = this.buffers();
  private readonly vMax = this.buffers();
  /** Whether weight decay is decoupled from the gradient (AdamW) or added to it (Adam). */
  protected readonly decoupled: boolean = false;
  readonly options: AdamOptions;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options.lr ?? 0.001);
    this.options = options;
    const [b1, b2] = options.betas ?? [0.9, 0.999];
    this.require(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1, `betas must be in [0, 1), got [${b1}, ${b2}]`);
    this.require((options.eps ?? 1e-8) >= 0, `eps must be ≥ 0, got ${options.eps}`);
    this.require((options.weightDecay ?? 0) >= 0, `weightDecay must be ≥ 0, got ${options.weightDecay}`);
  }

  protected get weightDecay(): number {
    return this.options.weightDecay ?? 0;
  }

  protected update(p: Tensor, g: FloatArray, i: number): void {
    const [b1, b2] = this.options.betas ?? [0.9, 0.999];
    const eps = this.options.eps ?? 1e-8;
    const wd = this.weightDecay;
    const t = this.paramStep(i);
    const c1 = 1 - Math.pow(b1, t);
    const sqrtC2 = Math.sqrt(1 - Math.pow(b2, t));
    const lr = this.lr;
    const coupled = this.decoupled ? 0 : wd;
    const shrink = this.decoupled ? 1 - lr * wd : 1;
    const w = p.data;
    const m = this.m(i);
    const v = this.v(i);
    const vm = this.options.amsgrad ? this.vMax(i) : null;
    const measure = this.measuring;
    let d2 = 0, w2 = 0;
    for (let j = 0; j < w.length; j++) {
      const old = w[j];
      const gj = g[j] + coupled * old;
      m[j] = b1 * m[j] + (1 - b1) * gj;
      v[j] = b2 * v[j] + (1 - b2) * gj * gj;
      let vj = v[j];
      if (vm) vj = vm[j] = Math.max(vm[j], vj);
      w[j] = shrink * old - (lr * m[j]) / c1 / (Math.sqrt(vj) / sqrtC2 + eps);
      if (measure) {
        const d = w[j] - old;
        d2 += d * d;
        w2 += old * old;
      }
    }
    if (measure) this.measured(d2, w2);
  }
}

/**
 * PyTorch's `torch.optim.AdamW`: weight decay decoupled from the adaptive step, w ← w·(1 − lr·λ), then
 * the Adam update; λ defaults to 0.01 (PyTorch's), so decay is on unless turned off.
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  protected override get weightDecay(): number {
    return this.options.weightDecay ?? 0.01;
  }
}
