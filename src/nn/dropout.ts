/** Dropout: zeroes random activations while training so units cannot co-adapt (Srivastava et al. 2014). */
import { Tensor, globalRandom, ops, type Random } from "../engine";
import { Module } from "./module";

export interface DropoutOptions {
  /** Generator for the masks (default: the global one, so `manualSeed` fixes them). */
  rng?: Random;
}

/**
 * Inverted dropout, as PyTorch's `nn.Dropout`: in training each element is zeroed with probability `p`
 * and the survivors are scaled by 1/(1−p), so eval mode is the identity and needs no rescaling.
 * Default p = 0.5 (PyTorch's and the paper's value for hidden units).
 */
export class Dropout extends Module {
  private readonly rng: Random;
  /** The mask of the last training forward (already scaled by 1/(1−p)), for inspection and tests. */
  lastMask: Tensor | null = null;

  constructor(readonly p = 0.5, options: DropoutOptions = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.rng = options.rng ?? globalRandom;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const mask = new Tensor(x.dtype === "float32" ? new Float32Array(x.size) : new Float64Array(x.size), x.shape);
    // p = 1 drops everything; 1/(1−p) would be Infinity and 0·Infinity NaN.
    const keep = this.p === 1 ? 0 : 1 / (1 - this.p);
    const m = mask.data;
    for (let i = 0; i < m.length; i++) m[i] = this.rng.uniform() < this.p ? 0 : keep;
    this.lastMask = mask;
    // The mask is a constant of the graph, so the gradient is the mask itself: exact, no custom rule.
    return ops.mul(x, mask);
  }
}
