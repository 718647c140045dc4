/**
 * Ops written from primitives, so their gradients come for free (tinygrad's approach). Each registers
 * its name so the op test enumerates it too; the graph records the primitives it is made of.
 */
import { Tensor } from "../tensor";
import { sub, exp } from "./elementwise";
import { logSumExp } from "./reduce";
import { registerOp } from "./registry";

export const LOG_SOFTMAX = registerOp({ name: "logSoftmax", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/** x − logSumExp(x): stable for any logits, the right input to a cross-entropy. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return sub(x, logSumExp(x, axis, true));
}

export const SOFTMAX = registerOp({ name: "softmax", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/** exp(logSoftmax(x)): never overflows, unlike exp(x)/Σexp(x) on large logits. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return exp(logSoftmax(x, axis));
}
