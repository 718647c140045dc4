/** Registry-walk cases for the activations (elu, selu, relu6, hardTanh, logSigmoid, both GELU forms). */
import { ops } from "../../../src/engine";
import { makers, type Case, type KinkProbe, type NonFiniteProbe } from "./gen";

const { dim, pick, randT, awayFrom } = makers(4411);

export const cases: Record<string, Case> = {
  elu: () => {
    const alpha = pick([1, 0.5, 1.3]);
    return { f: (x) => ops.elu(x, alpha), inputs: [awayFrom([dim(), dim()], [0], -4, 3)] };
  },
  selu: () => ({ f: (x) => ops.selu(x), inputs: [awayFrom([dim(), dim(), dim()], [0], -4, 3)] }),
  relu6: () => ({ f: (x) => ops.relu6(x), inputs: [awayFrom([dim(), dim()], [0, 6], -3, 9)] }),
  hardTanh: () => {
    const [lo, hi] = pick([[-1, 1], [-0.5, 0.8], [0, 2]]);
    return { f: (x) => ops.hardTanh(x, lo, hi), inputs: [awayFrom([dim(), dim()], [lo, hi], -3, 3)] };
  },
  logSigmoid: () => ({ f: (x) => ops.logSigmoid(x), inputs: [randT([dim(), dim()], -8, 8)] }),
  // Both forms in one case, so each trial checks the exact and the tanh derivative.
  gelu: () => ({ f: (x) => ops.concat([ops.gelu(x), ops.gelu(x, { approximate: "tanh" })]), inputs: [randT([dim()], -5, 5)] }),
};

export const kinkProbes: Record<string, KinkProbe> = {
  elu: () => ({ f: (x) => ops.elu(x, 0.5), at: 0 }),
  selu: () => ({ f: (x) => ops.selu(x), at: 0 }),
  relu6: () => ({ f: (x) => ops.relu6(x), at: 6 }),
  hardTanh: () => ({ f: (x) => ops.hardTanh(x), at: -1 }),
};

export const nonFiniteProbes: Record<string, NonFiniteProbe> = {};
