/**
 * The piecewise activations PyTorch has beyond relu (elu, selu, relu6, hardtanh) and the stable
 * log-sigmoid. Each: forward and derivative side by side through `unary`, and where it bends.
 */
import type { Tensor } from "../tensor";
import { clampSides, stableSigmoid, unary } from "./elementwise";
import { registerOp, signOfFirstInput } from "./registry";

// The kink of elu/selu is at 0 (for elu's alpha = 1 both sides have slope 1 there but the curvature
// still jumps, and any other alpha makes the slope jump): declared for every alpha.
export const ELU = registerOp({ name: "elu", kind: "activation", differentiable: true, kinks: signOfFirstInput, nonFinite: null });
/** x for x > 0, alpha·(eˣ − 1) otherwise (Clevert et al. 2016; PyTorch's default alpha = 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  return unary(ELU, x, (v) => (v > 0 ? v : alpha * Math.expm1(v)), (v) => (v > 0 ? 1 : alpha * Math.exp(v)));
}

/** SELU's constants (Klambauer et al. 2017, as in PyTorch): the fixed point of mean 0, variance 1. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
export const SELU = registerOp({ name: "selu", kind: "activation", differentiable: true, kinks: signOfFirstInput, nonFinite: null });
/** scale·elu(x, alpha) with the self-normalizing constants alpha ≈ 1.6733, scale ≈ 1.0507. */
export function selu(x: Tensor): Tensor {
  return unary(
    SELU, x,
    (v) => (v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * Math.expm1(v)),
    (v) => (v > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(v)),
  );
}

/** Clipping to [min, max] whose gradient passes strictly inside, as PyTorch's hardtanh and relu6. */
function clip(op: string, x: Tensor, min: number, max: number): Tensor {
  if (!(min < max)) throw new Error(`${op}: min ${min} must be below max ${max}`);
  return unary(op, x, (v) => (v < min ? min : v > max ? max : v), (v) => (v > min && v < max ? 1 : 0));
}

export const RELU6 = registerOp({ name: "relu6", kind: "activation", differentiable: true, kinks: clampSides, nonFinite: null });
/** min(max(x, 0), 6) (MobileNet's activation); no gradient at exactly 0 or 6, as relu at 0. */
export function relu6(x: Tensor): Tensor {
  return clip(RELU6, x, 0, 6);
}

export const HARD_TANH = registerOp({ name: "hardTanh", kind: "activation", differentiable: true, kinks: clampSides, nonFinite: null });
/**
 * x clipped to [min, max] (PyTorch's defaults −1, 1). Unlike clamp, the gradient is 0 at the bounds
 * themselves (PyTorch's hardtanh rule).
 */
export function hardTanh(x: Tensor, min = -1, max = 1): Tensor {
  return clip(HARD_TANH, x, min, max);
}

export const LOG_SIGMOID = registerOp({ name: "logSigmoid", kind: "activation", differentiable: true, kinks: null, nonFinite: null });
/**
 * log σ(x) = min(x, 0) − log(1 + e^−|x|): finite for any x, where log(sigmoid(x)) is −Infinity below
 * about −745. Derivative σ(−x).
 */
export function logSigmoid(x: Tensor): Tensor {
  return unary(LOG_SIGMOID, x, (v) => Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))), (v) => stableSigmoid(-v));
}
