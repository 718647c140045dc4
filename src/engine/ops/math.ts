/**
 * Elementwise functions beyond the arithmetic of elementwise.ts: erf, log1p, expm1, the trigonometric
 * pair, reciprocal, rsqrt, and the step functions sign/floor/round (zero gradient, as in PyTorch).
 */
import { gradBuffer, makeResult, type Tensor } from "../tensor";
import { unary } from "./elementwise";
import { registerOp, signOfFirstInput, type KinkSides } from "./registry";
import { erf as erfScalar } from "./special";
import { alloc } from "./util";

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const ERF = registerOp({ name: "erf", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
/** The error function (2/√π)∫₀ˣ e^(−t²) dt, to float64 accuracy; derivative (2/√π)e^(−x²). */
export function erf(x: Tensor): Tensor {
  return unary(ERF, x, erfScalar, (v) => TWO_OVER_SQRT_PI * Math.exp(-v * v));
}

export const LOG1P = registerOp({
  name: "log1p",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "log1p(−1) is −Infinity and inputs below −1 give NaN",
    fix: "keep the input above −1 (ops.clamp, or add an epsilon)",
  },
});
/** log(1 + x), exact for tiny x where log(1 + x) rounds 1 + x first; derivative 1/(1 + x). */
export function log1p(x: Tensor): Tensor {
  return unary(LOG1P, x, Math.log1p, (v) => 1 / (1 + v));
}

export const EXPM1 = registerOp({
  name: "expm1",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "inputs above ~709 (float64; ~88 in float32) overflow to Infinity",
    fix: "bound the input (ops.clamp) or work in log space",
  },
});
/** eˣ − 1, exact for tiny x; derivative eˣ = output + 1. */
export function expm1(x: Tensor): Tensor {
  return unary(EXPM1, x, Math.expm1, (_v, y) => y + 1);
}

export const SIN = registerOp({ name: "sin", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
export function sin(x: Tensor): Tensor {
  return unary(SIN, x, Math.sin, Math.cos);
}

export const COS = registerOp({ name: "cos", kind: "elementwise", differentiable: true, kinks: null, nonFinite: null });
export function cos(x: Tensor): Tensor {
  return unary(COS, x, Math.cos, (v) => -Math.sin(v));
}

export const RECIPROCAL = registerOp({
  name: "reciprocal",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "1/0 is ±Infinity (and its gradient −1/x² too)",
    fix: "add an epsilon to the input",
  },
});
/** 1/x; derivative −1/x² = −output². */
export function reciprocal(x: Tensor): Tensor {
  return unary(RECIPROCAL, x, (v) => 1 / v, (_v, y) => -y * y);
}

export const RSQRT = registerOp({
  name: "rsqrt",
  kind: "elementwise",
  differentiable: true,
  kinks: null,
  nonFinite: {
    when: "rsqrt(0) is Infinity and a negative input gives NaN",
    fix: "add an epsilon inside (ops.rsqrt(ops.add(variance, 1e-5)), as layer norm does)",
  },
});
/** 1/√x; derivative −½·x^(−3/2) = −½·output³. */
export function rsqrt(x: Tensor): Tensor {
  return unary(RSQRT, x, (v) => 1 / Math.sqrt(v), (_v, y) => -0.5 * y * y * y);
}

/**
 * A step function: its derivative is 0 wherever it exists, so the output keeps the graph (as in
 * PyTorch, a loss through it backpropagates) but passes back zeros.
 */
function step(op: string, x: Tensor, f: (v: number) => number): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = alloc(x.dtype, n);
  for (let i = 0; i < n; i++) out[i] = f(xd[i]);
  return makeResult(op, out, x.shape, [x], () => void gradBuffer(x));
}

/** Rounds half to even (banker's rounding), as PyTorch's and NumPy's round; Math.round rounds half up. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : r;
}

/** Which unit step an entry is on: floor and round jump where this code changes (Int8Array wraps, still differs). */
const stepSides = (f: (v: number) => number): KinkSides => ([x]) => Int8Array.from(x.data, f);

export const SIGN = registerOp({ name: "sign", kind: "elementwise", differentiable: true, kinks: signOfFirstInput, nonFinite: null });
/** −1, 0 or 1 by the sign of x (NaN stays NaN). Zero gradient: the step's derivative almost everywhere. */
export function sign(x: Tensor): Tensor {
  return step(SIGN, x, Math.sign);
}

export const FLOOR = registerOp({ name: "floor", kind: "elementwise", differentiable: true, kinks: stepSides(Math.floor), nonFinite: null });
/** The largest integer ≤ x. Zero gradient: the step's derivative almost everywhere. */
export function floor(x: Tensor): Tensor {
  return step(FLOOR, x, Math.floor);
}

export const ROUND = registerOp({ name: "round", kind: "elementwise", differentiable: true, kinks: stepSides(roundHalfEven), nonFinite: null });
/** The nearest integer, halves to even (2.5 → 2, 3.5 → 4; PyTorch's rule). Zero gradient. */
export function round(x: Tensor): Tensor {
  return step(ROUND, x, roundHalfEven);
}
