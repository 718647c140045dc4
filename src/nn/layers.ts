/** Linear, Sequential, Identity and the activation modules. */
import { Tensor, globalRandom, ops, type DType, type Random } from "../engine";
import { Module } from "./module";
import { torchDefault, type Initializer } from "./init";

export interface LinearOptions {
  /** Weight init (default: PyTorch's, U(±1/√fanIn)). */
  init?: Initializer;
  /** Bias init (default: PyTorch's, U(±1/√fanIn)). */
  biasInit?: Initializer;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  dtype?: DType;
  rng?: Random;
}

/** PyTorch's nn.Linear bias default: U(−1/√fanIn, 1/√fanIn), with the layer's fan-in. */
function torchBiasDefault(inFeatures: number, outFeatures: number, rng: Random = globalRandom): Float64Array {
  const a = 1 / Math.sqrt(inFeatures);
  const out = new Float64Array(outFeatures);
  for (let i = 0; i < outFeatures; i++) out[i] = rng.range(-a, a);
  return out;
}

function param(data: Float64Array, shape: number[], dtype: DType): Tensor {
  return new Tensor(dtype === "float32" ? Float32Array.from(data) : data, shape);
}

/** y = x·W + b with W of shape [inFeatures, outFeatures]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    if (!(inFeatures > 0 && outFeatures > 0)) throw new Error(`Linear: sizes must be positive, got ${inFeatures}×${outFeatures}`);
    const dtype = options.dtype ?? "float64";
    const w = (options.init ?? torchDefault())([inFeatures, outFeatures], options.rng);
    this.weight = this.registerParameter("weight", param(w, [inFeatures, outFeatures], dtype));
    if (options.bias === false) {
      this.bias = null;
    } else {
      // The bias's fan-in is the layer's, as in PyTorch.
      const b = options.biasInit ? options.biasInit([outFeatures], options.rng) : torchBiasDefault(inFeatures, outFeatures, options.rng);
      this.bias = this.registerParameter("bias", param(Float64Array.from(b), [outFeatures], dtype));
    }
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new Error(`${this.path} (Linear ${this.inFeatures}→${this.outFeatures}): input has ${x.shape[x.ndim - 1]} features, expected ${this.inFeatures}`);
    }
    const y = ops.matmul(x, this.weight);
    return this.bias ? ops.add(y, this.bias) : y;
  }
}

/** Runs its layers in order; children are named "layers.0", "layers.1", … */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(`layers.${i}`, m));
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.layers) h = layer.call(h);
    return h;
  }
}

/** Marks activation modules so instrumentation knows which statistics apply. */
export type ActivationKind = "relu" | "leakyRelu" | "sigmoid" | "tanh" | "softplus" | "gelu" | "elu" | "selu" | "relu6" | "hardtanh";

export abstract class Activation extends Module {
  abstract readonly activation: ActivationKind;
}

export class ReLU extends Activation {
  readonly activation = "relu" as const;
  forward(x: Tensor): Tensor { return ops.relu(x); }
}

export class LeakyReLU extends Activation {
  readonly activation = "leakyRelu" as const;
  constructor(readonly slope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return ops.leakyRelu(x, this.slope); }
}

export class Sigmoid extends Activation {
  readonly activation = "sigmoid" as const;
  forward(x: Tensor): Tensor { return ops.sigmoid(x); }
}

export class Tanh extends Activation {
  readonly activation = "tanh" as const;
  forward(x: Tensor): Tensor { return ops.tanh(x); }
}

export class Softplus extends Activation {
  readonly activation = "softplus" as const;
  forward(x: Tensor): Tensor { return ops.softplus(x); }
}

/**
 * GELU. Exact (x·Φ(x)) by default, as PyTorch's `nn.GELU()`; `{ approximate: "tanh" }` selects the
 * tanh form of GPT-2 and BERT. The two differ by less than 5e-4.
 */
export class GELU extends Activation {
  readonly activation = "gelu" as const;
  readonly approximate: "none" | "tanh";
  constructor(options: ops.GeluOptions = {}) {
    super();
    this.approximate = options.approximate ?? "none";
  }
  forward(x: Tensor): Tensor { return ops.gelu(x, { approximate: this.approximate }); }
}

/** x for x > 0, alpha·(eˣ − 1) below (PyTorch's default alpha = 1). */
export class ELU extends Activation {
  readonly activation = "elu" as const;
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return ops.elu(x, this.alpha); }
}

/** Self-normalizing ELU with PyTorch's fixed constants (alpha ≈ 1.6733, scale ≈ 1.0507). */
export class SELU extends Activation {
  readonly activation = "selu" as const;
  forward(x: Tensor): Tensor { return ops.selu(x); }
}

/** min(max(x, 0), 6). */
export class ReLU6 extends Activation {
  readonly activation = "relu6" as const;
  forward(x: Tensor): Tensor { return ops.relu6(x); }
}

/** x clipped to [minVal, maxVal], PyTorch's defaults −1 and 1. */
export class Hardtanh extends Activation {
  readonly activation = "hardtanh" as const;
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
    if (!(minVal < maxVal)) throw new Error(`Hardtanh: minVal ${minVal} must be below maxVal ${maxVal}`);
  }
  forward(x: Tensor): Tensor { return ops.hardTanh(x, this.minVal, this.maxVal); }
}

/** Returns its input unchanged (PyTorch's `nn.Identity`): a placeholder where a layer is optional. */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}
