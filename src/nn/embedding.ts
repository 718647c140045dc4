/**
 * `nn.Embedding` (PyTorch's): a table of `numEmbeddings` vectors of size `dim`, looked up by integer id.
 * Token ids are tensors of integral floats (the engine has one numeric type); any shape of ids gives
 * [...ids.shape, dim]. Init N(0, 1) as PyTorch's; the `paddingIdx` row is zero, the padding id looks up
 * zeros and its row is never trained (see ops.embedding for how this differs from PyTorch).
 */
import { Tensor, globalRandom, ops, type DType, type Random } from "../engine";
import type { Initializer } from "./init";
import { Module } from "./module";

export interface EmbeddingOptions {
  /** Id of padding tokens: its row starts at zero, it looks up zeros and is never trained (negative counts from the end). */
  paddingIdx?: number;
  /** Default N(0, 1), PyTorch's (`nn.init.normal(1)`). */
  init?: Initializer;
  dtype?: DType;
  rng?: Random;
}

export class Embedding extends Module {
  readonly weight: Tensor;
  /** The padding row, resolved to a non-negative index; undefined without one. */
  readonly paddingIdx: number | undefined;

  constructor(readonly numEmbeddings: number, readonly dim: number, options: EmbeddingOptions = {}) {
    super();
    for (const [name, v] of [["numEmbeddings", numEmbeddings], ["dim", dim]] as const) {
      if (!(Number.isInteger(v) && v > 0)) throw new Error(`Embedding: ${name} must be a positive integer, got ${v}`);
    }
    const p = options.paddingIdx;
    if (p !== undefined && !(Number.isInteger(p) && p >= -numEmbeddings && p < numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx ${p} is out of range for ${numEmbeddings} embeddings`);
    }
    this.paddingIdx = p === undefined ? undefined : p < 0 ? p + numEmbeddings : p;
    const rng = options.rng ?? globalRandom;
    const n = numEmbeddings * dim;
    const values = options.init ? options.init([numEmbeddings, dim], rng) : Float64Array.from({ length: n }, () => rng.normal(0, 1));
    const data = options.dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
    if (this.paddingIdx !== undefined) data.fill(0, this.paddingIdx * dim, (this.paddingIdx + 1) * dim);
    this.weight = this.registerParameter("weight", new Tensor(data, [numEmbeddings, dim]));
  }

  /** ids of any shape (integral floats in [0, numEmbeddings)) → [...ids.shape, dim]. */
  forward(ids: Tensor): Tensor {
    return ops.embedding(ids, this.weight, { paddingIdx: this.paddingIdx });
  }
}
