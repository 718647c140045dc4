/** Gradient-check cases, kink probes and non-finite probes for the convolution and pooling ops (the registry walk spreads them in). */
import { ops } from "../../../src/engine";
import { makers, type Case, type KinkProbe, type NonFiniteProbe } from "./gen";

const { rng, dim, pick, randT, distinct } = makers(9902);

export const cases: Record<string, Case> = {
  conv2d: () => {
    const groups = pick([1, 1, 2, 3]);
    const cg = dim(1, 2), og = dim(1, 2);
    const kh = dim(1, 3), kw = dim(1, 3);
    const stride = pick([1, 2, [1, 2] as [number, number]]);
    const dilation = pick([1, 1, 2]);
    const padding = stride === 1 && rng.uniform() < 0.3 ? "same" as const : pick([0, 1, [1, 0] as [number, number]]);
    const x = randT([dim(1, 2), cg * groups, dim(5, 3), dim(5, 3)]);
    const w = randT([og * groups, cg, kh, kw]);
    const b = randT([og * groups]);
    return { f: (xx, ww, bb) => ops.conv2d(xx, ww, bb, { stride, padding, dilation, groups }), inputs: [x, w, b] };
  },
  convTranspose2d: () => {
    const groups = pick([1, 1, 2]);
    const cg = dim(1, 2), og = dim(1, 2);
    const kh = dim(1, 3), kw = dim(1, 3);
    const stride = pick([1, 2, [2, 1] as [number, number]]);
    const dilation = pick([1, 1, 2]);
    const [sh, sw] = typeof stride === "number" ? [stride, stride] : stride;
    // outputPadding must stay below max(stride, dilation) in each dimension.
    const outputPadding: [number, number] = [rng.int(Math.max(sh, dilation)), rng.int(Math.max(sw, dilation))];
    const padding = pick([0, 1, [1, 0] as [number, number]]);
    const x = randT([dim(1, 2), cg * groups, dim(3, 2), dim(3, 2)]); // ≥ 3 rows: padding 1 still leaves an output
    const w = randT([cg * groups, og, kh, kw]);
    const b = randT([og * groups]);
    return { f: (xx, ww, bb) => ops.convTranspose2d(xx, ww, bb, { stride, padding, outputPadding, dilation, groups }), inputs: [x, w, b] };
  },
  conv1d: () => {
    const groups = pick([1, 2]);
    const c = groups * dim(1, 2), o = groups * dim(1, 2), k = dim(1, 3);
    const stride = pick([1, 2]);
    const padding = stride === 1 && rng.uniform() < 0.3 ? "same" as const : pick([0, 1, 2]);
    const x = randT([dim(1, 2), c, dim(5, 4)]);
    const dilation = pick([1, 2]);
    return { f: (xx, ww) => ops.conv1d(xx, ww, null, { stride, padding, dilation, groups }), inputs: [x, randT([o, c / groups, k])] };
  },
  maxPool2d: () => {
    const k = dim(2, 2);
    const options = { stride: pick([1, 2, k]), padding: pick([0, 1]) };
    return { f: (x) => ops.maxPool2d(x, k, options), inputs: [distinct([dim(1, 2), dim(1, 2), dim(3, 4), dim(3, 4)])] };
  },
  maxPool1d: () => {
    const k = dim(2, 2);
    const options = { stride: pick([1, 2]), padding: pick([0, 1]) };
    return { f: (x) => ops.maxPool1d(x, k, options), inputs: [distinct([dim(1, 2), dim(1, 2), dim(3, 5)])] };
  },
  avgPool2d: () => {
    const k = dim(2, 2);
    const options = { stride: pick([1, 2, [2, 1] as [number, number]]), padding: pick([0, 1]), countIncludePad: rng.uniform() < 0.5 };
    return { f: (x) => ops.avgPool2d(x, [k, 2], options), inputs: [randT([dim(1, 2), dim(1, 2), dim(3, 4), dim(3, 4)])] };
  },
  avgPool1d: () => {
    const options = { stride: pick([1, 2]), padding: pick([0, 1]), countIncludePad: rng.uniform() < 0.5 };
    return { f: (x) => ops.avgPool1d(x, 3, options), inputs: [randT([dim(1, 2), dim(1, 2), dim(3, 5)])] };
  },
  adaptiveAvgPool2d: () => {
    const out = pick([1, 2, [3, 2] as [number, number]]);
    return { f: (x) => ops.adaptiveAvgPool2d(x, out), inputs: [randT([dim(1, 2), dim(1, 2), dim(3, 4), dim(3, 4)])] };
  },
};

/** Entry 0 next to a tie with entry 1 (= 2) in one window. */
export const kinkProbes: Record<string, KinkProbe> = {
  maxPool2d: () => ({ f: (x) => ops.maxPool2d(x.reshape([1, 1, 1, 2]), [1, 2]), at: 2 }),
  maxPool1d: () => ({ f: (x) => ops.maxPool1d(x.reshape([1, 1, 2]), 2), at: 2 }),
};

export const nonFiniteProbes: Record<string, NonFiniteProbe> = {};



