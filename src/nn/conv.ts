/**
 * Convolution, pooling and image normalization layers (PyTorch's `nn.Conv2d`, `nn.MaxPool2d`, …). Images
 * are NCHW, signals NCL. Weights follow PyTorch's default init: U(±1/√fanIn) for weight and bias, with
 * fanIn = (in/groups)·kernel area (kaiming_uniform with a = √5 reduces to this bound).
 */
import { Tensor, globalRandom, ops, type DType, type Random } from "../engine";
import { Module } from "./module";
import { BatchNorm1d, type BatchNormOptions } from "./normalization";

type Pair = number | readonly [number, number];

function uniform(shape: number[], bound: number, dtype: DType, rng: Random): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.range(-bound, bound);
  return new Tensor(d, shape);
}

export interface ConvOptions<P> {
  stride?: P;
  /** Zeros on each side, or "same" (stride 1 only). Default 0. */
  padding?: P | "same";
  dilation?: P;
  /** Channel groups (default 1); `groups: inChannels` is depthwise. */
  groups?: number;
  bias?: boolean;
  dtype?: DType;
  rng?: Random;
}

/**
 * A convolution's weight [out, in/groups, …kernel] and bias, or with `transposed` a transposed
 * convolution's weight [in, out/groups, …kernel]. PyTorch computes fanIn from the weight's second axis
 * times the kernel area in both cases, so a transposed convolution's bound is 1/√((out/groups)·area).
 */
function convParams(inC: number, outC: number, kernel: number[], o: ConvOptions<unknown>, name: string, transposed = false) {
  const groups = o.groups ?? 1;
  if (!(inC % groups === 0 && outC % groups === 0)) throw new Error(`${name}: groups ${groups} must divide in ${inC} and out ${outC} channels`);
  const shape = transposed ? [inC, outC / groups, ...kernel] : [outC, inC / groups, ...kernel];
  const fanIn = shape[1] * kernel.reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  const rng = o.rng ?? globalRandom;
  const dtype = o.dtype ?? "float64";
  const weight = uniform(shape, bound, dtype, rng);
  const bias = o.bias === false ? null : uniform([outC], bound, dtype, rng);
  return { weight, bias };
}

/** x [N, inChannels, H, W] → [N, outChannels, Ho, Wo]; weight [out, in/groups, kH, kW], bias [out]. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: Pair, readonly options: ConvOptions<Pair> = {}) {
    super();
    const k = typeof kernelSize === "number" ? [kernelSize, kernelSize] : [kernelSize[0], kernelSize[1]];
    const p = convParams(inChannels, outChannels, k, options, "Conv2d");
    this.weight = this.registerParameter("weight", p.weight);
    this.bias = p.bias && this.registerParameter("bias", p.bias);
  }
  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.options;
    return ops.conv2d(x, this.weight, this.bias, { stride, padding, dilation, groups });
  }
}

/** x [N, inChannels, L] → [N, outChannels, Lo]; weight [out, in/groups, k], bias [out]. */
export class Conv1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, readonly options: ConvOptions<number> = {}) {
    super();
    const p = convParams(inChannels, outChannels, [kernelSize], options, "Conv1d");
    this.weight = this.registerParameter("weight", p.weight);
    this.bias = p.bias && this.registerParameter("bias", p.bias);
  }
  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.options;
    return ops.conv1d(x, this.weight, this.bias, { stride, padding, dilation, groups });
  }
}

export interface ConvTransposeOptions<P> extends Omit<ConvOptions<P>, "padding"> {
  /** Rows and columns cropped from each side of the full output (default 0). */
  padding?: P;
  /** Extra rows/columns on the bottom/right, below max(stride, dilation) (default 0). */
  outputPadding?: P;
}

/**
 * Transposed convolution (PyTorch's `nn.ConvTranspose2d`): x [N, inChannels, H, W] → [N, outChannels, Ho, Wo]
 * with Ho = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1; weight [in, out/groups, kH, kW],
 * bias [out], both U(±1/√((out/groups)·kH·kW)) as PyTorch's default.
 */
export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: Pair, readonly options: ConvTransposeOptions<Pair> = {}) {
    super();
    const k = typeof kernelSize === "number" ? [kernelSize, kernelSize] : [kernelSize[0], kernelSize[1]];
    const p = convParams(inChannels, outChannels, k, options, "ConvTranspose2d", true);
    this.weight = this.registerParameter("weight", p.weight);
    this.bias = p.bias && this.registerParameter("bias", p.bias);
  }
  forward(x: Tensor): Tensor {
    const { stride, padding, outputPadding, dilation, groups } = this.options;
    return ops.convTranspose2d(x, this.weight, this.bias, { stride, padding, outputPadding, dilation, groups });
  }
}

/** Max over kernel windows of [N, C, H, W] (stride defaults to the kernel). */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: { stride?: Pair; padding?: Pair } = {}) { super(); }
  forward(x: Tensor): Tensor { return ops.maxPool2d(x, this.kernelSize, this.options); }
}
/** Max over kernel windows of [N, C, L]. */
export class MaxPool1d extends Module {
  constructor(readonly kernelSize: number, readonly options: { stride?: number; padding?: number } = {}) { super(); }
  forward(x: Tensor): Tensor { return ops.maxPool1d(x, this.kernelSize, this.options); }
}
/** Mean over kernel windows of [N, C, H, W]; padded zeros count unless `countIncludePad: false`. */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: { stride?: Pair; padding?: Pair; countIncludePad?: boolean } = {}) { super(); }
  forward(x: Tensor): Tensor { return ops.avgPool2d(x, this.kernelSize, this.options); }
}
/** Mean over kernel windows of [N, C, L]. */
export class AvgPool1d extends Module {
  constructor(readonly kernelSize: number, readonly options: { stride?: number; padding?: number; countIncludePad?: boolean } = {}) { super(); }
  forward(x: Tensor): Tensor { return ops.avgPool1d(x, this.kernelSize, this.options); }
}
/** [N, C, H, W] → [N, C, oH, oW]; `new AdaptiveAvgPool2d(1)` is global average pooling. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) { super(); }
  forward(x: Tensor): Tensor { return ops.adaptiveAvgPool2d(x, this.outputSize); }
}

/** Merges axes startDim..endDim into one (default: everything but the batch axis, as PyTorch). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(x: Tensor): Tensor {
    const s = this.startDim < 0 ? x.ndim + this.startDim : this.startDim;
    const e = this.endDim < 0 ? x.ndim + this.endDim : this.endDim;
    const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return x.reshape([...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
  }
}

/**
 * Batch normalization per channel of [N, C, H, W] (PyTorch's `nn.BatchNorm2d`): statistics over N, H
 * and W; running estimates and eval mode as BatchNorm1d (it is BatchNorm1d on [N, C, H·W]).
 */
export class BatchNorm2d extends BatchNorm1d {
  constructor(channels: number, options: BatchNormOptions = {}) { super(channels, options); }
  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.features) {
      throw new Error(`${this.path} (BatchNorm2d ${this.features}): expected input [N, ${this.features}, H, W], got [${x.shape.join(", ")}]`);
    }
    const [n, c, h, w] = x.shape;
    return super.forward(x.reshape([n, c, h * w])).reshape([n, c, h, w]);
  }
}

export interface GroupNormOptions {
  /** Added to the variance before the square root (default 1e-5, PyTorch's). */
  eps?: number;
  /** Per-channel scale (init 1) and shift (init 0); default true. */
  affine?: boolean;
  dtype?: DType;
}

/**
 * Group normalization (Wu & He 2018), PyTorch's `nn.GroupNorm(numGroups, numChannels)`: each example's
 * channels split into groups, each normalized with its own mean and biased variance over the group's
 * channels and positions; the same in training and eval. Input [N, C, …].
 */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;
  constructor(readonly numGroups: number, readonly numChannels: number, options: GroupNormOptions = {}) {
    super();
    if (!(numGroups > 0 && numChannels % numGroups === 0)) throw new Error(`GroupNorm: ${numGroups} groups must divide ${numChannels} channels`);
    this.eps = options.eps ?? 1e-5;
    const dtype = options.dtype ?? "float64";
    const filled = (v: number) => new Tensor((dtype === "float32" ? new Float32Array(numChannels) : new Float64Array(numChannels)).fill(v), [numChannels]);
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter("weight", filled(1)) : null;
    this.bias = affine ? this.registerParameter("bias", filled(0)) : null;
  }
  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new Error(`${this.path} (GroupNorm ${this.numGroups}, ${this.numChannels}): expected input [N, ${this.numChannels}, …], got [${x.shape.join(", ")}]`);
    }
    const n = x.shape[0];
    const g = x.reshape([n, this.numGroups, -1]);
    const mean = ops.mean(g, 2, true);
    const centered = ops.sub(g, mean);
    const variance = ops.mean(ops.mul(centered, centered), 2, true);
    const xhat = ops.div(centered, ops.sqrt(ops.add(variance, this.eps))).reshape(x.shape);
    if (!this.weight || !this.bias) return xhat;
    const chan = [this.numChannels, ...x.shape.slice(2).map(() => 1)];
    return ops.add(ops.mul(xhat, this.weight.reshape(chan)), this.bias.reshape(chan));
  }
}
