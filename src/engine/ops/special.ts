/**
 * Scalar special functions JavaScript's Math lacks, to float64 accuracy: the error function and its
 * complement (for ops.erf and the exact GELU).
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);

/**
 * erf(x) for |x| < 3 from its everywhere-positive series
 * erf(x) = (2/√π)·e^(−x²)·Σₙ 2ⁿx^(2n+1) / (1·3·5···(2n+1)): no term cancels another, so the sum keeps
 * full relative precision (the alternating Maclaurin series loses digits as |x| grows).
 */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * erfc(x) for x ≥ 3 from Laplace's continued fraction
 * erfc(x) = (e^(−x²)/√π) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated bottom-up from a
 * fixed depth: at x ≥ 3, 60 levels are past float64 precision.
 */
function erfcFraction(x: number): number {
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/** The error function, erf(x) = (2/√π)∫₀ˣ e^(−t²) dt; odd. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const v = a < 3 ? erfSeries(a) : 1 - erfcFraction(a);
  return x < 0 ? -v : v;
}

/** The complementary error function 1 − erf(x), accurate where it is tiny (large x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 3) return erfcFraction(x);
  if (x <= -3) return 2 - erfcFraction(-x);
  return 1 - erf(x);
}
