/** Augmentation (seeded by step) and standardization fitted on the training split only. */
import { describe, expect, it } from "vitest";
import { tensor, Tensor } from "../../src/engine";
import { composeTransforms, gaussianNoise, jitter, randomFlip, standardize, trainTestSplit, linearRegression, type Dataset } from "../../src/data";

const ones = (n: number, w: number): Dataset => ({ x: new Tensor(new Float64Array(n * w).fill(1), [n, w]), y: new Tensor(new Float64Array(n), [n]) });

describe("augmentation", () => {
  it("gaussianNoise adds N(0, std²) to inputs only, the same noise for the same (seed, step)", () => {
    const batch = ones(1000, 4);
    const aug = gaussianNoise(0.5, { seed: 1 });
    const a = aug(batch, 3);
    expect(a.y).toBe(batch.y);
    expect(Array.from(batch.x.data).every((v) => v === 1)).toBe(true); // input untouched
    let s = 0;
    let s2 = 0;
    for (const v of a.x.data) { s += v - 1; s2 += (v - 1) ** 2; }
    const n = a.x.size;
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.sqrt(s2 / n)).toBeGreaterThan(0.48);
    expect(Math.sqrt(s2 / n)).toBeLessThan(0.52);
    expect(Array.from(aug(batch, 3).x.data)).toEqual(Array.from(a.x.data));
    expect(Array.from(aug(batch, 4).x.data)).not.toEqual(Array.from(a.x.data));
    expect(Array.from(gaussianNoise(0.5, { seed: 2 })(batch, 3).x.data)).not.toEqual(Array.from(a.x.data));
  });

  it("jitter adds bounded uniform noise in [−scale, scale]", () => {
    const a = jitter(0.1, { seed: 1 })(ones(500, 2), 0);
    let max = 0;
    let min = 0;
    for (const v of a.x.data) { max = Math.max(max, v - 1); min = Math.min(min, v - 1); }
    expect(max).toBeLessThanOrEqual(0.1);
    expect(min).toBeGreaterThanOrEqual(-0.1);
    expect(max).toBeGreaterThan(0.09);
    expect(min).toBeLessThan(-0.09);
  });

  it("randomFlip negates the chosen columns only, about half the time; compose applies in order", () => {
    const a = randomFlip({ seed: 1, columns: [1] })(ones(400, 2), 0);
    let flipped = 0;
    for (let r = 0; r < 400; r++) {
      expect(a.x.data[2 * r]).toBe(1);
      expect(Math.abs(a.x.data[2 * r + 1])).toBe(1);
      if (a.x.data[2 * r + 1] === -1) flipped++;
    }
    expect(flipped).toBeGreaterThan(150);
    expect(flipped).toBeLessThan(250);
    const both = composeTransforms(randomFlip({ p: 1 }), jitter(0))(ones(2, 2), 0);
    expect(Array.from(both.x.data)).toEqual([-1, -1, -1, -1]);
  });
});

describe("standardize", () => {
  it("fits mean and population std on the training split only, and applies them to any split", () => {
    const train: Dataset = { x: tensor([[1, 10], [3, 10], [5, 10]]), y: tensor([0, 1, 0]) };
    const test: Dataset = { x: tensor([[100, 0]]), y: tensor([1]) };
    const s = standardize(train);
    // Column 0: mean 3, std √(8/3); column 1 is constant: std 1 (no division by zero).
    expect(Array.from(s.mean)).toEqual([3, 10]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 14);
    expect(s.std[1]).toBe(1);
    const t = s.transform(test);
    expect(t.x.data[0]).toBeCloseTo((100 - 3) / Math.sqrt(8 / 3), 12);
    expect(t.x.data[1]).toBe(-10);
    expect(t.y).toBe(test.y);
    // The test row's extreme value did not leak into the statistics.
    expect(Array.from(standardize(train).mean)).toEqual([3, 10]);
    const tr = s.transform(train);
    expect(tr.x.data[0] + tr.x.data[2] + tr.x.data[4]).toBeCloseTo(0, 14);
    expect(() => s.transform({ x: tensor([[1, 2, 3]]), y: tensor([0]) })).toThrow(/fitted on 2 features, got 3/);
  });

  it("after a split, the standardized training set has mean 0 and std 1 while the test set does not exactly", () => {
    const ds = linearRegression({ n: 200, features: 2, seed: 1 });
    const { train, test } = trainTestSplit(ds, 0.75, 1);
    const s = standardize(train);
    const z = s.transform(train).x;
    const zt = s.transform(test).x;
    const colMean = (t: Tensor, j: number) => { let m = 0; const n = t.shape[0]; for (let r = 0; r < n; r++) m += t.data[2 * r + j]; return m / n; };
    expect(colMean(z, 0)).toBeCloseTo(0, 12);
    expect(Math.abs(colMean(zt, 0))).toBeGreaterThan(1e-6);
  });
});
