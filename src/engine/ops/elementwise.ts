/** Elementwise ops with NumPy broadcasting. Each op: forward loop, then its backward rule, side by side. */
import { kernels, type FloatArray } from "../kernels";
import { broadcastIndex, broadcastShapes, sameShape, sizeOf } from "../shape";
import { gradBuffer, makeResult, Tensor, type DType } from "../tensor";
import { registerOp, signOfFirstInput, type KinkSides } from "./registry";
import { erfc } from "./special";
import { alloc, operands, resultType, type TensorLike } from "./util";

type Fn2 = (x: number, y: number) => number;
/** Partial derivative given both inputs and the output. */
type D2 = (x: number, y: number, out: number) => number;

/**
 * A broadcasting binary op. Input gradients are accumulated through the same index maps that broadcast
 * the inputs, which sums the gradient over broadcast axes: the reduction back to the input's shape.
 */
function binary(name: string, a0: TensorLike, b0: TensorLike, f: Fn2, da: D2, db: D2): Tensor {
  const [a, b] = operands(a0, b0);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const n = sizeOf(shape);
  const out = alloc(resultType(a, b), n);
  // Element i of the result reads a[ia[i]], or a[i·sa] without a map: sa = 1 for an operand of the
  // result's shape, 0 for a single element (x * 0.5 needs no n-long map of zeros).
  const sa = a.size === 1 ? 0 : 1;
  const sb = b.size === 1 ? 0 : 1;
  const ia = sa === 0 || sameShape(a.shape, shape) ? null : broadcastIndex(shape, a.shape);
  const ib = sb === 0 || sameShape(b.shape, shape) ? null : broadcastIndex(shape, b.shape);
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < n; i++) out[i] = f(ad[ia ? ia[i] : i * sa], bd[ib ? ib[i] : i * sb]);
  return makeResult(name, out, shape, [a, b], (g) => {
    if (a.requiresGrad) {
      const ga = gradBuffer(a);
      for (let i = 0; i < n; i++) {
        const ai = ia ? ia[i] : i * sa;
        ga[ai] += g[i] * da(ad[ai], bd[ib ? ib[i] : i * sb], out[i]);
      }
    }
    if (b.requiresGrad) {
      const gb = gradBuffer(b);
      for (let i = 0; i < n; i++) {
        const bi = ib ? ib[i] : i * sb;
        gb[bi] += g[i] * db(ad[ia ? ia[i] : i * sa], bd[bi], out[i]);
      }
    }
  });
}

export const ADD = registerOp({ name: "add", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
export function add(a0: TensorLike, b0: TensorLike): Tensor {
  const [a, b] = operands(a0, b0);
  // Fast paths for the shapes of a training step: equal shapes, and a bias row added to a batch.
  if (sameShape(a.shape, b.shape)) {
    const out = alloc(resultType(a, b), a.size);
    kernels.add(a.data, b.data, out);
    return makeResult(ADD, out, a.shape, [a, b], (g) => {
      if (a.requiresGrad) kernels.accumulate(gradBuffer(a), g);
      if (b.requiresGrad) kernels.accumulate(gradBuffer(b), g);
    });
  }
  if (a.ndim === 2 && b.ndim === 1 && b.shape[0] === a.shape[1] && a.dtype === b.dtype) {
    const [rows, cols] = a.shape;
    const out = alloc(a.dtype, a.size);
    kernels.addRow(a.data, b.data, out, rows, cols);
    return makeResult(ADD, out, a.shape, [a, b], (g) => {
      if (a.requiresGrad) kernels.accumulate(gradBuffer(a), g);
      if (b.requiresGrad) kernels.sumRowsInto(g, gradBuffer(b), rows, cols);
    });
  }
  return binary(ADD, a, b, (x, y) => x + y, () => 1, () => 1);
}

export const SUB = registerOp({ name: "sub", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
export function sub(a0: TensorLike, b0: TensorLike): Tensor {
  const [a, b] = operands(a0, b0);
  // The same fast paths as add: equal shapes (mse, logSoftmax) and a row subtracted from a batch.
  if (sameShape(a.shape, b.shape)) {
    const n = a.size;
    const ad = a.data;
    const bd = b.data;
    const out = alloc(resultType(a, b), n);
    for (let i = 0; i < n; i++) out[i] = ad[i] - bd[i];
    return makeResult(SUB, out, a.shape, [a, b], (g) => {
      if (a.requiresGrad) kernels.accumulate(gradBuffer(a), g);
      if (b.requiresGrad) kernels.axpy(-1, g, gradBuffer(b));
    });
  }
  if (a.ndim === 2 && b.ndim === 1 && b.shape[0] === a.shape[1] && a.dtype === b.dtype) {
    const [rows, cols] = a.shape;
    const ad = a.data;
    const bd = b.data;
    const out = alloc(a.dtype, a.size);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) out[o + c] = ad[o + c] - bd[c];
    }
    return makeResult(SUB, out, a.shape, [a, b], (g) => {
      if (a.requiresGrad) kernels.accumulate(gradBuffer(a), g);
      if (b.requiresGrad) {
        const gb = gradBuffer(b);
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          for (let c = 0; c < cols; c++) gb[c] -= g[o + c];
        }
      }
    });
  }
  return binary(SUB, a, b, (x, y) => x - y, () => 1, () => -1);
}

export const MUL = registerOp({ name: "mul", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
export function mul(a0: TensorLike, b0: TensorLike): Tensor {
  const [a, b] = operands(a0, b0);
  if (sameShape(a.shape, b.shape)) {
    const out = alloc(resultType(a, b), a.size);
    kernels.mul(a.data, b.data, out);
    return makeResult(MUL, out, a.shape, [a, b], (g) => {
      if (a.requiresGrad) {
        const ga = gradBuffer(a);
        for (let i = 0; i < g.length; i++) ga[i] += g[i] * b.data[i];
      }
      if (b.requiresGrad) {
        const gb = gradBuffer(b);
        for (let i = 0; i < g.length; i++) gb[i] += g[i] * a.data[i];
      }
    });
  }
  return binary(MUL, a, b, (x, y) => x * y, (_x, y) => y, (x) => x);
}

export const DIV = registerOp({
  name: "div",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "a denominator of 0 (or Inf/Inf) gives ±Inf or NaN",
    fix: "add an epsilon to the denominator",
  },
});
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary(DIV, a, b, (x, y) => x / y, (_x, y) => 1 / y, (_x, y, out) => -out / y);
}

export const POW = registerOp({
  name: "pow",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "a negative base to a fractional power gives NaN, and 0 to a negative power ±Inf",
    fix: "clamp the base (ops.clamp) or add an epsilon to it",
  },
});
/** x ** p, elementwise. With a tensor exponent the gradient also flows into it (d/dp = x^p ln x). */
export function pow(x: TensorLike, p: TensorLike): Tensor {
  return binary(
    POW, x, p,
    (a, b) => Math.pow(a, b),
    (a, b) => (b === 0 ? 0 : b * Math.pow(a, b - 1)),
    (a, _b, out) => (a === 0 ? 0 : out * Math.log(a)),
  );
}

/** maximum's kink is a tie: each entry's code says whether the first operand won. */
const maximumSides: KinkSides = ([a], output) => {
  const y = output.data;
  const ia = sameShape(a.shape, output.shape) ? null : broadcastIndex(output.shape, a.shape);
  const p = new Int8Array(y.length);
  for (let i = 0; i < y.length; i++) p[i] = y[i] === a.data[ia ? ia[i] : i] ? 1 : 0;
  return p;
};
export const MAXIMUM = registerOp({ name: "maximum", kind: "elementwise", differentiable: true, kinks: maximumSides, nonFinite: null });
/** Elementwise max of two tensors; a tie sends the gradient to the first operand. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary(MAXIMUM, a, b, (x, y) => (x >= y ? x : y), (x, y) => (x >= y ? 1 : 0), (x, y) => (x >= y ? 0 : 1));
}

type Fn1 = (x: number) => number;
/** Derivative given the input and the output (many rules are cheapest in terms of the output). */
type D1 = (x: number, y: number) => number;

/** An op applied entry by entry: the output and its derivative from f and d, in x's dtype. */
export function unary(name: string, x: Tensor, f: Fn1, d: D1): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = alloc(x.dtype, n);
  for (let i = 0; i < n; i++) out[i] = f(xd[i]);
  return makeResult(name, out, x.shape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < n; i++) gx[i] += g[i] * d(xd[i], out[i]);
  });
}

export const NEG = registerOp({ name: "neg", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
export function neg(x: Tensor): Tensor {
  return unary(NEG, x, (v) => -v, () => -1);
}

export const EXP = registerOp({
  name: "exp",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "inputs above ~709 (float64; ~88 in float32) overflow to Infinity",
    fix: "subtract the row max first (ops.logSumExp, ops.softmax) or use losses.softmaxCrossEntropy on logits",
  },
});
export function exp(x: Tensor): Tensor {
  // The hot unary ops (exp, log, sigmoid, tanh) have their own loops: through the shared `unary`, the
  // call to `f` sees every op's closure, V8 cannot inline it, and each element pays a call. The
  // arithmetic is exactly the closures' (same expressions, same rounding).
  const n = x.size;
  const xd = x.data;
  const out = alloc(x.dtype, n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(xd[i]);
  return makeResult(EXP, out, x.shape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < n; i++) gx[i] += g[i] * out[i];
  });
}

export const LOG = registerOp({
  name: "log",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "log of 0 is -Infinity and of a negative number NaN",
    fix: "use ops.logSoftmax / ops.logSumExp, or add a small epsilon inside the log",
  },
});
export function log(x: Tensor): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = alloc(x.dtype, n);
  for (let i = 0; i < n; i++) out[i] = Math.log(xd[i]);
  return makeResult(LOG, out, x.shape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < n; i++) gx[i] += g[i] * (1 / xd[i]);
  });
}

export const SQRT = registerOp({
  name: "sqrt",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "its gradient is infinite at 0, and a negative input gives NaN",
    fix: "add a small epsilon inside the sqrt",
  },
});
export function sqrt(x: Tensor): Tensor {
  return unary(SQRT, x, Math.sqrt, (_v, y) => 0.5 / y);
}

export const ABS = registerOp({ name: "abs", kind: "elementwise", differentiable: true, kinks: signOfFirstInput, nonFinite: null });
export function abs(x: Tensor): Tensor {
  return unary(ABS, x, Math.abs, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0));
}

export const RELU = registerOp({ name: "relu", kind: "activation", differentiable: true, kinks: signOfFirstInput, nonFinite: null });
export function relu(x: Tensor): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = alloc(x.dtype, n);
  for (let i = 0; i < n; i++) out[i] = xd[i] > 0 ? xd[i] : 0;
  return makeResult(RELU, out, x.shape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < n; i++) if (xd[i] > 0) gx[i] += g[i];
  });
}

export const LEAKY_RELU = registerOp({ name: "leakyRelu", kind: "activation", differentiable: true, kinks: signOfFirstInput, nonFinite: null });
/** max(x, slope·x) for slope < 1; PyTorch's default slope is 0.01. */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return unary(LEAKY_RELU, x, (v) => (v > 0 ? v : slope * v), (v) => (v > 0 ? 1 : slope));
}

export const SIGMOID = registerOp({ name: "sigmoid", kind: "activation", differentiable: true, kinks: null, nonFinite: null });
/** 1/(1+e^-x), evaluated without overflow for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = alloc(x.dtype, n);
  for (let i = 0; i < n; i++) out[i] = stableSigmoid(xd[i]);
  return makeResult(SIGMOID, out, x.shape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < n; i++) gx[i] += g[i] * (out[i] * (1 - out[i]));
  });
}

export function stableSigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export const TANH = registerOp({ name: "tanh", kind: "activation", differentiable: true, kinks: null, nonFinite: null });
export function tanh(x: Tensor): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = alloc(x.dtype, n);
  for (let i = 0; i < n; i++) out[i] = Math.tanh(xd[i]);
  return makeResult(TANH, out, x.shape, [x], (g) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < n; i++) gx[i] += g[i] * (1 - out[i] * out[i]);
  });
}

export const SOFTPLUS = registerOp({ name: "softplus", kind: "activation", differentiable: true, kinks: null, nonFinite: null });
/** log(1 + e^x) = max(x, 0) + log1p(e^-|x|): finite for any x. */
export function softplus(x: Tensor): Tensor {
  return unary(SOFTPLUS, x, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))), (v) => stableSigmoid(v));
}

const GELU_C = Math.sqrt(2 / Math.PI);
const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
export const GELU = registerOp({ name: "gelu", kind: "activation", differentiable: true, kinks: null, nonFinite: null });
export interface GeluOptions {
  /** "none" (default, as PyTorch): the exact x·Φ(x); "tanh": the tanh approximation. */
  approximate?: "none" | "tanh";
}
/**
 * GELU (Hendrycks & Gimpel 2016). Exact by default, as PyTorch's `F.gelu`: x·Φ(x) with Φ the standard
 * normal CDF, computed as 0.5·x·erfc(−x/√2) so the left tail keeps its digits; derivative Φ(x) + x·φ(x).
 * `approximate: "tanh"` (GPT-2's and BERT's form) is 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), with
 * its own exact derivative. The two differ by less than 5e-4.
 */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const approximate = options.approximate ?? "none";
  if (approximate === "none") {
    return unary(
      GELU, x,
      (v) => 0.5 * v * erfc(-v * SQRT_HALF),
      (v) => 0.5 * erfc(-v * SQRT_HALF) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v),
    );
  }
  if (approximate !== "tanh") throw new Error(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  return unary(
    GELU, x,
    (v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v))),
    (v) => {
      const t = Math.tanh(GELU_C * (v + 0.044715 * v * v * v));
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * v * v);
    },
  );
}

/** clamp bends at both bounds: each entry is below (−1), inside (0) or above (1) them. */
export const clampSides: KinkSides = ([x], output) => {
  const xd = x.data;
  const y = output.data;
  const p = new Int8Array(xd.length);
  for (let i = 0; i < xd.length; i++) p[i] = y[i] > xd[i] ? -1 : y[i] < xd[i] ? 1 : 0;
  return p;
};
export const CLAMP = registerOp({ name: "clamp", kind: "elementwise", differentiable: true, kinks: clampSides, nonFinite: null });
/** Limits values to [min, max]; the gradient passes where min ≤ x ≤ max, as in PyTorch. */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  return unary(CLAMP, x, (v) => (v < min ? min : v > max ? max : v), (v) => (v >= min && v <= max ? 1 : 0));
}

export const WHERE = registerOp({ name: "where", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
/** Picks `a` where `cond` is nonzero and `b` elsewhere, broadcasting all three. `cond` gets no gradient. */
export function where(cond: Tensor, a0: TensorLike, b0: TensorLike): Tensor {
  const [a, b] = operands(a0, b0);
  const shape = broadcastShapes(WHERE, broadcastShapes(WHERE, cond.shape, a.shape), b.shape);
  const n = sizeOf(shape);
  const ic = broadcastIndex(shape, cond.shape);
  const ia = broadcastIndex(shape, a.shape);
  const ib = broadcastIndex(shape, b.shape);
  const out = alloc(resultType(a, b), n);
  for (let i = 0; i < n; i++) out[i] = cond.data[ic[i]] !== 0 ? a.data[ia[i]] : b.data[ib[i]];
  return makeResult(WHERE, out, shape, [a, b], (g) => {
    const ga = a.requiresGrad ? gradBuffer(a) : null;
    const gb = b.requiresGrad ? gradBuffer(b) : null;
    for (let i = 0; i < n; i++) {
      if (cond.data[ic[i]] !== 0) {
        if (ga) ga[ia[i]] += g[i];
      } else if (gb) gb[ib[i]] += g[i];
    }
  });
}

export const CAST = registerOp({ name: "cast", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
/** Converts to another dtype; the gradient is converted back. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = alloc(dtype, x.size);
  out.set(x.data);
  return makeResult(CAST, out, x.shape, [x], (g) => kernels.accumulate(gradBuffer(x), g as FloatArray));
}

function compare(name: string, a0: TensorLike, b0: TensorLike, f: (x: number, y: number) => boolean): Tensor {
  const [a, b] = operands(a0, b0);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const n = sizeOf(shape);
  const ia = broadcastIndex(shape, a.shape);
  const ib = broadcastIndex(shape, b.shape);
  const out = alloc(resultType(a, b), n);
  for (let i = 0; i < n; i++) out[i] = f(a.data[ia[i]], b.data[ib[i]]) ? 1 : 0;
  return makeResult(name, out, shape, [a, b], null);
}

export const GT = registerOp({ name: "gt", kind: "elementwise", differentiable: false, kinks: null, nonFinite: null });
export const LT = registerOp({ name: "lt", kind: "elementwise", differentiable: false, kinks: null, nonFinite: null });
export const EQ = registerOp({ name: "eq", kind: "elementwise", differentiable: false, kinks: null, nonFinite: null });
/** 1 where a > b, else 0 (no gradient). */
export const gt = (a: TensorLike, b: TensorLike) => compare(GT, a, b, (x, y) => x > y);
/** 1 where a < b, else 0 (no gradient). */
export const lt = (a: TensorLike, b: TensorLike) => compare(LT, a, b, (x, y) => x < y);
/** 1 where a === b, else 0 (no gradient). */
export const eq = (a: TensorLike, b: TensorLike) => compare(EQ, a, b, (x, y) => x === y);
