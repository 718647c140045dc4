/** Gradient clipping, PyTorch's `clip_grad_norm_` / `clip_grad_value_`: in place on each parameter's `.grad`. */
import type { Tensor } from "../engine";

/**
 * Scales every gradient by min(1, maxNorm / (total + 1e-6)), where total is the `normType`-norm of all
 * gradients taken together (as if concatenated; `Infinity` for the largest |g|). Parameters without a
 * gradient are skipped. Returns the total norm before clipping (NaN/Inf when a gradient is non-finite;
 * then nothing is scaled by a NaN coefficient: min(1, NaN) leaves the gradients as they are).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be ≥ 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new Error(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  const grads: Array<Float64Array | Float32Array> = [];
  for (const p of params) {
    const g = p.grad;
    if (g) grads.push(g.data);
  }
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) for (let i = 0; i < g.length; i++) {
      const a = Math.abs(g[i]);
      if (!(a <= total)) total = a; // also takes a NaN
    }
  } else if (normType === 2) {
    let s = 0;
    for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    total = Math.sqrt(s);
  } else {
    let s = 0;
    for (const g of grads) for (let i = 0; i < g.length; i++) s += Math.abs(g[i]) ** normType;
    total = s ** (1 / normType);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return total;
}

/** Clamps every gradient entry to [-value, value] in place. */
export function clipGradValue(params: Iterable<Tensor>, value: number): void {
  if (!(value >= 0)) throw new Error(`clipGradValue: value must be ≥ 0, got ${value}`);
  for (const p of params) {
    const g = p.grad?.data;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) g[i] = g[i] > value ? value : g[i] < -value ? -value : g[i];
  }
}
