/**
 * Judging one comparison of an analytic derivative with central differences: tolerance (PyTorch
 * gradcheck's |a − n| ≤ atol + rtol·|n|), widened by the noise floor of the loss's round-off, kinks
 * judged against the one-sided differences.
 */
import type { GradcheckComparison } from "../../report";
import { GRADCHECK_DEFAULTS } from "./setup";

const TINY = 1e-300;

export const relError = (a: number, n: number) => Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), TINY);

/** PyTorch gradcheck's criterion: |a − n| ≤ atol + rtol·|n|. */
export function withinTolerance(a: number, n: number, o: { atol: number; rtol: number }): boolean {
  return Math.abs(a - n) <= o.atol + o.rtol * Math.abs(n);
}

/** The verdict on one comparison: an entry or a direction. */
export type Judged = GradcheckComparison & { passed: boolean };

/**
 * Judges an analytic directional derivative `a` from f(x) = f0, f(x+ε) = fp and f(x−ε) = fm.
 * Away from kinks: the central difference, |a − n| ≤ atol + rtol·|n|. At a kink (seen by the op
 * observer, or one-sided differences that disagree): `a` must match (f0−fm)/ε or (fp−f0)/ε with the
 * same tolerances, or lie between them (a subgradient: consistent, flagged `unverified`).
 */
export function judge(a: number, f0: number, fp: number, fm: number, kinkSeen: boolean, o: typeof GRADCHECK_DEFAULTS): Judged {
  const n = (fp - fm) / (2 * o.eps);
  if (!Number.isFinite(a) || !Number.isFinite(n) || !Number.isFinite(f0)) {
    return { analytic: a, numeric: n, relError: NaN, passed: false, nonFinite: true, ...(kinkSeen ? { kink: true } : {}) };
  }
  // The resolution of a central difference at this loss: below it the numeric value is noise, so the
  // tolerance is widened by it (a difference smaller than the noise proves nothing either way).
  const floor = noiseFloor(o.eps, f0, fp, fm);
  const central = { atol: o.atol + floor, rtol: o.rtol };
  const passes = (x: number, y: number, t = central) => withinTolerance(x, y, t);
  const j: Judged = { analytic: a, numeric: n, relError: relError(a, n), passed: passes(a, n) };
  // Both values below the floor: the relative error means nothing. Such entries are still judged by
  // atol when the floor is below it (a floor at atol instead would hide every entry of a vanishing layer,
  // |g| ≈ 1e-6); when the floor is above atol they cannot be verified at all (unresolvable).
  if (Math.abs(a) <= floor && Math.abs(n) <= floor) j.negligible = true;
  if (floor > o.atol) j.noiseFloor = floor;
  const left = (f0 - fm) / o.eps;
  const right = (fp - f0) / o.eps;
  // One-sided differences divide the same round-off by ε instead of 2ε.
  const oneSided = { atol: o.atol + 2 * floor, rtol: o.rtol };
  // A kink the observer cannot see (a custom op that declared none): the central difference
  // disagrees and so do the one-sided ones, which a smooth function's never do (they differ by O(ε·f'')).
  const kink = kinkSeen || (!j.passed && !passes(left, right, oneSided) && !passes(right, left, oneSided));
  if (!kink) return j;
  j.kink = true;
  j.numericLeft = left;
  j.numericRight = right;
  const tol = oneSided.atol + o.rtol * Math.max(Math.abs(left), Math.abs(right));
  if (passes(a, left, oneSided) || passes(a, right, oneSided)) {
    j.passed = true;
  } else if (a >= Math.min(left, right) - tol && a <= Math.max(left, right) + tol) {
    j.passed = true;
    j.unverified = true;
  } else {
    j.passed = false;
  }
  return j;
}

/**
 * Machine epsilon times the loss's own summation error: a loss summed over n terms in float64 carries
 * relative round-off up to ~n·ε_machine, measured ≈ 1e-10 at |f| ≈ 1, ε = 1e-6 on the examples.
 */
export const ROUND_OFF = 100 * Number.EPSILON;

/**
 * The smallest derivative a central difference with step `eps` resolves at loss values `fs`: the
 * evaluations' round-off (ROUND_OFF·|f|) divided by the step.
 */
export function noiseFloor(eps: number, ...fs: number[]): number {
  return (ROUND_OFF * Math.max(...fs.map(Math.abs))) / eps;
}
