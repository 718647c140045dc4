/** Reductions over axes, with keepDims. Gradients flow back through the same index map as the forward. */
import { broadcastIndex, keptShape, normalizeAxes, sizeOf } from "../shape";
import { gradBuffer, makeResult, Tensor } from "../tensor";
import { registerOp, type KinkSides } from "./registry";
import { alloc } from "./util";

export type Axis = number | readonly number[];

function plan(op: string, x: Tensor, axis: Axis | undefined, keepDims: boolean) {
  const axes = normalizeAxes(op, x.shape, axis);
  const kept = keptShape(x.shape, axes);
  const outShape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
  const outSize = sizeOf(kept);
  const count = x.size / Math.max(1, outSize);
  // Reducing the trailing axes (a row sum, a sum of everything) reduces contiguous blocks: no index map.
  const trailing = axes.every((a, i) => a === x.ndim - axes.length + i);
  return {
    outShape,
    outSize,
    count,
    /** Length of the contiguous block each output element reduces, or 0 when blocks are strided. */
    block: trailing ? count : 0,
    /** map[i] is the output element that input element i reduces into. */
    map: () => broadcastIndex(x.shape, kept),
  };
}

/**
 * Sums into float64 whatever the dtype: accumulating a float32 mean in float32 drifts by percents over
 * millions of elements (it would skew BatchNorm statistics).
 */
function accumulate(xd: ArrayLike<number>, p: ReturnType<typeof plan>): Float64Array {
  const acc = new Float64Array(p.outSize);
  if (p.block) {
    const b = p.block;
    for (let j = 0, o = 0; j < p.outSize; j++, o += b) {
      let s = 0;
      for (let k = 0; k < b; k++) s += xd[o + k];
      acc[j] = s;
    }
  } else {
    const map = p.map();
    for (let i = 0; i < xd.length; i++) acc[map[i]] += xd[i];
  }
  return acc;
}

/** gx[i] += scale · g[output element of i]: the backward of a sum or a mean. */
function spread(gx: Float64Array | Float32Array, g: ArrayLike<number>, p: ReturnType<typeof plan>, scale: number): void {
  if (p.block) {
    const b = p.block;
    for (let j = 0, o = 0; j < p.outSize; j++, o += b) {
      const v = g[j] * scale;
      for (let k = 0; k < b; k++) gx[o + k] += v;
    }
  } else {
    const map = p.map();
    for (let i = 0; i < gx.length; i++) gx[i] += g[map[i]] * scale;
  }
}

export const SUM = registerOp({ name: "sum", kind: "reduction", differentiable: true, kinks: null, nonFinite: null });
/** Sum over `axis` (all axes when omitted). */
export function sum(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  const p = plan(SUM, x, axis, keepDims);
  const out = alloc(x.dtype, p.outSize);
  out.set(accumulate(x.data, p));
  return makeResult(SUM, out, p.outShape, [x], (g) => spread(gradBuffer(x), g, p, 1));
}

export const MEAN = registerOp({ name: "mean", kind: "reduction", differentiable: true, kinks: null, nonFinite: null });
/** Mean over `axis` (all axes when omitted). */
export function mean(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  const p = plan(MEAN, x, axis, keepDims);
  const acc = accumulate(x.data, p);
  const out = alloc(x.dtype, p.outSize);
  for (let j = 0; j < p.outSize; j++) out[j] = acc[j] / p.count;
  return makeResult(MEAN, out, p.outShape, [x], (g) => spread(gradBuffer(x), g, p, 1 / p.count));
}

/** The kinks of max and min are ties and changes of argmax: each entry's code says whether it equals an extreme. */
const extremeSides: KinkSides = ([x], output) => {
  const extremes = new Set<number>(output.data);
  const p = new Int8Array(x.size);
  for (let i = 0; i < x.size; i++) p[i] = extremes.has(x.data[i]) ? 1 : 0;
  return p;
};

/** max or min: the first extreme entry of each group wins and gets the gradient; NaN wins over numbers. */
function extreme(op: string, x: Tensor, axis: Axis | undefined, keepDims: boolean, sign: 1 | -1): Tensor {
  const { outShape, map: mapOf, outSize } = plan(op, x, axis, keepDims);
  const map = mapOf();
  const xd = x.data;
  const out = alloc(x.dtype, outSize).fill(-sign * Infinity);
  const arg = new Int32Array(outSize).fill(-1);
  for (let i = 0; i < xd.length; i++) {
    const j = map[i];
    const v = xd[i];
    if (Number.isNaN(out[j])) continue;
    if ((sign > 0 ? v > out[j] : v < out[j]) || arg[j] < 0 || Number.isNaN(v)) {
      out[j] = v;
      arg[j] = i;
    }
  }
  return makeResult(op, out, outShape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let j = 0; j < outSize; j++) if (arg[j] >= 0) gx[arg[j]] += g[j];
  });
}

export const MAX = registerOp({ name: "max", kind: "reduction", differentiable: true, kinks: extremeSides, nonFinite: null });
/**
 * Max over `axis`. The gradient goes to the first maximal element (a tie is a kink: the gradient
 * checker reports it as such). NaN propagates.
 */
export function max(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  return extreme(MAX, x, axis, keepDims, 1);
}

export const MIN = registerOp({ name: "min", kind: "reduction", differentiable: true, kinks: extremeSides, nonFinite: null });
/** Min over `axis`; as max, the gradient goes to the first minimal element and NaN propagates. */
export function min(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  return extreme(MIN, x, axis, keepDims, -1);
}

export const PROD = registerOp({
  name: "prod",
  kind: "reduction",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "a product of many entries larger than 1 overflows to ±Infinity",
    fix: "sum logarithms instead (ops.sum(ops.log(x)) for positive x)",
  },
});
/**
 * Product over `axis` (all axes when omitted). ∂/∂xᵢ is the product of the other entries, computed
 * without dividing by xᵢ where that is 0: with one zero in a group only the zero gets gradient (the
 * product of the rest), with two or more nothing does.
 */
export function prod(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  const p = plan(PROD, x, axis, keepDims);
  const map = p.map();
  const xd = x.data;
  // Per group: the product of its nonzero entries and how many zeros it has.
  const nonzero = new Float64Array(p.outSize).fill(1);
  const zeros = new Int32Array(p.outSize);
  for (let i = 0; i < xd.length; i++) {
    if (xd[i] === 0) zeros[map[i]]++;
    else nonzero[map[i]] *= xd[i];
  }
  const out = alloc(x.dtype, p.outSize);
  for (let j = 0; j < p.outSize; j++) out[j] = zeros[j] ? 0 : nonzero[j];
  return makeResult(PROD, out, p.outShape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < gx.length; i++) {
      const j = map[i];
      if (zeros[j] === 0) gx[i] += g[j] * (nonzero[j] / xd[i]);
      else if (zeros[j] === 1 && xd[i] === 0) gx[i] += g[j] * nonzero[j];
    }
  });
}

export const CUMSUM = registerOp({ name: "cumsum", kind: "reduction", differentiable: true, kinks: null, nonFinite: null });
/**
 * Running sum along `axis`: out[…, k, …] = Σ_{m ≤ k} x[…, m, …], accumulated in float64. The gradient
 * is the running sum of the output gradient taken from the other end.
 */
export function cumsum(x: Tensor, axis: number): Tensor {
  const [ax] = normalizeAxes(CUMSUM, x.shape, axis);
  const dim = x.shape[ax];
  const inner = sizeOf(x.shape.slice(ax + 1));
  const outer = sizeOf(x.shape.slice(0, ax));
  const xd = x.data;
  const out = alloc(x.dtype, x.size);
  const run = (src: ArrayLike<number>, dst: Float64Array | Float32Array, reverse: boolean) => {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let k = 0; k < dim; k++) {
          const at = (o * dim + (reverse ? dim - 1 - k : k)) * inner + i;
          s += src[at];
          dst[at] += s;
        }
      }
    }
  };
  run(xd, out, false);
  return makeResult(CUMSUM, out, x.shape, [x], (g) => run(g, gradBuffer(x), true));
}

export const LOGSUMEXP = registerOp({ name: "logSumExp", kind: "reduction", differentiable: true, kinks: null, nonFinite: null });
/**
 * log Σ exp(x) over `axis`, computed as m + log Σ exp(x − m) with m the max, so it never overflows
 * (the trick that makes softmax cross-entropy finite on logits of ±1000). Its gradient is the softmax.
 */
export function logSumExp(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  const { outShape, map: mapOf, outSize } = plan(LOGSUMEXP, x, axis, keepDims);
  const map = mapOf();
  const xd = x.data;
  const m = new Float64Array(outSize).fill(-Infinity);
  for (let i = 0; i < xd.length; i++) if (xd[i] > m[map[i]]) m[map[i]] = xd[i];
  // Shift by 0 where the max is ±Infinity (as PyTorch does): an all −Inf row gives −Inf, a +Inf entry gives +Inf.
  for (let j = 0; j < outSize; j++) if (!Number.isFinite(m[j])) m[j] = 0;
  const s = new Float64Array(outSize);
  for (let i = 0; i < xd.length; i++) s[map[i]] += Math.exp(xd[i] - m[map[i]]);
  const out = alloc(x.dtype, outSize);
  for (let j = 0; j < outSize; j++) out[j] = m[j] + Math.log(s[j]);
  return makeResult(LOGSUMEXP, out, outShape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < gx.length; i++) {
      const j = map[i];
      gx[i] += g[j] * Math.exp(xd[i] - out[j]);
    }
  });
}

export const ARGMAX = registerOp({ name: "argmax", kind: "reduction", differentiable: false, kinks: null, nonFinite: null });
/** Index of the maximum along one axis (no gradient); the axis is removed. */
export function argmax(x: Tensor, axis = -1): Tensor {
  const { outShape, map: mapOf, outSize } = plan(ARGMAX, x, axis, false);
  const map = mapOf();
  const ax = normalizeAxes(ARGMAX, x.shape, axis)[0];
  const stride = sizeOf(x.shape.slice(ax + 1));
  const dim = x.shape[ax];
  const best = new Float64Array(outSize).fill(-Infinity);
  const out = alloc(x.dtype, outSize).fill(-1);
  for (let i = 0; i < x.size; i++) {
    const j = map[i];
    // NaN counts as the maximum (as in PyTorch), so accuracy cannot look healthy on NaN logits.
    if (Number.isNaN(best[j])) continue;
    if (x.data[i] > best[j] || out[j] < 0 || Number.isNaN(x.data[i])) {
      best[j] = x.data[i];
      out[j] = Math.floor(i / stride) % dim;
    }
  }
  return makeResult(ARGMAX, out, outShape, [x], null);
}
