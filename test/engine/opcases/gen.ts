/** Seeded input makers shared by the op-case files of the registry walk. */
import { Random, Tensor } from "../../../src/engine";

export function makers(seed: number) {
  const rng = new Random(seed);
  const dim = (lo = 1, n = 4) => lo + rng.int(n);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const randT = (shape: number[], lo = -2, hi = 2) => {
    const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape);
    for (let i = 0; i < t.size; i++) t.data[i] = rng.range(lo, hi);
    return t;
  };
  /** Random values at least `gap` away from every point of `kinks`, so a central difference never straddles one. */
  const awayFrom = (shape: number[], kinks: readonly number[], lo = -2, hi = 2, gap = 0.1) => {
    const t = randT(shape, lo, hi);
    for (let i = 0; i < t.size; i++) {
      for (const k of kinks) if (Math.abs(t.data[i] - k) < gap) t.data[i] = k + (t.data[i] >= k ? gap : -gap);
    }
    return t;
  };
  /** Distinct values 0.37 apart: no ties, so max/min are smooth around them. */
  const distinct = (shape: number[]) => {
    const t = randT(shape);
    const perm = rng.permutation(t.size);
    for (let i = 0; i < t.size; i++) t.data[i] = (perm[i] - t.size / 2) * 0.37 + 0.01;
    return t;
  };
  /** A 0/1 tensor, 1 with probability p. */
  const bernoulli = (shape: number[], p: number) => {
    const t = randT(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform() < p ? 1 : 0;
    return t;
  };
  return { rng, dim, pick, randT, awayFrom, distinct, bernoulli };
}

export type Case = () => { f: (...xs: Tensor[]) => Tensor; inputs: Tensor[]; eps?: number };
export type KinkProbe = () => { f: (x: Tensor) => Tensor; at: number };
export type NonFiniteProbe = () => { f: (x: Tensor) => Tensor; input: number[] };
