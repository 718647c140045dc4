/**
 * Normalization layers written from engine ops, so their gradients (through the batch statistics too)
 * come from the ops' backward rules and are exact, not a hand-derived formula to get wrong.
 */
import { Tensor, ops, type DType } from "../engine";
import { Module } from "./module";

export interface BatchNormOptions {
  /** Weight of the new batch statistic in the running average (default 0.1, PyTorch's). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5, PyTorch's). */
  eps?: number;
  /** Learnable scale γ and shift β (default true). */
  affine?: boolean;
  dtype?: DType;
}

function filled(n: number, value: number, dtype: DType): Tensor {
  return new Tensor((dtype === "float32" ? new Float32Array(n) : new Float64Array(n)).fill(value), [n]);
}

/**
 * Batch normalization over the batch axis (Ioffe & Szegedy 2015), PyTorch's `nn.BatchNorm1d`: input
 * [N, C] or [N, C, L]. Training mode normalizes with the batch mean and biased variance and updates
 * running estimates (the running variance uses the unbiased batch variance, as PyTorch does);
 * eval mode normalizes with the running estimates.
 */
export class BatchNorm1d extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly momentum: number;
  readonly eps: number;

  constructor(readonly features: number, options: BatchNormOptions = {}) {
    super();
    if (!(Number.isInteger(features) && features > 0)) throw new Error(`BatchNorm1d: features must be a positive integer, got ${features}`);
    const dtype = options.dtype ?? "float64";
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter("weight", filled(features, 1, dtype)) : null;
    this.bias = affine ? this.registerParameter("bias", filled(features, 0, dtype)) : null;
    this.runningMean = this.registerBuffer("runningMean", filled(features, 0, dtype));
    this.runningVar = this.registerBuffer("runningVar", filled(features, 1, dtype));
  }

  forward(x: Tensor): Tensor {
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== this.features) {
      throw new Error(`${this.path} (BatchNorm1d ${this.features}): expected input [N, ${this.features}] or [N, ${this.features}, L], got [${x.shape.join(", ")}]`);
    }
    const axes = x.ndim === 2 ? [0] : [0, 2];
    // Per-channel tensors broadcast as [C] against [N, C] and as [C, 1] against [N, C, L].
    const chan = x.ndim === 2 ? [this.features] : [this.features, 1];
    let mean: Tensor;
    let variance: Tensor;
    if (this.training) {
      const count = x.size / this.features;
      if (count < 2) throw new Error(`${this.path} (BatchNorm1d): training needs more than 1 value per channel, got input [${x.shape.join(", ")}]`);
      mean = ops.mean(x, axes, true);
      const centered = ops.sub(x, mean);
      variance = ops.mean(ops.mul(centered, centered), axes, true);
      const m = this.momentum;
      const unbias = count / (count - 1);
      const rm = this.runningMean.data;
      const rv = this.runningVar.data;
      for (let c = 0; c < this.features; c++) {
        rm[c] = (1 - m) * rm[c] + m * mean.data[c];
        rv[c] = (1 - m) * rv[c] + m * variance.data[c] * unbias;
      }
      const xhat = ops.div(centered, ops.sqrt(ops.add(variance, this.eps)));
      return this.affine(xhat, chan);
    }
    mean = this.runningMean.reshape(chan);
    variance = this.runningVar.reshape(chan);
    const xhat = ops.div(ops.sub(x, mean), ops.sqrt(ops.add(variance, this.eps)));
    return this.affine(xhat, chan);
  }

  private affine(xhat: Tensor, chan: number[]): Tensor {
    if (!this.weight || !this.bias) return xhat;
    return ops.add(ops.mul(xhat, this.weight.reshape(chan)), this.bias.reshape(chan));
  }
}

export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5, PyTorch's). */
  eps?: number;
  /** Learnable per-feature scale and shift (default true). */
  elementwiseAffine?: boolean;
  dtype?: DType;
}

/**
 * Layer normalization over the last axis (Ba et al. 2016), PyTorch's `nn.LayerNorm(features)`: each
 * example is normalized with its own mean and biased variance, the same in training and eval.
 */
export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(readonly features: number, options: LayerNormOptions = {}) {
    super();
    if (!(Number.isInteger(features) && features > 0)) throw new Error(`LayerNorm: features must be a positive integer, got ${features}`);
    const dtype = options.dtype ?? "float64";
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter("weight", filled(features, 1, dtype)) : null;
    this.bias = affine ? this.registerParameter("bias", filled(features, 0, dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.features) {
      throw new Error(`${this.path} (LayerNorm ${this.features}): input's last axis must be ${this.features}, got [${x.shape.join(", ")}]`);
    }
    const mean = ops.mean(x, -1, true);
    const centered = ops.sub(x, mean);
    const variance = ops.mean(ops.mul(centered, centered), -1, true);
    const xhat = ops.div(centered, ops.sqrt(ops.add(variance, this.eps)));
    if (!this.weight || !this.bias) return xhat;
    return ops.add(ops.mul(xhat, this.weight), this.bias);
  }
}
