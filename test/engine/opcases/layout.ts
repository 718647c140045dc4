/** Registry-walk cases for pad, tile, repeat, stack, split, chunk, flatten (oneHot has no gradient). */
import { ops, type Tensor } from "../../../src/engine";
import { makers, type Case, type KinkProbe, type NonFiniteProbe } from "./gen";

const { rng, dim, pick, randT } = makers(7744);
/** Pieces weighted differently and joined again, so a gradient sent to the wrong piece shows. */
const rejoin = (pieces: Tensor[], axis: number) => ops.concat(pieces.map((p, i) => p.mul(i + 1)), axis);

export const cases: Record<string, Case> = {
  pad: () => {
    const mode = pick(["constant", "reflect", "replicate", "circular"] as const);
    const x = randT([dim(), dim(3, 3), dim(3, 3)]);
    const p = () => (mode === "constant" ? rng.int(4) - 1 : rng.int(3));
    const pads = rng.uniform() < 0.5 ? [p(), p()] : [p(), p(), p(), p()];
    return { f: (t) => ops.pad(t, pads, mode === "constant" ? { value: 0.7 } : { mode }), inputs: [x] };
  },
  tile: () => {
    const reps = pick([[2, 1], [1, 3], [2, 2, 1], [3]]);
    return { f: (x) => ops.tile(x, reps), inputs: [randT([dim(), dim()])] };
  },
  repeat: () => ({ f: (x) => ops.repeat(x, [2, 1, 3]), inputs: [randT([dim(), dim()])] }),
  stack: () => {
    const shape = [dim(), dim()];
    const axis = pick([0, 1, 2, -1]);
    return { f: (a, b) => ops.stack([a, b, a], axis), inputs: [randT(shape), randT(shape)] };
  },
  split: () => {
    const axis = pick([0, 1]);
    const x = randT([dim(2, 3), dim(2, 3)]);
    const n = x.shape[axis];
    const sizes = rng.uniform() < 0.5 ? 1 + rng.int(n) : [1, n - 1];
    return { f: (t) => rejoin(ops.split(t, sizes, axis), axis), inputs: [x] };
  },
  chunk: () => {
    const axis = pick([0, -1]);
    const n = 1 + rng.int(4);
    return { f: (t) => rejoin(ops.chunk(t, n, axis), axis), inputs: [randT([dim(2, 4), dim(2, 4)])] };
  },
  flatten: () => {
    const [s, e] = pick([[0, -1], [1, 2], [0, 1], [-2, -1]]);
    return { f: (x) => ops.flatten(x, s, e).mul(ops.flatten(x, s, e)), inputs: [randT([dim(), dim(), dim()])] };
  },
};

export const nonDifferentiable = ["oneHot"];
export const kinkProbes: Record<string, KinkProbe> = {};
export const nonFiniteProbes: Record<string, NonFiniteProbe> = {};
