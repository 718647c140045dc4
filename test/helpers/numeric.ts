/**
 * An independent numeric derivative for engine tests: central differences in float64 over every entry
 * of every input, compared with the analytic gradient from one backward pass.
 */
import { Tensor, noGrad } from "../../src/engine";

export interface NumericCheck {
  maxAbsError: number;
  maxRelError: number;
  /** Largest |a − n| − (atol + rtol·|n|): ≤ 0 means every entry passed. */
  worstExcess: number;
}

export function checkAgainstNumeric(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  { eps = 1e-6, atol = 1e-5, rtol = 1e-3 } = {},
): NumericCheck {
  for (const x of inputs) {
    x.requiresGrad = true;
    x.zeroGrad();
  }
  // Reduce a non-scalar output with fixed random weights so every output entry matters.
  const out0 = f(...inputs);
  const weights = new Float64Array(out0.size).map((_, i) => Math.sin(1.7 * i + 0.3) + 1.1);
  const scalarize = (y: Tensor) => y.mul(new Tensor(weights.slice(), y.shape)).sum();
  scalarize(out0).backward();
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -Infinity;
  for (const x of inputs) {
    const analytic = x.grad ? Float64Array.from(x.grad.data) : new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      const value = (v: number) => {
        x.data[i] = v;
        return noGrad(() => scalarize(f(...inputs)).item());
      };
      const numeric = (value(orig + eps) - value(orig - eps)) / (2 * eps);
      x.data[i] = orig;
      const a = analytic[i];
      const err = Math.abs(a - numeric);
      maxAbs = Math.max(maxAbs, err);
      maxRel = Math.max(maxRel, err / Math.max(Math.abs(a), Math.abs(numeric), 1e-12));
      worst = Math.max(worst, err - (atol + rtol * Math.abs(numeric)));
    }
  }
  return { maxAbsError: maxAbs, maxRelError: maxRel, worstExcess: worst };
}
