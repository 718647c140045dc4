/**
 * Embedding lookup (PyTorch's `F.embedding`): out[..., :] = weight[indices[...], :]. Its backward is a
 * scatter-add into the rows that were looked up, gW[idx[i]] += g[i], as `gather`'s. The padding id
 * (`paddingIdx`) looks up the zero vector and its row gets no gradient. PyTorch reads the padding row
 * (kept at zero because it is never trained) yet gives it no gradient, a backward rule that is not the
 * forward's derivative — a numeric gradient check flags it. Here the row is not read, so the rule is exact;
 * the outputs are PyTorch's whenever the padding row is zero.
 */
import { formatShape } from "../shape";
import { gradBuffer, makeResult, type Tensor } from "../tensor";
import { registerOp } from "./registry";
import { alloc } from "./util";

export interface EmbeddingOptions {
  /** The id of padding tokens: it looks up zeros and its row is never trained; negative counts from the end. */
  paddingIdx?: number;
}

/** Checks that every index is an integer in [0, rows) and returns them as row numbers. */
function rowsOf(indices: Tensor, rows: number): Int32Array {
  const idx = new Int32Array(indices.size);
  for (let i = 0; i < idx.length; i++) {
    const v = indices.data[i];
    if (!Number.isInteger(v)) throw new Error(`embedding: index ${v} at position ${i} is not an integer (indices are token ids stored as floats)`);
    if (v < 0 || v >= rows) throw new Error(`embedding: index ${v} at position ${i} is out of range for ${rows} embeddings`);
    idx[i] = v;
  }
  return idx;
}

export const EMBEDDING = registerOp({ name: "embedding", kind: "layout", differentiable: true, kinks: null, nonFinite: null });

/** indices (any shape, integral floats) and weight [numEmbeddings, dim] → [...indices.shape, dim]. */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be [numEmbeddings, dim], got ${formatShape(weight.shape)}`);
  const [rows, dim] = weight.shape;
  const pad = options.paddingIdx === undefined ? -1 : options.paddingIdx < 0 ? options.paddingIdx + rows : options.paddingIdx;
  if (options.paddingIdx !== undefined && !(Number.isInteger(pad) && pad >= 0 && pad < rows)) {
    throw new Error(`embedding: paddingIdx ${options.paddingIdx} is out of range for ${rows} embeddings`);
  }
  const idx = rowsOf(indices, rows);
  const out = alloc(weight.dtype, idx.length * dim);
  const w = weight.data;
  for (let i = 0; i < idx.length; i++) if (idx[i] !== pad) out.set(w.subarray(idx[i] * dim, idx[i] * dim + dim), i * dim);
  return makeResult(EMBEDDING, out, [...indices.shape, dim], [weight], (g) => {
    const gw = gradBuffer(weight);
    for (let i = 0; i < idx.length; i++) {
      if (idx[i] === pad) continue;
      const o = idx[i] * dim;
      for (let j = 0; j < dim; j++) gw[o + j] += g[i * dim + j];
    }
  });
}
