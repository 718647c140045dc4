/**
 * Ops that move elements without changing them. Most are one gather: out[i] = x[src[i]], whose backward
 * is the matching scatter-add gx[src[i]] += g[i]; that single rule serves permute, slice, gather,
 * takeAlong and broadcastTo.
 */
import { broadcastIndex, broadcastShapes, formatShape, normalizeAxes, sameShape, sizeOf, stridesOf, type Shape } from "../shape";
import { gradBuffer, makeResult, Tensor } from "../tensor";
import { registerOp } from "./registry";
import { alloc } from "./util";
import { swapsLastTwo, transposedView } from "./view";

function gatherBy(op: string, x: Tensor, outShape: Shape, src: Int32Array): Tensor {
  const out = alloc(x.dtype, src.length);
  const xd = x.data;
  for (let i = 0; i < src.length; i++) out[i] = xd[src[i]];
  return makeResult(op, out, outShape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < src.length; i++) gx[src[i]] += g[i];
  });
}

/** Walks every index of `shape`, calling `visit(flatOut, multiIndex)`. */
function forEachIndex(shape: Shape, visit: (flat: number, idx: number[]) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    visit(flat, idx);
    for (let ax = shape.length - 1; ax >= 0; ax--) {
      if (++idx[ax] < shape[ax]) break;
      idx[ax] = 0;
    }
  }
}

export const RESHAPE = registerOp({ name: "reshape", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/** Same elements, new shape (one axis may be -1). Shares the data: ops never write into their inputs. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error(`reshape: at most one axis may be -1, got ${formatShape(shape)}`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  if (sizeOf(resolved) !== x.size || resolved.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  return makeResult(RESHAPE, x.data, resolved, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < gx.length; i++) gx[i] += g[i];
  });
}

export const PERMUTE = registerOp({ name: "permute", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/** Reorders axes: output axis i is input axis `axes[i]`. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const norm = axes.map((a) => (a < 0 ? a + x.ndim : a));
  if (norm.length !== x.ndim || new Set(norm).size !== x.ndim || norm.some((a) => a < 0 || a >= x.ndim)) {
    throw new Error(`permute: ${formatShape(axes)} is not a permutation of the axes of ${formatShape(x.shape)}`);
  }
  // A transpose of the last two axes is a view that matmul reads without a copy.
  if (swapsLastTwo(norm)) return transposedView(PERMUTE, x);
  const outShape = norm.map((a) => x.shape[a]);
  const inStrides = stridesOf(x.shape);
  const src = new Int32Array(x.size);
  forEachIndex(outShape, (flat, idx) => {
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += idx[i] * inStrides[norm[i]];
    src[flat] = s;
  });
  return gatherBy(PERMUTE, x, outShape, src);
}

/** Swaps two axes (the last two by default: a matrix transpose). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  if (x.ndim < 2) throw new Error(`transpose: needs at least 2 dimensions, got ${formatShape(x.shape)}`);
  const [a0, a1] = [axis0 < 0 ? axis0 + x.ndim : axis0, axis1 < 0 ? axis1 + x.ndim : axis1];
  const axes = x.shape.map((_, i) => i);
  axes[a0] = a1;
  axes[a1] = a0;
  return permute(x, axes);
}

export const SLICE = registerOp({ name: "slice", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/** Elements `start` (inclusive) to `end` (exclusive) along `axis`; negative indices count from the end. */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const [ax] = normalizeAxes(SLICE, x.shape, axis);
  const dim = x.shape[ax];
  const s = Math.max(0, Math.min(dim, start < 0 ? start + dim : start));
  const e = Math.max(s, Math.min(dim, end === undefined ? dim : end < 0 ? end + dim : end));
  const outShape = x.shape.map((d, i) => (i === ax ? e - s : d));
  const inStrides = stridesOf(x.shape);
  const src = new Int32Array(sizeOf(outShape));
  forEachIndex(outShape, (flat, idx) => {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o += (i === ax ? idx[i] + s : idx[i]) * inStrides[i];
    src[flat] = o;
  });
  return gatherBy(SLICE, x, outShape, src);
}

export const CONCAT = registerOp({ name: "concat", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/** Joins tensors along `axis`; all other axes must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error("concat: needs at least one tensor");
  const first = tensors[0];
  const [ax] = normalizeAxes(CONCAT, first.shape, axis);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${formatShape(first.shape)} and ${formatShape(t.shape)} differ outside axis ${ax}`);
    }
  }
  const outShape = first.shape.map((d, i) => (i === ax ? tensors.reduce((s, t) => s + t.shape[ax], 0) : d));
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const rowOut = outShape[ax] * inner;
  const out = alloc(tensors.some((t) => t.dtype === "float64") ? "float64" : "float32", sizeOf(outShape));
  const offsets: number[] = [];
  let off = 0;
  for (const t of tensors) {
    offsets.push(off);
    const row = t.shape[ax] * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * row, (o + 1) * row), o * rowOut + off);
    off += row;
  }
  return makeResult(CONCAT, out, outShape, tensors, (g) => {
    tensors.forEach((t, k) => {
      if (!t.requiresGrad) return;
      const gt = gradBuffer(t);
      const row = t.shape[ax] * inner;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < row; i++) gt[o * row + i] += g[o * rowOut + offsets[k] + i];
      }
    });
  });
}

function toIndexArray(indices: Tensor | readonly number[] | Int32Array): { values: ArrayLike<number>; shape: Shape } {
  if (indices instanceof Tensor) return { values: indices.data, shape: indices.shape };
  return { values: indices, shape: [indices.length] };
}

function checkIndex(op: string, v: number, dim: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= dim) throw new Error(`${op}: index ${v} is out of range for an axis of size ${dim}`);
  return v;
}

export const GATHER = registerOp({ name: "gather", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/**
 * Selects slices along `axis` by index, as tf.gather: the result's shape is
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Repeated indices accumulate gradient.
 */
export function gather(x: Tensor, indices: Tensor | readonly number[] | Int32Array, axis = 0): Tensor {
  const [ax] = normalizeAxes(GATHER, x.shape, axis);
  const { values, shape: ishape } = toIndexArray(indices);
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const dim = x.shape[ax];
  const outShape = [...x.shape.slice(0, ax), ...ishape, ...x.shape.slice(ax + 1)];
  const src = new Int32Array(sizeOf(outShape));
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < values.length; j++) {
      const base = (o * dim + checkIndex(GATHER, values[j], dim)) * inner;
      for (let i = 0; i < inner; i++) src[p++] = base + i;
    }
  }
  return gatherBy(GATHER, x, outShape, src);
}

export const TAKE_ALONG = registerOp({ name: "takeAlong", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/**
 * Picks one element per position along `axis` (numpy's take_along_axis, PyTorch's gather): `indices`
 * has x's shape except along `axis`. With logits [N, C] and labels [N, 1] it picks each row's class.
 */
export function takeAlong(x: Tensor, indices: Tensor, axis = -1): Tensor {
  const [ax] = normalizeAxes(TAKE_ALONG, x.shape, axis);
  if (indices.ndim !== x.ndim || indices.shape.some((d, i) => i !== ax && d !== x.shape[i])) {
    throw new Error(`takeAlong: indices of shape ${formatShape(indices.shape)} must match ${formatShape(x.shape)} except along axis ${ax}`);
  }
  const inStrides = stridesOf(x.shape);
  const src = new Int32Array(indices.size);
  forEachIndex(indices.shape, (flat, idx) => {
    let o = 0;
    for (let i = 0; i < idx.length; i++) {
      o += (i === ax ? checkIndex(TAKE_ALONG, indices.data[flat], x.shape[ax]) : idx[i]) * inStrides[i];
    }
    src[flat] = o;
  });
  return gatherBy(TAKE_ALONG, x, indices.shape, src);
}

export const BROADCAST_TO = registerOp({ name: "broadcastTo", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/** Repeats x along broadcast axes to `shape`; the gradient sums back. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes(BROADCAST_TO, x.shape, shape);
  if (!sameShape(target, shape)) throw new Error(`broadcastTo: ${formatShape(x.shape)} cannot be broadcast to ${formatShape(shape)}`);
  return gatherBy(BROADCAST_TO, x, shape, broadcastIndex(shape, x.shape));
}
