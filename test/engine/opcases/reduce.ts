/** Registry-walk cases for min, prod and cumsum. */
import { ops } from "../../../src/engine";
import { makers, type Case, type KinkProbe, type NonFiniteProbe } from "./gen";

const { rng, dim, pick, randT, distinct } = makers(6633);

export const cases: Record<string, Case> = {
  min: () => {
    const axis = pick([undefined, 0, 1, -1, [0, 2]]);
    return { f: (x) => ops.min(x, axis, rng.uniform() < 0.5), inputs: [distinct([dim(), dim(2, 3), dim()])] };
  },
  // Exact zeros in the input (a quarter of the entries): the rule for one zero and for several in a group.
  prod: () => {
    const x = randT([dim(), dim(), dim()], -1.8, 1.8);
    for (let i = 0; i < x.size; i++) if (rng.uniform() < 0.25) x.data[i] = 0;
    const axis = pick([undefined, 1, -1, [0, 2]]);
    return { f: (t) => ops.prod(t, axis, true), inputs: [x] };
  },
  cumsum: () => {
    const axis = pick([0, 1, -1]);
    return { f: (x) => ops.cumsum(x, axis), inputs: [randT([dim(), dim(), dim()])] };
  },
};

export const kinkProbes: Record<string, KinkProbe> = {
  min: () => ({ f: (x) => ops.min(x, 0), at: 2 }),
};

export const nonFiniteProbes: Record<string, NonFiniteProbe> = {
  prod: () => ({ f: (x) => ops.prod(ops.tile(x, [200])), input: [100, 2] }),
};
