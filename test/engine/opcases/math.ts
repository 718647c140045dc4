/** Registry-walk cases for erf, log1p, expm1, sin, cos, reciprocal, rsqrt and the step functions. */
import { ops } from "../../../src/engine";
import { makers, type Case, type KinkProbe, type NonFiniteProbe } from "./gen";

const { dim, randT, awayFrom } = makers(5522);
const integers = [-3, -2, -1, 0, 1, 2, 3, 4];

export const cases: Record<string, Case> = {
  erf: () => ({ f: (x) => ops.erf(x), inputs: [randT([dim(), dim()], -3.5, 3.5)] }),
  // Above −0.45 so the walk's snapped inputs (a grid of 0.5) stay inside log1p's domain.
  log1p: () => ({ f: (x) => ops.log1p(x), inputs: [randT([dim(), dim()], -0.45, 4)] }),
  expm1: () => ({ f: (x) => ops.expm1(x), inputs: [randT([dim(), dim()], -4, 4)] }),
  sin: () => ({ f: (x) => ops.sin(x), inputs: [randT([dim(), dim()], -4, 4)] }),
  cos: () => ({ f: (x) => ops.cos(x), inputs: [randT([dim(), dim()], -4, 4)] }),
  // |x| ≥ 0.3: snapped to the grid, negative entries land on −0.5 or below, never on 0.
  reciprocal: () => ({ f: (x) => ops.reciprocal(x), inputs: [awayFrom([dim(), dim()], [0], -3, 3, 0.3)] }),
  rsqrt: () => ({ f: (x) => ops.rsqrt(x), inputs: [randT([dim(), dim()], 0.2, 4)] }),
  // The step functions away from their jumps: the check confirms the gradient is exactly 0 there.
  sign: () => ({ f: (x) => ops.sign(x).mul(x), inputs: [awayFrom([dim(), dim()], [0])] }),
  floor: () => ({ f: (x) => ops.floor(x).add(x), inputs: [awayFrom([dim(), dim()], integers, -3, 4)] }),
  round: () => ({ f: (x) => ops.round(x).mul(x), inputs: [awayFrom([dim(), dim()], integers.map((k) => k + 0.5), -3, 4)] }),
};

export const kinkProbes: Record<string, KinkProbe> = {
  sign: () => ({ f: (x) => ops.sign(x), at: 0 }),
  floor: () => ({ f: (x) => ops.floor(x), at: 1 }),
  round: () => ({ f: (x) => ops.round(x), at: 0.5 }),
};

export const nonFiniteProbes: Record<string, NonFiniteProbe> = {
  log1p: () => ({ f: (x) => ops.log1p(x), input: [-1, 1] }),
  expm1: () => ({ f: (x) => ops.expm1(x), input: [800, 1] }),
  reciprocal: () => ({ f: (x) => ops.reciprocal(x), input: [0, 1] }),
  rsqrt: () => ({ f: (x) => ops.rsqrt(x), input: [0, 1] }),
};
