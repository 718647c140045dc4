/** Matrix product, 2-D and batched (leading axes broadcast). */
import { kernels } from "../kernels";
import { broadcastIndex, broadcastShapes, formatShape, sizeOf } from "../shape";
import { gradBuffer, makeResult, Tensor } from "../tensor";
import { registerOp } from "./registry";
import { alloc, resultType } from "./util";

export const MATMUL = registerOp({ name: "matmul", kind: "linalg", differentiable: true, kinks: null, nonFinite: null });

/**
 * a [..., m, k] · b [..., k, n] → [..., m, n]. Backward: dA = dC · Bᵀ and dB = Aᵀ · dC, computed by the
 * transposed gemm variants without materializing a transpose; broadcast batch axes accumulate.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2) {
    throw new Error(`matmul: both operands need at least 2 dimensions, got ${formatShape(a.shape)} and ${formatShape(b.shape)} (reshape a vector to [1, n] or [n, 1])`);
  }
  const m = a.shape[a.ndim - 2];
  const k = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2];
  const n = b.shape[b.ndim - 1];
  if (k !== k2) {
    throw new Error(`matmul: inner dimensions differ: ${formatShape(a.shape)} · ${formatShape(b.shape)} (${k} vs ${k2})`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes("matmul", batchA, batchB);
  const nb = sizeOf(batch);
  const mapA = broadcastIndex(batch, batchA);
  const mapB = broadcastIndex(batch, batchB);
  const out = alloc(resultType(a, b), nb * m * n);
  const ad = a.data;
  const bd = b.data;
  for (let t = 0; t < nb; t++) {
    kernels.gemm(ad, mapA[t] * m * k, false, bd, mapB[t] * k * n, false, out, t * m * n, m, k, n, true);
  }
  return makeResult(MATMUL, out, [...batch, m, n], [a, b], (g) => {
    if (a.requiresGrad) {
      const ga = gradBuffer(a);
      for (let t = 0; t < nb; t++) kernels.gemm(g, t * m * n, false, bd, mapB[t] * k * n, true, ga, mapA[t] * m * k, m, n, k, true);
    }
    if (b.requiresGrad) {
      const gb = gradBuffer(b);
      for (let t = 0; t < nb; t++) kernels.gemm(ad, mapA[t] * m * k, true, g, t * m * n, false, gb, mapB[t] * k * n, k, m, n, true);
    }
  });
}
