/**
 * Residual connection, multi-head attention (Vaswani et al. 2017) and the transformer encoder layer,
 * with PyTorch's semantics: scores softmax(Q·Kᵀ/√d_head)·V per head; a key padding mask of shape
 * (batch, keys) whose nonzero entries are keys to ignore; `causal` lets query t see keys ≤ t. A query row
 * whose keys are all masked is NaN, as in PyTorch.
 */
import { Tensor, listening, ops, report, type DType, type Random } from "../engine";
import { Module } from "./module";
import { Linear, ReLU } from "./layers";
import { Dropout } from "./dropout";
import { LayerNorm } from "./normalization";
import { constant, xavierUniform } from "./init";
import { declareZeroGradient, setLayerRole } from "./roles";

/** x + module(x): the module must keep the shape of its input. */
export class Residual extends Module {
  constructor(readonly module: Module) {
    super();
    this.registerModule("module", module);
  }

  forward(x: Tensor): Tensor {
    const y = this.module.call(x);
    if (y.shape.length !== x.shape.length || y.shape.some((d, i) => d !== x.shape[i])) {
      throw new Error(`${this.path} (Residual): the wrapped module maps [${x.shape.join(", ")}] to [${y.shape.join(", ")}]; x + f(x) needs the same shape`);
    }
    return ops.add(x, y);
  }
}

export interface MultiheadAttentionOptions {
  /** Query t attends only to keys 0..t (default false). */
  causal?: boolean;
  /** Whether the projections have biases (default true; initialized to 0 as PyTorch). */
  bias?: boolean;
  dtype?: DType;
  rng?: Random;
}

export interface AttentionCallOptions {
  /** (batch, keys): nonzero where a key is padding and must be ignored (PyTorch's key_padding_mask). */
  keyPaddingMask?: Tensor;
}

/**
 * Multi-head attention over (batch, time, embedDim) inputs. `call(q, k = q, v = k, { keyPaddingMask })`
 * → (batch, queries, embedDim). Projections qProj, kProj, vProj, outProj are Linear layers, the input
 * ones Xavier-uniform and all biases zero (PyTorch's init for separate projection weights).
 */
export class MultiheadAttention extends Module {
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly outProj: Linear;
  readonly headDim: number;
  readonly causal: boolean;

  constructor(readonly embedDim: number, readonly numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    if (!(Number.isInteger(numHeads) && numHeads > 0 && embedDim % numHeads === 0)) {
      throw new Error(`MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    }
    this.headDim = embedDim / numHeads;
    this.causal = options.causal ?? false;
    const proj = (init = xavierUniform()) => new Linear(embedDim, embedDim, { init, biasInit: constant(0), bias: options.bias, dtype: options.dtype, rng: options.rng });
    this.qProj = this.registerModule("qProj", proj());
    this.kProj = this.registerModule("kProj", proj());
    this.vProj = this.registerModule("vProj", proj());
    // PyTorch's out_proj keeps nn.Linear's default weight init (its bias is zeroed).
    this.outProj = this.registerModule("outProj", new Linear(embedDim, embedDim, { biasInit: constant(0), bias: options.bias, dtype: options.dtype, rng: options.rng }));
    setLayerRole(this.qProj, "attention-query", this);
    setLayerRole(this.kProj, "attention-key", this);
    setLayerRole(this.vProj, "attention-value", this);
    setLayerRole(this.outProj, "attention-output", this);
    // Query i's score for key j is q_i·(W k_j + b): the bias adds q_i·b to every key of row i alike, and
    // softmax ignores a shift shared by a row (masked keys are −∞ whatever their shift).
    if (this.kProj.bias) declareZeroGradient(this.kProj.bias, "softmax ignores a shift shared by all keys, so the key projection's bias never changes the attention weights");
  }

  override call(q: Tensor, k: Tensor = q, v: Tensor = k, options?: AttentionCallOptions | Tensor): Tensor {
    const mask = options instanceof Tensor ? options : options?.keyPaddingMask;
    return mask ? super.call(q, k, v, mask) : super.call(q, k, v);
  }

  forward(q: Tensor, k: Tensor = q, v: Tensor = k, keyPaddingMask?: Tensor): Tensor {
    for (const t of [q, k, v]) {
      if (t.ndim !== 3 || t.shape[2] !== this.embedDim) throw new Error(`${this.path} (MultiheadAttention): inputs must be (batch, time, ${this.embedDim}), got [${t.shape.join(", ")}]`);
    }
    const [batch, tq] = q.shape;
    const tk = k.shape[1];
    if (k.shape[0] !== batch || v.shape[0] !== batch || v.shape[1] !== tk) {
      throw new Error(`${this.path} (MultiheadAttention): q [${q.shape.join(", ")}], k [${k.shape.join(", ")}] and v [${v.shape.join(", ")}] disagree on batch or key length`);
    }
    const heads = (x: Tensor, len: number) => ops.permute(ops.reshape(x, [batch, len, this.numHeads, this.headDim]), [0, 2, 1, 3]);
    const qh = heads(this.qProj.call(q), tq);
    const kh = heads(this.kProj.call(k), tk);
    const vh = heads(this.vProj.call(v), tk);
    let scores = ops.mul(ops.matmul(qh, ops.transpose(kh)), 1 / Math.sqrt(this.headDim));
    const keep = this.keepMask(batch, tq, tk, keyPaddingMask);
    if (keep) scores = ops.where(keep, scores, -Infinity);
    const weights = ops.softmax(scores, -1);
    if (listening("attention")) {
      const { entropy, uniform, rows } = attentionEntropy(weights, keep);
      report.attention({ layer: this.path, entropy, uniformEntropy: uniform, rows });
    }
    const context = ops.matmul(weights, vh);
    return this.outProj.call(ops.reshape(ops.permute(context, [0, 2, 1, 3]), [batch, tq, this.embedDim]));
  }

  /** 1 where query i may attend key j, broadcastable to (batch, heads, queries, keys); null when nothing is masked. */
  private keepMask(batch: number, tq: number, tk: number, keyPaddingMask?: Tensor): Tensor | null {
    if (!this.causal && !keyPaddingMask) return null;
    if (keyPaddingMask && (keyPaddingMask.ndim !== 2 || keyPaddingMask.shape[0] !== batch || keyPaddingMask.shape[1] !== tk)) {
      throw new Error(`${this.path} (MultiheadAttention): keyPaddingMask must be (batch, keys) = [${batch}, ${tk}], got [${keyPaddingMask.shape.join(", ")}]`);
    }
    const rows = keyPaddingMask ? batch : 1;
    const keep = new Float64Array(rows * tq * tk);
    for (let b = 0; b < rows; b++) {
      for (let i = 0; i < tq; i++) {
        for (let j = 0; j < tk; j++) {
          const padded = keyPaddingMask ? keyPaddingMask.data[b * tk + j] !== 0 : false;
          keep[(b * tq + i) * tk + j] = padded || (this.causal && j > i) ? 0 : 1;
        }
      }
    }
    return new Tensor(keep, [rows, 1, tq, tk]);
  }
}

/**
 * Per head, the mean over batch and queries of the attention entropy −Σ_k p log p (nats, 0·log 0 = 0),
 * from softmax weights of shape (batch, heads, queries, keys); `uniform` is the same mean for uniform
 * attention over the keys each query may see (`keep`, broadcastable to the weights; null: all keys), and
 * `rows` the query rows averaged. Rows that are not finite (every key masked: NaN, as in PyTorch) are
 * left out. Reads the weights' data only: nothing is added to the tape.
 */
export function attentionEntropy(weights: Tensor, keep: Tensor | null): { entropy: Float64Array; uniform: number; rows: number } {
  const [batch, heads, tq, tk] = weights.shape;
  const p = weights.data;
  const entropy = new Float64Array(heads);
  const counted = new Float64Array(heads);
  let uniform = 0;
  let rows = 0;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < tq; i++) {
      let allowed = tk;
      if (keep) {
        const o = ((keep.shape[0] === 1 ? 0 : b) * tq + i) * tk;
        allowed = 0;
        for (let j = 0; j < tk; j++) allowed += keep.data[o + j] !== 0 ? 1 : 0;
      }
      let finiteRow = false;
      for (let h = 0; h < heads; h++) {
        const o = ((b * heads + h) * tq + i) * tk;
        let e = 0;
        for (let j = 0; j < tk; j++) {
          const v = p[o + j];
          if (v > 0) e -= v * Math.log(v);
        }
        // A NaN row (all keys masked) has no entropy: NaN > 0 is false above, so test it here.
        if (p[o] !== p[o]) continue;
        entropy[h] += e;
        counted[h]++;
        finiteRow = true;
      }
      if (finiteRow && allowed > 0) {
        uniform += Math.log(allowed);
        rows++;
      }
    }
  }
  for (let h = 0; h < heads; h++) entropy[h] = counted[h] ? entropy[h] / counted[h] : NaN;
  return { entropy, uniform: rows ? uniform / rows : NaN, rows };
}

export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048, as PyTorch). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** Pre-LN (normalize before each block, Xiong et al. 2020) when true; post-LN (the original) by default. */
  normFirst?: boolean;
  /** Causal self-attention (default false). */
  causal?: boolean;
  dtype?: DType;
  rng?: Random;
}

/**
 * Self-attention and a ReLU feed-forward block, each with a residual connection and LayerNorm.
 * Post-LN: x = norm1(x + attn(x)); x = norm2(x + ff(x)). Pre-LN: x = x + attn(norm1(x)); x = x + ff(norm2(x)).
 */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly activation: ReLU;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;

  constructor(readonly dModel: number, readonly nHead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const ff = options.dimFeedforward ?? 2048;
    const p = options.dropout ?? 0.1;
    const common = { dtype: options.dtype, rng: options.rng };
    this.normFirst = options.normFirst ?? false;
    this.selfAttn = this.registerModule("selfAttn", new MultiheadAttention(dModel, nHead, { causal: options.causal, ...common }));
    this.linear1 = this.registerModule("linear1", new Linear(dModel, ff, common));
    this.activation = this.registerModule("activation", new ReLU());
    this.dropout = this.registerModule("dropout", new Dropout(p, { rng: options.rng }));
    this.linear2 = this.registerModule("linear2", new Linear(ff, dModel, common));
    this.norm1 = this.registerModule("norm1", new LayerNorm(dModel, { dtype: options.dtype }));
    this.norm2 = this.registerModule("norm2", new LayerNorm(dModel, { dtype: options.dtype }));
    this.dropout1 = this.registerModule("dropout1", new Dropout(p, { rng: options.rng }));
    this.dropout2 = this.registerModule("dropout2", new Dropout(p, { rng: options.rng }));
  }

  forward(x: Tensor): Tensor {
    const attn = (h: Tensor) => this.dropout1.call(this.selfAttn.call(h));
    const ff = (h: Tensor) => this.dropout2.call(this.linear2.call(this.dropout.call(this.activation.call(this.linear1.call(h)))));
    if (this.normFirst) {
      const h = ops.add(x, attn(this.norm1.call(x)));
      return ops.add(h, ff(this.norm2.call(h)));
    }
    const h = this.norm1.call(ops.add(x, attn(x)));
    return this.norm2.call(ops.add(h, ff(h)));
  }
}
