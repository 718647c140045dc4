/**
 * The model-family ops on hand-worked values and edge cases the random walks do not reach: erf and
 * exact GELU against published values, prod's gradient with zeros, pad modes on a small row, split and
 * chunk sizes, the index convention's errors, masked softmax with a fully masked row, float32 results.
 */
import { describe, expect, it } from "vitest";
import { addOpObserver, ops, tensor, Tensor } from "../../src/engine";
import { softmaxCrossEntropy } from "../../src/nn/losses";

const arr = (t: Tensor) => Array.from(t.data);

describe("erf and GELU", () => {
  it("erf matches published values to float64 precision", () => {
    // erf values from Abramowitz & Stegun table 7.1 / high-precision references.
    const ref: Array<[number, number]> = [[0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014], [-1.5, -0.9661051464753108]];
    const y = ops.erf(tensor(ref.map(([x]) => x)));
    ref.forEach(([, v], i) => expect(Math.abs(y.data[i] - v)).toBeLessThan(2e-16 + 2e-16 * Math.abs(v)));
    expect(arr(ops.erf(tensor([0, 7, -7, Infinity])))).toEqual([0, 1, -1, 1]);
  });

  it("exact GELU is x·Φ(x); the tanh form differs by under 5e-4; default is exact (PyTorch's)", () => {
    // x·Φ(x): Φ(1) = 0.8413447460685429, Φ(−1) = 0.15865525393145707, Φ(2) = 0.9772498680518208.
    const x = tensor([1, -1, 2, 0, -10]);
    const exact = ops.gelu(x);
    const expected = [0.8413447460685429, -0.15865525393145707, 1.9544997361036416, 0, -7.619853024160526e-23];
    expected.forEach((v, i) => expect(Math.abs(exact.data[i] - v)).toBeLessThan(1e-15 + 1e-13 * Math.abs(v)));
    expect(arr(ops.gelu(x, { approximate: "none" }))).toEqual(arr(exact));
    const approx = ops.gelu(x, { approximate: "tanh" });
    expect(approx.data[0]).toBeCloseTo(0.8411919906082768, 15);
    const grid = tensor(Array.from({ length: 161 }, (_, i) => -8 + i * 0.1));
    const gap = Math.max(...arr(ops.gelu(grid)).map((v, i) => Math.abs(v - ops.gelu(grid, { approximate: "tanh" }).data[i])));
    expect(gap).toBeGreaterThan(1e-4);
    expect(gap).toBeLessThan(5e-4);
    expect(() => ops.gelu(x, { approximate: "fast" as "tanh" })).toThrow(/approximate/);
  });
});

describe("elementwise edge cases", () => {
  it("logSigmoid stays finite where log(sigmoid(x)) is −Infinity", () => {
    const y = ops.logSigmoid(tensor([-800, 0, 800]));
    expect(arr(y)).toEqual([-800, -Math.LN2, 0]);
    expect(ops.log(ops.sigmoid(tensor([-800]))).data[0]).toBe(-Infinity);
  });

  it("hardTanh and relu6 pass no gradient at their bounds (PyTorch's rule); clamp does", () => {
    const x = tensor([-1, 1, 0.5, 0, 6, 3], { requiresGrad: true });
    ops.add(ops.hardTanh(ops.slice(x, 0, 0, 3)).sum(), ops.relu6(ops.slice(x, 0, 3)).sum()).backward();
    expect(arr(x.grad!)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(() => ops.hardTanh(x, 1, 1)).toThrow(/min 1 must be below max 1/);
  });

  it("elu, selu at hand-computed points", () => {
    expect(arr(ops.elu(tensor([-1, 2]), 0.5))).toEqual([0.5 * Math.expm1(-1), 2]);
    const s = ops.selu(tensor([1, -1]));
    expect(s.data[0]).toBeCloseTo(1.0507009873554805, 15);
    expect(s.data[1]).toBeCloseTo(-1.1113307378125628, 15);
  });

  it("sign, floor and round keep the graph and pass back zeros", () => {
    const x = tensor([-1.5, 0.5, 2.5, 0.3], { requiresGrad: true });
    ops.add(ops.add(ops.sign(x), ops.floor(x)), ops.round(x)).sum().backward();
    expect(arr(x.grad!)).toEqual([0, 0, 0, 0]);
    expect(arr(ops.round(x))).toEqual([-2, 0, 2, 0]);
    expect(arr(ops.floor(x))).toEqual([-2, 0, 2, 0]);
    expect(arr(ops.sign(tensor([-3, 0, 2])))).toEqual([-1, 0, 1]);
  });
});

describe("reductions", () => {
  it("min: the first minimal entry gets the gradient; NaN propagates", () => {
    const x = tensor([[3, 1, 1], [2, 5, 2]], { requiresGrad: true });
    const y = ops.min(x, 1);
    expect(arr(y)).toEqual([1, 2]);
    y.sum().backward();
    expect(arr(x.grad!)).toEqual([0, 1, 0, 1, 0, 0]);
    expect(ops.min(tensor([1, NaN, 0])).data[0]).toBeNaN();
    expect(ops.min(tensor([[4, -2], [0, 7]]), 0, true).shape).toEqual([1, 2]);
  });

  it("prod's gradient with no zero, one zero and two zeros in a group", () => {
    const x = tensor([[2, 3, 4], [2, 0, 4], [0, 3, 0]], { requiresGrad: true });
    const y = ops.prod(x, 1);
    expect(arr(y)).toEqual([24, 0, 0]);
    y.sum().backward();
    expect(arr(x.grad!)).toEqual([12, 8, 6, 0, 8, 0, 0, 0, 0]);
    expect(ops.prod(tensor([[1, 2], [3, 4]])).item()).toBe(24);
  });

  it("cumsum and its gradient (running sums from the other end)", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const y = ops.cumsum(x, 1);
    expect(arr(y)).toEqual([1, 3, 6, 4, 9, 15]);
    y.mul(tensor([[1, 10, 100], [1, 1, 1]])).sum().backward();
    expect(arr(x.grad!)).toEqual([111, 110, 100, 3, 2, 1]);
    expect(arr(ops.cumsum(x, 0))).toEqual([1, 2, 3, 5, 7, 9]);
  });
});

describe("layout", () => {
  const row = tensor([[1, 2, 3, 4]]);
  it("pad: each mode on one row, last axis first as F.pad", () => {
    expect(arr(ops.pad(row, [2, 1], { value: 9 }))).toEqual([9, 9, 1, 2, 3, 4, 9]);
    expect(arr(ops.pad(row, [2, 1], { mode: "reflect" }))).toEqual([3, 2, 1, 2, 3, 4, 3]);
    expect(arr(ops.pad(row, [2, 1], { mode: "replicate" }))).toEqual([1, 1, 1, 2, 3, 4, 4]);
    expect(arr(ops.pad(row, [2, 1], { mode: "circular" }))).toEqual([3, 4, 1, 2, 3, 4, 1]);
    expect(arr(ops.pad(row, [-1, -1]))).toEqual([2, 3]);
    const p = ops.pad(row, [0, 0, 1, 0]);
    expect(p.shape).toEqual([2, 4]);
    expect(arr(p)).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
    expect(() => ops.pad(row, [4, 0], { mode: "reflect" })).toThrow(/below the axis size/);
    expect(() => ops.pad(row, [1, 0, 0])).toThrow(/pairs/);
  });

  it("pad: a reflected entry's gradient adds up every copy", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    ops.pad(x, [2, 2], { mode: "reflect" }).sum().backward(); // 3 2 [1 2 3] 2 1
    expect(arr(x.grad!)).toEqual([2, 3, 2]);
  });

  it("tile and repeat (Tensor.repeat = tile; it needs a repetition per axis)", () => {
    const x = tensor([[1, 2]]);
    expect(arr(ops.tile(x, [2, 2]))).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(ops.tile(x, [3]).shape).toEqual([1, 6]);
    expect(ops.repeat(x, [2, 1, 1]).shape).toEqual([2, 1, 2]);
    expect(() => ops.repeat(x, [2])).toThrow(/one per axis/);
  });

  it("stack, split, chunk, flatten", () => {
    const a = tensor([1, 2]), b = tensor([3, 4]);
    expect(arr(ops.stack([a, b], 1))).toEqual([1, 3, 2, 4]);
    expect(ops.stack([a, b], -1).shape).toEqual([2, 2]);
    expect(() => ops.stack([a, tensor([1])])).toThrow(/differ/);
    const x = tensor([0, 1, 2, 3, 4, 5, 6]);
    expect(ops.split(x, 3).map((t) => t.shape[0])).toEqual([3, 3, 1]);
    expect(ops.split(x, [2, 5]).map(arr)).toEqual([[0, 1], [2, 3, 4, 5, 6]]);
    expect(() => ops.split(x, [2, 2])).toThrow(/adding up to 7/);
    expect(ops.chunk(tensor([0, 1, 2, 3, 4, 5]), 4).map((t) => t.shape[0])).toEqual([2, 2, 2]);
    expect(ops.chunk(x, 3).map((t) => t.shape[0])).toEqual([3, 3, 1]);
    const z = new Tensor(new Float64Array(24), [2, 3, 4]);
    expect(ops.flatten(z).shape).toEqual([24]);
    expect(ops.flatten(z, 1).shape).toEqual([2, 12]);
    expect(ops.flatten(z, 0, 1).shape).toEqual([6, 4]);
    expect(z.flatten(-2).shape).toEqual([2, 12]);
  });
});

describe("index convention: indices are integral floats", () => {
  it("oneHot builds rows in the indices' dtype, infers numClasses, and has no gradient", () => {
    const idx = tensor([2, 0, 1], { requiresGrad: true });
    const y = ops.oneHot(idx, 4);
    expect(arr(y)).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
    expect(y.requiresGrad).toBe(false);
    expect(ops.oneHot(tensor([3, 1])).shape).toEqual([2, 4]);
    expect(ops.oneHot(tensor([1]).cast("float32"), 2).dtype).toBe("float32");
  });

  it("names a non-integral or out-of-range index in every op that reads indices", () => {
    expect(() => ops.oneHot(tensor([0, 1.5]), 3)).toThrow("oneHot: index 1.5 is not an integer");
    expect(() => ops.oneHot(tensor([3]), 3)).toThrow("oneHot: index 3 is out of range for an axis of size 3 (valid: 0…2)");
    expect(() => ops.oneHot(tensor([-1]))).toThrow("oneHot: index -1 is negative");
    expect(() => ops.gather(tensor([1, 2, 3]), [0.5])).toThrow("gather: index 0.5 is not an integer");
    expect(() => ops.gather(tensor([1, 2, 3]), [NaN])).toThrow("gather: index NaN is not an integer");
    const logits = tensor([[0, 1], [1, 0]]);
    expect(() => softmaxCrossEntropy(logits, tensor([0, 2]))).toThrow(/index 2 is out of range for an axis of size 2/);
    expect(() => softmaxCrossEntropy(logits, tensor([0, 0.5]))).toThrow(/index 0.5 is not an integer/);
    expect(softmaxCrossEntropy(logits, tensor([1, 0])).item()).toBeCloseTo(Math.log(1 + Math.exp(-1)), 14);
  });
});

describe("maskedFill and masked softmax", () => {
  it("maskedFill broadcasts the mask and blocks the gradient of filled entries", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const y = ops.maskedFill(x, tensor([1, 0, 1]), -1);
    expect(arr(y)).toEqual([-1, 2, -1, -1, 5, -1]);
    y.sum().backward();
    expect(arr(x.grad!)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(() => ops.maskedFill(x, tensor([[1], [0], [1]]), 0)).toThrow(/maskedFill: shapes \[3, 1\] and \[2, 3\]/);
    // A mask may not grow x: the result keeps x's shape, as masked_fill.
    expect(() => ops.maskedFill(tensor([1, 2, 3]), x, 0)).toThrow("maskedFill: a mask of shape [2, 3] does not broadcast to x's [3]");
  });

  it("masked entries get probability 0; a fully masked row is all zeros with zero gradient, no NaN", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const mask = tensor([[0, 1, 0], [1, 1, 1]]);
    const p = ops.softmax(x, -1, mask);
    const e = Math.exp(2);
    expect(p.data[0]).toBeCloseTo(1 / (1 + e), 15);
    expect(p.data[1]).toBe(0);
    expect(p.data[2]).toBeCloseTo(e / (1 + e), 15);
    expect(arr(p).slice(3)).toEqual([0, 0, 0]);
    const lp = ops.logSoftmax(x, -1, mask);
    expect(arr(lp).slice(3)).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(lp.data[1]).toBe(-Infinity);
    p.mul(tensor([[1, 2, 3], [4, 5, 6]])).sum().backward();
    expect(arr(x.grad!).every(Number.isFinite)).toBe(true);
    expect(arr(x.grad!).slice(1, 2).concat(arr(x.grad!).slice(3))).toEqual([0, 0, 0, 0]);
    // Unmasked entries: ∂/∂x_i Σ w_j p_j = p_i (w_i − Σ w_j p_j) over the open entries 0 and 2.
    const p0 = 1 / (1 + e), p2 = e / (1 + e), wbar = 1 * p0 + 3 * p2;
    expect(x.grad!.data[0]).toBeCloseTo(p0 * (1 - wbar), 14);
    expect(x.grad!.data[2]).toBeCloseTo(p2 * (3 - wbar), 14);
    // A mask that only names keys broadcasts over the rows, as a key padding mask.
    expect(arr(ops.softmax(tensor([[0, 0], [5, 1]]), -1, tensor([0, 1])))).toEqual([1, 0, 1, 0]);
  });

  it("masked softmax makes no op output non-finite from finite inputs (the NaN tracker stays quiet)", () => {
    const bad: string[] = [];
    const stop = addOpObserver({
      forward: (e) => {
        const finiteIn = e.inputs.every((t) => Array.from(t.data).every(Number.isFinite));
        if (finiteIn && !Array.from(e.output.data).every(Number.isFinite)) bad.push(e.op);
      },
    });
    try {
      ops.softmax(tensor([[1, 2], [3, 4]]), -1, tensor([[1, 1], [0, 1]]));
    } finally {
      stop();
    }
    expect(bad).toEqual([]);
  });
});

describe("float32 in, float32 out", () => {
  it("every new op keeps float32", () => {
    const x = tensor([[0.5, 1.5, 2], [0.25, 3, 1]]).cast("float32");
    const outs: Tensor[] = [
      ops.elu(x), ops.selu(x), ops.relu6(x), ops.hardTanh(x), ops.logSigmoid(x), ops.erf(x), ops.log1p(x), ops.expm1(x),
      ops.sin(x), ops.cos(x), ops.reciprocal(x), ops.rsqrt(x), ops.sign(x), ops.floor(x), ops.round(x), ops.gelu(x),
      ops.min(x, 1), ops.prod(x), ops.cumsum(x, 0), ops.pad(x, [1, 1]), ops.tile(x, [2]), ops.repeat(x, [1, 2]),
      ops.stack([x, x]), ...ops.split(x, 1, 1), ...ops.chunk(x, 2), ops.flatten(x), ops.oneHot(ops.floor(x), 4),
      ops.maskedFill(x, tensor([1, 0, 0]), 0), ops.softmax(x, -1, tensor([1, 0, 0])), ops.logSoftmax(x, 0, tensor([0, 0, 1])),
    ];
    for (const y of outs) expect(y.dtype).toBe("float32");
    expect(ops.erf(x).data[0]).toBeCloseTo(0.5204998778130465, 6);
  });
});
