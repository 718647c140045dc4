/** Matrix product, 2-D and batched (leading axes broadcast). */
import { kernels, type FloatArray } from "../kernels";
import { broadcastIndex, broadcastShapes, formatShape, sizeOf } from "../shape";
import { gradBuffer, makeResult, Tensor } from "../tensor";
import { registerOp } from "./registry";
import { alloc, resultType } from "./util";
import { gradientBypassesView, transposedSource } from "./view";

export const MATMUL = registerOp({ name: "matmul", kind: "linalg", differentiable: true, kinks: null, nonFinite: null });

/** What gemm reads for one operand: its own storage, or a transposed view's source with the transpose flag. */
function operand(t: Tensor): { data: FloatArray; trans: boolean } {
  const view = transposedSource(t);
  return view ? { data: view.data, trans: true } : { data: t.data, trans: false };
}

/**
 * a [..., m, k] · b [..., k, n] → [..., m, n]. Backward: dA = dC · Bᵀ and dB = Aᵀ · dC, computed by the
 * transposed gemm variants without materializing a transpose; broadcast batch axes accumulate.
 *
 * An operand that is a transposed view (`x.transpose()`, ops/view.ts) is never copied: gemm reads the
 * view's source with its transpose flag, and the gradient goes straight into the source's buffer in the
 * source's layout: for a = xᵀ, dx = (dC · op(B)ᵀ)ᵀ = op(B) · dCᵀ; for b = yᵀ, dy = (op(A)ᵀ · dC)ᵀ = dCᵀ · op(A).
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
  const { data: ad, trans: ta } = operand(a);
  const { data: bd, trans: tb } = operand(b);
  for (let t = 0; t < nb; t++) {
    kernels.gemm(ad, mapA[t] * m * k, ta, bd, mapB[t] * k * n, tb, out, t * m * n, m, k, n, true);
  }
  return makeResult(MATMUL, out, [...batch, m, n], [a, b], (g) => {
    if (a.requiresGrad) {
      if (ta && gradientBypassesView(a)) {
        const gx = gradBuffer(transposedSource(a)!.source);
        for (let t = 0; t < nb; t++) kernels.gemm(bd, mapB[t] * k * n, tb, g, t * m * n, true, gx, mapA[t] * m * k, k, n, m, true);
      } else {
        const ga = gradBuffer(a);
        for (let t = 0; t < nb; t++) kernels.gemm(g, t * m * n, false, bd, mapB[t] * k * n, !tb, ga, mapA[t] * m * k, m, n, k, true);
      }
    }
    if (b.requiresGrad) {
      if (tb && gradientBypassesView(b)) {
        const gy = gradBuffer(transposedSource(b)!.source);
        for (let t = 0; t < nb; t++) kernels.gemm(g, t * m * n, true, ad, mapA[t] * m * k, ta, gy, mapB[t] * k * n, n, m, k, true);
      } else {
        const gb = gradBuffer(b);
        for (let t = 0; t < nb; t++) kernels.gemm(ad, mapA[t] * m * k, !ta, g, t * m * n, false, gb, mapB[t] * k * n, k, m, n, true);
      }
    }
  });
}
