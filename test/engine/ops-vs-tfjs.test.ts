/**
 * The ops added for the model families, forward and gradient against TensorFlow.js (CPU backend) on
 * identical inputs, in both our dtypes. tfjs computes in float32, so agreement is to float32 precision;
 * the float64 gradients are also checked against central differences by the registry walk.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ops, Random, Tensor, type DType } from "../../src/engine";
// @ts-expect-error an untyped ES module shared with the benchmarks
import { loadTfjs } from "../../bench/load.mjs";

const rng = new Random(2024);
const randT = (shape: readonly number[], lo = -2, hi = 2) => {
  const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.range(lo, hi);
  return t;
};
/** Values kept `gap` away from the points where an op jumps or bends, where float32 and float64 may disagree on the side. */
const awayFrom = (shape: readonly number[], kinks: readonly number[], lo = -3, hi = 3, gap = 0.05) => {
  const t = randT(shape, lo, hi);
  for (let i = 0; i < t.size; i++) for (const k of kinks) if (Math.abs(t.data[i] - k) < gap) t.data[i] = k + (t.data[i] >= k ? gap : -gap);
  return t;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Tf = any;
let tf: Tf;
beforeAll(async () => {
  tf = await loadTfjs(process.cwd());
  await tf.setBackend("cpu");
}, 60_000);

/** Worst |a − b| / max(1, |b|). */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return w;
}

/**
 * Runs `ours` and `theirs` on the same inputs in each dtype; the loss is Σ y·r with fixed random r, so
 * every output entry's gradient is compared. Returns nothing: asserts forward and gradients within `tol`.
 */
function compare(
  name: string,
  inputs: Tensor[],
  ours: (...xs: Tensor[]) => Tensor,
  theirs: (...xs: unknown[]) => unknown,
  { tol = 2e-5, grads = true } = {},
): void {
  for (const dtype of ["float64", "float32"] as DType[]) {
    const xs = inputs.map((t) => new Tensor(dtype === "float32" ? Float32Array.from(t.data) : Float64Array.from(t.data), t.shape, grads));
    const y = ours(...xs);
    expect(y.dtype, `${name} ${dtype}`).toBe(dtype);
    const r = randT(y.shape).cast(dtype);
    const txs = inputs.map((t) => tf.tensor(Array.from(t.data), t.shape));
    const tr = tf.tensor(Array.from(r.data), r.shape);
    const ty = theirs(...txs) as { shape: number[]; dataSync(): Float32Array };
    expect(y.shape, `${name}: shape`).toEqual(ty.shape);
    expect(worst(y.data, ty.dataSync()), `${name} ${dtype}: forward`).toBeLessThan(tol);
    if (!grads) continue;
    y.mul(r).sum().backward();
    const tgrads = tf.grads((...a: unknown[]) => tf.sum(tf.mul(theirs(...a), tr)))(txs) as Array<{ dataSync(): Float32Array }>;
    xs.forEach((x, i) => {
      expect(x.grad, `${name} ${dtype}: input ${i} got no gradient`).toBeTruthy();
      expect(x.grad!.dtype).toBe(dtype);
      expect(worst(x.grad!.data, tgrads[i].dataSync()), `${name} ${dtype}: gradient of input ${i}`).toBeLessThan(tol);
    });
  }
}

describe("elementwise ops against TensorFlow.js", () => {
  const x = () => randT([3, 5], -3, 3);
  it("elu (alpha 1), selu, relu6, hardTanh, logSigmoid", () => {
    compare("elu", [awayFrom([3, 5], [0])], (a) => ops.elu(a), (a) => tf.elu(a));
    compare("selu", [awayFrom([3, 5], [0])], (a) => ops.selu(a), (a) => tf.selu(a));
    compare("relu6", [awayFrom([4, 5], [0, 6], -3, 9)], (a) => ops.relu6(a), (a) => tf.relu6(a));
    compare("hardTanh", [awayFrom([4, 5], [-1, 1])], (a) => ops.hardTanh(a), (a) => tf.clipByValue(a, -1, 1));
    compare("hardTanh(-0.5, 2)", [awayFrom([4, 5], [-0.5, 2])], (a) => ops.hardTanh(a, -0.5, 2), (a) => tf.clipByValue(a, -0.5, 2));
    compare("logSigmoid", [randT([3, 5], -20, 20)], (a) => ops.logSigmoid(a), (a) => tf.logSigmoid(a));
  });

  it("gelu, both forms, against their formulas written with tfjs ops (tfjs has no gelu)", () => {
    const c = Math.sqrt(2 / Math.PI);
    compare("gelu exact", [randT([3, 5], -4, 4)], (a) => ops.gelu(a), (a) => tf.mul(tf.mul(a, 0.5), tf.add(1, tf.erf(tf.mul(a, Math.SQRT1_2)))));
    compare("gelu tanh", [randT([3, 5], -4, 4)], (a) => ops.gelu(a, { approximate: "tanh" }),
      (a) => tf.mul(tf.mul(a, 0.5), tf.add(1, tf.tanh(tf.mul(c, tf.add(a, tf.mul(0.044715, tf.pow(a, 3))))))));
  });

  it("erf, log1p, expm1, sin, cos, reciprocal, rsqrt", () => {
    compare("erf", [x()], (a) => ops.erf(a), (a) => tf.erf(a));
    compare("log1p", [randT([3, 5], -0.9, 5)], (a) => ops.log1p(a), (a) => tf.log1p(a));
    compare("expm1", [x()], (a) => ops.expm1(a), (a) => tf.expm1(a));
    compare("sin", [x()], (a) => ops.sin(a), (a) => tf.sin(a));
    compare("cos", [x()], (a) => ops.cos(a), (a) => tf.cos(a));
    compare("reciprocal", [awayFrom([3, 5], [0], -3, 3, 0.3)], (a) => ops.reciprocal(a), (a) => tf.reciprocal(a), { tol: 1e-4 });
    compare("rsqrt", [randT([3, 5], 0.3, 5)], (a) => ops.rsqrt(a), (a) => tf.rsqrt(a));
  });

  it("sign, floor, round (halves to even) with zero gradients", () => {
    const steps = new Tensor(Float64Array.from([-2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.5, 3.5, -0.7, 0.2, 1.99, -3.01]), [3, 4]);
    compare("sign", [steps], (a) => ops.sign(a), (a) => tf.sign(a));
    compare("floor", [steps], (a) => ops.floor(a), (a) => tf.floor(a));
    compare("round", [steps], (a) => ops.round(a), (a) => tf.round(a));
    expect(Array.from(ops.round(steps).data)).toEqual([-2, -2, -0, 0, 0, 2, 2, 4, -1, 0, 2, -3]);
  });

  it("where and maskedFill with broadcasting", () => {
    const cond = randT([1, 4]).gt(0);
    const tcond = () => tf.tensor(Array.from(cond.data), cond.shape, "bool");
    compare("where", [randT([3, 4]), randT([3, 1])], (a, b) => ops.where(cond, a, b), (a, b) => tf.where(tf.broadcastTo(tcond(), [3, 4]), a, tf.broadcastTo(b, [3, 4])));
    compare("maskedFill", [randT([3, 4])], (a) => ops.maskedFill(a, cond, -7), (a) => tf.where(tf.broadcastTo(tcond(), [3, 4]), tf.fill([3, 4], -7), a));
  });
});

describe("reductions against TensorFlow.js", () => {
  it("min over one axis, several axes and all (distinct values)", () => {
    const d = () => {
      const t = randT([3, 4, 2]);
      const perm = rng.permutation(t.size);
      for (let i = 0; i < t.size; i++) t.data[i] = (perm[i] - 12) * 0.31;
      return t;
    };
    compare("min(1)", [d()], (a) => ops.min(a, 1), (a) => tf.min(a, 1));
    compare("min([0, 2], keepDims)", [d()], (a) => ops.min(a, [0, 2], true), (a) => tf.min(a, [0, 2], true));
    compare("min()", [d()], (a) => ops.min(a), (a) => tf.min(a));
  });

  it("prod, with zeros in the input", () => {
    // tf.prod's gradient calls a chained method this core-only bundle does not register, so the tfjs
    // side multiplies the unstacked slices (tf.mul's gradient is exact with zeros).
    const tfProd = (axis: number, keep: boolean) => (a: unknown) => {
      const p = (tf.unstack(a, axis) as unknown[]).reduce((acc, t) => tf.mul(acc, t));
      return keep ? tf.expandDims(p, axis) : p;
    };
    compare("prod(-1)", [randT([3, 4], 0.5, 1.5)], (a) => ops.prod(a, -1), tfProd(1, false));
    compare("prod(-1) forward, tf.prod", [randT([3, 4], 0.5, 1.5)], (a) => ops.prod(a, -1), (a) => tf.prod(a, 1), { grads: false });
    const z = randT([4, 3]);
    z.data[0] = 0; // row 0: one zero
    z.data[6] = 0; z.data[8] = 0; // row 2: two zeros
    compare("prod(1) with zeros", [z], (a) => ops.prod(a, 1), tfProd(1, false));
    compare("prod(0, keepDims) with zeros", [z], (a) => ops.prod(a, 0, true), tfProd(0, true));
  });

  it("cumsum along each axis", () => {
    compare("cumsum(2)", [randT([2, 3, 4])], (a) => ops.cumsum(a, 2), (a) => tf.cumsum(a, 2));
    // tfjs's cumsum gradient mixes up shapes off the last axis of a 3-d tensor: move the axis last there.
    const along = (axis: number) => (a: unknown) => {
      const perm = axis === 0 ? [1, 2, 0] : [0, 2, 1];
      const back = axis === 0 ? [2, 0, 1] : [0, 2, 1];
      return tf.transpose(tf.cumsum(tf.transpose(a, perm), 2), back);
    };
    for (const axis of [0, 1]) compare(`cumsum(${axis})`, [randT([2, 3, 4])], (a) => ops.cumsum(a, axis), along(axis));
  });
});

/** Reflect padding in tfjs without mirrorPad: per axis, reversed slices on either side of the edge entry. */
function reflectFromSlices(a: unknown, pads: number[][]): unknown {
  let t = a as { shape: number[] };
  pads.forEach(([before, after], axis) => {
    const dim = t.shape[axis];
    const part = (start: number, size: number) => {
      const begin = t.shape.map((_, i) => (i === axis ? start : 0));
      const sizes = t.shape.map((d, i) => (i === axis ? size : d));
      return tf.reverse(tf.slice(t, begin, sizes), axis);
    };
    const pieces = [];
    if (before) pieces.push(part(1, before));
    pieces.push(t);
    if (after) pieces.push(part(dim - 1 - after, after));
    t = tf.concat(pieces, axis);
  });
  return t;
}

describe("layout ops against TensorFlow.js", () => {
  it("pad: constant (last axis first, as F.pad) and reflect", () => {
    // F.pad's [left, right, top, bottom] is tf.pad's [[0,0], [top, bottom], [left, right]].
    compare("pad constant", [randT([2, 3, 4])], (a) => ops.pad(a, [1, 2, 0, 3], { value: 0.5 }), (a) => tf.pad(a, [[0, 0], [0, 3], [1, 2]], 0.5));
    const reflectPads = [[0, 0], [2, 2], [3, 1]];
    compare("pad reflect", [randT([2, 3, 4])], (a) => ops.pad(a, [3, 1, 2, 2], { mode: "reflect" }), (a) => tf.mirrorPad(a, reflectPads, "reflect"), { grads: false });
    // tf.mirrorPad's gradient only slices the centre out (the mirrored copies' gradient is dropped), so
    // the gradient reference is reflect padding built from tfjs's slice, reverse and concat.
    compare("pad reflect, gradient", [randT([2, 3, 4])], (a) => ops.pad(a, [3, 1, 2, 2], { mode: "reflect" }), (a) => reflectFromSlices(a, reflectPads));
    compare("pad all axes", [randT([2, 3])], (a) => ops.pad(a, [1, 0, 2, 1]), (a) => tf.pad(a, [[2, 1], [1, 0]]));
  });

  it("tile and repeat", () => {
    compare("tile", [randT([2, 3])], (a) => ops.tile(a, [3, 2]), (a) => tf.tile(a, [3, 2]));
    compare("repeat", [randT([2, 3])], (a) => ops.repeat(a, [2, 1, 2]), (a) => tf.tile(tf.reshape(a, [1, 2, 3]), [2, 1, 2]));
  });

  it("stack, split, chunk, flatten", () => {
    compare("stack", [randT([2, 3]), randT([2, 3])], (a, b) => ops.stack([a, b, a], 1), (a, b) => tf.stack([a, b, a], 1));
    compare("split sizes", [randT([3, 7])], (a) => ops.concat(ops.split(a, [2, 4, 1], 1).map((p, i) => p.mul(i + 1)), 1),
      (a) => tf.concat(tf.split(a, [2, 4, 1], 1).map((p: unknown, i: number) => tf.mul(p, i + 1)), 1));
    // chunk(x, 3) of a 6-axis is tf.split into 3 equal pieces.
    compare("chunk", [randT([6, 2])], (a) => ops.concat(ops.chunk(a, 3, 0).map((p, i) => p.mul(i + 1)), 0),
      (a) => tf.concat(tf.split(a, 3, 0).map((p: unknown, i: number) => tf.mul(p, i + 1)), 0));
    compare("flatten", [randT([2, 3, 4])], (a) => ops.flatten(a, 1), (a) => tf.reshape(a, [2, 12]));
  });

  it("oneHot (no gradient)", () => {
    const idx = new Tensor(Float64Array.from([2, 0, 3, 3, 1, 0]), [2, 3]);
    const ours = ops.oneHot(idx, 5);
    expect(ours.shape).toEqual([2, 3, 5]);
    expect(Array.from(ours.data)).toEqual(Array.from(tf.oneHot(tf.tensor(Array.from(idx.data), idx.shape, "int32"), 5).dataSync()));
  });
});

describe("softmax and logSoftmax against TensorFlow.js", () => {
  it("unmasked, and masked as −Infinity-filled logits (rows with an open entry)", () => {
    compare("softmax", [randT([3, 5], -4, 4)], (a) => ops.softmax(a), (a) => tf.softmax(a));
    compare("logSoftmax", [randT([3, 5], -4, 4)], (a) => ops.logSoftmax(a), (a) => tf.logSoftmax(a));
    const mask = new Tensor(Float64Array.from([0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1]), [3, 5]);
    const tmask = () => tf.tensor(Array.from(mask.data), mask.shape, "bool");
    // tfjs has no mask argument: fill masked logits with a large negative number, whose softmax is 0 in float32.
    compare("masked softmax", [randT([3, 5], -4, 4)], (a) => ops.softmax(a, -1, mask), (a) => tf.softmax(tf.where(tmask(), tf.fill([3, 5], -1e4), a)));
  });
});
