/**
 * Ops written from primitives, so their gradients come for free (tinygrad's approach). Each registers
 * its name so the op test enumerates it too; the graph records the primitives it is made of.
 */
import { broadcastIndex, broadcastShapes, formatShape, normalizeAxes, sameShape, sizeOf } from "../shape";
import { Tensor } from "../tensor";
import { sub, exp, where } from "./elementwise";
import { concat, reshape, slice, tile } from "./layout";
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

export const REPEAT = registerOp({ name: "repeat", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/**
 * PyTorch's `Tensor.repeat`: tile, but `reps` must cover every axis (it may add leading ones). For
 * repeating each element in place (`repeat_interleave`) gather with repeated indices instead.
 */
export function repeat(x: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < x.ndim) throw new Error(`repeat: ${reps.length} repetitions for a tensor with ${x.ndim} axes (give one per axis)`);
  return tile(x, reps);
}

/** An axis index for inserting a new axis into a rank-`rank` shape: 0…rank, negatives from the end. */
function newAxis(op: string, axis: number, rank: number): number {
  const ax = axis < 0 ? axis + rank + 1 : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax > rank) throw new Error(`${op}: axis ${axis} is out of range for a new axis of a rank-${rank} tensor`);
  return ax;
}

export const STACK = registerOp({ name: "stack", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/** Joins same-shape tensors along a new axis (`torch.stack`): n tensors of shape S give S with n inserted at `axis`. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error("stack: needs at least one tensor");
  const shape = tensors[0].shape;
  for (const t of tensors) {
    if (!sameShape(t.shape, shape)) throw new Error(`stack: shapes ${formatShape(shape)} and ${formatShape(t.shape)} differ`);
  }
  const ax = newAxis(STACK, axis, shape.length);
  const expanded = [...shape.slice(0, ax), 1, ...shape.slice(ax)];
  return concat(tensors.map((t) => reshape(t, expanded)), ax);
}

export const SPLIT = registerOp({ name: "split", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/**
 * Cuts x along `axis` into pieces (`torch.split`): a number gives pieces of that size (the last one
 * smaller if it does not divide), a list gives the sizes themselves, which must add up to the axis.
 */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], axis = 0): Tensor[] {
  const [ax] = normalizeAxes(SPLIT, x.shape, axis);
  const dim = x.shape[ax];
  let sizes: number[];
  if (typeof sizeOrSizes === "number") {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes <= 0) throw new Error(`split: piece size must be a positive integer, got ${sizeOrSizes}`);
    sizes = [];
    for (let s = 0; s < dim; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, dim - s));
    if (dim === 0) sizes.push(0);
  } else {
    sizes = [...sizeOrSizes];
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== dim) {
      throw new Error(`split: sizes ${formatShape(sizes)} must be non-negative integers adding up to ${dim} (axis ${ax} of ${formatShape(x.shape)})`);
    }
  }
  const pieces: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    pieces.push(slice(x, ax, start, start + s));
    start += s;
  }
  return pieces;
}

export const CHUNK = registerOp({ name: "chunk", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/**
 * Cuts x along `axis` into `n` pieces as `torch.chunk`: each ⌈size/n⌉ long, the last shorter; like
 * PyTorch this can return fewer than n pieces (6 into 4 chunks gives sizes 2, 2, 2).
 */
export function chunk(x: Tensor, n: number, axis = 0): Tensor[] {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`chunk: the number of chunks must be a positive integer, got ${n}`);
  const [ax] = normalizeAxes(CHUNK, x.shape, axis);
  return split(x, Math.max(1, Math.ceil(x.shape[ax] / n)), ax);
}

export const FLATTEN = registerOp({ name: "flatten", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/** Merges axes startDim…endDim (inclusive, negatives from the end) into one, as `torch.flatten`; a scalar becomes [1]. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const [s] = normalizeAxes(FLATTEN, x.shape, startDim);
  const [e] = normalizeAxes(FLATTEN, x.shape, endDim);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for ${formatShape(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}
