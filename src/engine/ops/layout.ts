/**
 * Ops that move elements without changing them. Most are one gather: out[i] = x[src[i]], whose backward
 * is the matching scatter-add gx[src[i]] += g[i]; that single rule serves permute, slice, gather,
 * takeAlong, broadcastTo and tile, and pad with a fill value for entries read from nowhere.
 */
import { broadcastIndex, broadcastShapes, formatShape, normalizeAxes, sameShape, sizeOf, stridesOf, type Shape } from "../shape";
import { gradBuffer, makeResult, Tensor } from "../tensor";
import { registerOp } from "./registry";
import { alloc } from "./util";

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

/**
 * Index data convention: tensors hold floats, so indices (class labels, token ids, positions) are
 * stored as integral floats (3 is 3.0). Every op that reads indices (gather, takeAlong, oneHot, and
 * through them Embedding and softmaxCrossEntropy) checks each one is an integer in [0, size) and
 * names the offending value otherwise: a label of 2.5 or 10 for 10 classes is a data bug, not
 * something to round or wrap.
 */
export function checkIndex(op: string, v: number, size: number): number {
  if (!Number.isInteger(v)) {
    throw new Error(`${op}: index ${v} is not an integer (indices are stored as integral floats: 0, 1, 2, …)`);
  }
  if (v < 0 || v >= size) throw new Error(`${op}: index ${v} is out of range for an axis of size ${size} (valid: 0…${size - 1})`);
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

/** gatherBy where src[i] = −1 marks an entry that is `fill` rather than read from x (padding). */
function gatherOrFill(op: string, x: Tensor, outShape: Shape, src: Int32Array, fill: number): Tensor {
  const out = alloc(x.dtype, src.length);
  const xd = x.data;
  for (let i = 0; i < src.length; i++) out[i] = src[i] >= 0 ? xd[src[i]] : fill;
  return makeResult(op, out, outShape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < src.length; i++) if (src[i] >= 0) gx[src[i]] += g[i];
  });
}

export type PadMode = "constant" | "reflect" | "replicate" | "circular";
export interface PadOptions {
  /** "constant" (default) fills with `value`; "reflect" mirrors without repeating the edge (F.pad's). */
  mode?: PadMode;
  /** The fill of mode "constant" (default 0). */
  value?: number;
}

export const PAD = registerOp({ name: "pad", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/**
 * Pads the trailing axes as PyTorch's `F.pad`: `pads` lists (before, after) pairs starting from the
 * LAST axis — [left, right] pads the last axis, [left, right, top, bottom] the last two. Modes:
 * "constant" fills with `value` (negative pads crop); "reflect" mirrors about the edge entry
 * (pads < that axis's size); "replicate" repeats the edge entry; "circular" wraps around (pads ≤ size).
 * The gradient of a padded entry goes back to the entry it copies (summed where several copy one).
 */
export function pad(x: Tensor, pads: readonly number[], options: PadOptions = {}): Tensor {
  const mode = options.mode ?? "constant";
  const value = options.value ?? 0;
  if (pads.length % 2 !== 0 || pads.length > 2 * x.ndim || pads.some((p) => !Number.isInteger(p))) {
    throw new Error(`pad: pads must be integer (before, after) pairs for at most ${x.ndim} axes, got ${formatShape(pads)}`);
  }
  if (mode !== "constant" && value !== 0) throw new Error(`pad: a value is only used by mode "constant", not "${mode}"`);
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  for (let k = 0; k < pads.length / 2; k++) {
    const ax = x.ndim - 1 - k;
    [before[ax], after[ax]] = [pads[2 * k], pads[2 * k + 1]];
    const dim = x.shape[ax];
    const most = Math.max(before[ax], after[ax]);
    if (mode !== "constant" && Math.min(before[ax], after[ax]) < 0) throw new Error(`pad: mode "${mode}" cannot crop (negative pads)`);
    if (mode === "reflect" && most >= dim) throw new Error(`pad: reflect pads must be below the axis size, got ${most} for axis ${ax} of size ${dim}`);
    if ((mode === "circular" && most > dim) || (mode === "replicate" && dim === 0 && most > 0)) {
      throw new Error(`pad: ${mode} pads of ${most} do not fit axis ${ax} of size ${dim}`);
    }
  }
  const outShape = x.shape.map((d, i) => d + before[i] + after[i]);
  if (outShape.some((d) => d < 0)) throw new Error(`pad: pads ${formatShape(pads)} crop ${formatShape(x.shape)} below zero`);
  /** Where output coordinate `o` of an axis of size `dim` reads from, or −1 for the fill. */
  const source = (o: number, dim: number): number => {
    if (o >= 0 && o < dim) return o;
    if (mode === "constant") return -1;
    if (mode === "replicate") return o < 0 ? 0 : dim - 1;
    if (mode === "circular") return ((o % dim) + dim) % dim;
    return o < 0 ? -o : 2 * (dim - 1) - o;
  };
  const inStrides = stridesOf(x.shape);
  const src = new Int32Array(sizeOf(outShape));
  forEachIndex(outShape, (flat, idx) => {
    let s = 0;
    for (let i = 0; i < idx.length; i++) {
      const at = source(idx[i] - before[i], x.shape[i]);
      if (at < 0) {
        s = -1;
        break;
      }
      s += at * inStrides[i];
    }
    src[flat] = s;
  });
  return gatherOrFill(PAD, x, outShape, src, value);
}

export const TILE = registerOp({ name: "tile", kind: "layout", differentiable: true, kinks: null, nonFinite: null });
/**
 * Repeats the whole tensor `reps[i]` times along axis i (PyTorch's `torch.tile`, NumPy's `tile`). With
 * fewer reps than axes, reps are padded with leading 1s; with more, x gains leading axes of size 1.
 */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  if (reps.some((r) => !Number.isInteger(r) || r < 0)) throw new Error(`tile: repetitions must be non-negative integers, got ${formatShape(reps)}`);
  const rank = Math.max(x.ndim, reps.length);
  const inShape = [...new Array<number>(rank - x.ndim).fill(1), ...x.shape];
  const r = [...new Array<number>(rank - reps.length).fill(1), ...reps];
  const outShape = inShape.map((d, i) => d * r[i]);
  const inStrides = stridesOf(inShape);
  const src = new Int32Array(sizeOf(outShape));
  forEachIndex(outShape, (flat, idx) => {
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += (idx[i] % inShape[i]) * inStrides[i];
    src[flat] = s;
  });
  return gatherBy(TILE, x, outShape, src);
}

export const ONE_HOT = registerOp({ name: "oneHot", kind: "layout", differentiable: false, kinks: null, nonFinite: null });
/**
 * One-hot rows for class indices (`F.one_hot`): indices of shape S give S + [numClasses], 1 at each
 * index and 0 elsewhere, in the indices' dtype. Indices follow the index convention (integral floats
 * in [0, numClasses)); numClasses defaults to the largest index + 1. No gradient.
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  let classes = numClasses;
  if (classes === -1) {
    classes = 0;
    for (let i = 0; i < indices.size; i++) {
      const v = indices.data[i];
      if (!(v >= 0)) throw new Error(`oneHot: index ${v} is negative (indices are integral floats 0, 1, 2, …)`);
      classes = Math.max(classes, checkIndex(ONE_HOT, v, Infinity) + 1);
    }
  } else if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`oneHot: numClasses must be a positive integer (or −1 to infer it), got ${numClasses}`);
  }
  const out = alloc(indices.dtype, indices.size * classes);
  for (let i = 0; i < indices.size; i++) out[i * classes + checkIndex(ONE_HOT, indices.data[i], classes)] = 1;
  return makeResult(ONE_HOT, out, [...indices.shape, classes], [indices], null);
}
