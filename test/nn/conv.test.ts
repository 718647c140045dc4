/** Convolution, pooling and image-normalization layers: shapes, PyTorch's default init, statistics, and a CNN that learns. */
import { describe, expect, it } from "vitest";
import { Random, Tensor } from "../../src/engine";
import { AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, BatchNorm2d, Conv1d, Conv2d, Flatten, GroupNorm, Linear, MaxPool1d, MaxPool2d, ReLU, Sequential } from "../../src/nn";
import { softmaxCrossEntropy } from "../../src/nn/losses";
import { Adam } from "../../src/optim";

const rng = new Random(5);
const randT = (shape: number[]) => {
  const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal(0, 1) * 3 + 1;
  return t;
};

describe("conv layers", () => {
  it("Conv2d: shapes and PyTorch's default init bound 1/√(in/groups·kH·kW)", () => {
    const conv = new Conv2d(4, 8, 3, { padding: 1, groups: 2, rng: new Random(1) });
    expect(conv.weight.shape).toEqual([8, 2, 3, 3]);
    expect(conv.bias!.shape).toEqual([8]);
    const bound = 1 / Math.sqrt(2 * 9);
    const w = Array.from(conv.weight.data);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(conv.call(randT([2, 4, 5, 6])).shape).toEqual([2, 8, 5, 6]);
    expect(new Conv2d(3, 5, [3, 1], { stride: 2, bias: false }).call(randT([1, 3, 9, 4])).shape).toEqual([1, 5, 4, 2]);
  });

  it("Conv1d, pooling and Flatten shapes", () => {
    const x = randT([2, 3, 10]);
    expect(new Conv1d(3, 6, 3, { padding: "same" }).call(x).shape).toEqual([2, 6, 10]);
    expect(new MaxPool1d(2).call(x).shape).toEqual([2, 3, 5]);
    expect(new AvgPool1d(3, { stride: 1, padding: 1 }).call(x).shape).toEqual([2, 3, 10]);
    const img = randT([2, 3, 8, 8]);
    expect(new MaxPool2d(2).call(img).shape).toEqual([2, 3, 4, 4]);
    expect(new AvgPool2d(3, { stride: 2, padding: 1 }).call(img).shape).toEqual([2, 3, 4, 4]);
    expect(new AdaptiveAvgPool2d(1).call(img).shape).toEqual([2, 3, 1, 1]);
    expect(new Flatten().call(img).shape).toEqual([2, 192]);
    expect(new Flatten(2).call(img).shape).toEqual([2, 3, 64]);
  });
});

describe("image normalization", () => {
  it("BatchNorm2d normalizes each channel over N, H, W in training and updates running statistics", () => {
    const bn = new BatchNorm2d(3);
    const x = randT([4, 3, 5, 5]);
    const y = bn.call(x);
    for (let c = 0; c < 3; c++) {
      const vals: number[] = [];
      for (let n = 0; n < 4; n++) for (let p = 0; p < 25; p++) vals.push(y.data[(n * 3 + c) * 25 + p]);
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
      expect(Math.abs(m)).toBeLessThan(1e-12);
      expect(v).toBeCloseTo(1, 3);
    }
    expect(bn.runningMean.data[0]).not.toBe(0);
    expect(bn.kind).toBe("BatchNorm2d");
    expect(() => bn.call(randT([4, 3, 5]))).toThrow(/BatchNorm2d/);
  });

  it("GroupNorm normalizes each example's channel group, with per-channel affine parameters", () => {
    const gn = new GroupNorm(2, 4);
    expect(gn.weight!.shape).toEqual([4]);
    const x = randT([2, 4, 3, 3]);
    const y = gn.call(x);
    // Group (n=1, g=1) is channels 2 and 3 of example 1: 18 contiguous values.
    const start = (1 * 4 + 2) * 9;
    const xs = Array.from(x.data.slice(start, start + 18));
    const m = xs.reduce((a, b) => a + b, 0) / 18;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / 18;
    for (let i = 0; i < 18; i++) expect(y.data[start + i]).toBeCloseTo((xs[i] - m) / Math.sqrt(v + 1e-5), 10);
  });
});

describe("a small CNN learns", () => {
  it("2×(conv3×3 + ReLU + maxpool) + linear fits a vertical-vs-horizontal bar task", () => {
    const r = new Random(3);
    const n = 32;
    const x = new Tensor(new Float64Array(n * 8 * 8), [n, 1, 8, 8]);
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const cls = i % 2, at = 1 + r.int(6);
      for (let j = 0; j < 8; j++) x.data[i * 64 + (cls ? at * 8 + j : j * 8 + at)] = 1;
      for (let j = 0; j < 64; j++) x.data[i * 64 + j] += r.normal(0, 0.1);
      labels.push(cls);
    }
    const model = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, rng: r }), new ReLU(), new MaxPool2d(2),
      new Conv2d(4, 4, 3, { padding: 1, rng: r }), new ReLU(), new MaxPool2d(2),
      new Flatten(), new Linear(16, 2, { rng: r }),
    );
    const opt = new Adam(model.parameters(), { lr: 0.03 });
    const y = new Tensor(Float64Array.from(labels), [n]);
    let first = 0, last = 0;
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      const loss = softmaxCrossEntropy(model.call(x), y);
      loss.backward();
      opt.step();
      if (step === 0) first = loss.item();
      last = loss.item();
    }
    expect(last).toBeLessThan(0.2 * first);
  });
});
