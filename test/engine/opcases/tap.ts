/** Gradient-check case for `tap` (the registry walk spreads it in): an identity whose backward passes the gradient through. */
import { observe, ops, type Observer } from "../../../src/engine";
import { makers, type Case, type KinkProbe, type NonFiniteProbe } from "./gen";

const { rng, randT } = makers(4411);

/** An observer listening to taps: without one, `tap` returns its input and the op never runs. */
const listener: Observer = { tap: () => {} };

/** Runs `fn` with a tap listener attached, so the taps inside it put the op on the tape. */
function recording<T>(fn: () => T): T {
  const detach = observe(listener);
  try {
    return fn();
  } finally {
    detach();
  }
}


export const cases: Record<string, Case> = {
  // Tapped twice on one path and once on a branch: the gradient must pass each tap unchanged and add up.
  tap: () => ({
    f: (x, w) => recording(() => {
      const h = ops.tap(ops.mul(x, w), "h");
      return ops.add(ops.tap(ops.tanh(h), "h"), ops.mul(ops.tap(x, "x"), h));
    }),
    inputs: [randT([2, 3]), randT([2, 3])],
  }),
};

export const kinkProbes: Record<string, KinkProbe> = {};
export const nonFiniteProbes: Record<string, NonFiniteProbe> = {};
