/**
 * Ops written from primitives, so their gradients come for free (tinygrad's approach). Each registers
 * its name so the op test enumerates it too; the graph records the primitives it is made of.
 */
import { broadcastIndex, broadcastShapes, formatShape, sameShape } from "../shape";
import { Tensor } from "../tensor";
import { sub, exp, where } from "./elementwise";
import { logSumExp, min } from "./reduce";
import { registerOp } from "./registry";
import { alloc } from "./util";

export const MASKED_FILL = registerOp({ name: "maskedFill", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/**
 * x with `value` wherever `mask` is nonzero (PyTorch's `masked_fill`); `mask` broadcasts to x's shape
 * and gets no gradient, filled entries pass none back to x.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (!sameShape(broadcastShapes(MASKED_FILL, mask.shape, x.shape), x.shape)) {
    throw new Error(`maskedFill: a mask of shape ${formatShape(mask.shape)} does not broadcast to x's ${formatShape(x.shape)}`);
  }
  return where(mask, value, x);
}

/** 1 where the mask is nonzero, at x's shape (a constant: no gradient). */
function maskAt(op: string, x: Tensor, mask: Tensor): Tensor {
  if (!sameShape(broadcastShapes(op, mask.shape, x.shape), x.shape)) {
    throw new Error(`${op}: a mask of shape ${formatShape(mask.shape)} does not broadcast to the input's ${formatShape(x.shape)}`);
  }
  const at = broadcastIndex(x.shape, mask.shape);
  const out = alloc(x.dtype, x.size);
  for (let i = 0; i < out.length; i++) out[i] = mask.data[at[i]] !== 0 ? 1 : 0;
  return new Tensor(out, x.shape);
}

export const LOG_SOFTMAX = registerOp({ name: "logSoftmax", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/**
 * x − logSumExp(x): stable for any logits, the right input to a cross-entropy.
 *
 * With `mask` (broadcastable to x; nonzero = masked out, as PyTorch's key_padding_mask and
 * masked_fill) masked entries are left out of the normalization and get log-probability −Infinity
 * (probability 0) and no gradient. A row with every entry masked is all −Infinity (softmax: all
 * zeros) with zero gradient, where −Infinity-filled logits would give NaN (0/0) as in PyTorch.
 */
export function logSoftmax(x: Tensor, axis = -1, mask?: Tensor): Tensor {
  if (!mask) return sub(x, logSumExp(x, axis, true));
  const masked = maskAt(LOG_SOFTMAX, x, mask);
  const filled = where(masked, -Infinity, x);
  // Fully masked rows normalize a row of zeros instead: −Inf − (−Inf) would be NaN, and so would the
  // gradient of logSumExp over a row of −Inf.
  const empty = min(masked, axis, true);
  return sub(filled, logSumExp(where(empty, 0, filled), axis, true));
}

export const SOFTMAX = registerOp({ name: "softmax", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/**
 * exp(logSoftmax(x)): never overflows, unlike exp(x)/Σexp(x) on large logits. With `mask`, masked
 * entries get probability 0 and a fully masked row is all zeros (see logSoftmax).
 */
export function softmax(x: Tensor, axis = -1, mask?: Tensor): Tensor {
  return exp(logSoftmax(x, axis, mask));
}
