/**
 * BatchNorm1d and LayerNorm: forward values against the textbook formulas worked by hand, gradients
 * (through the batch statistics) against central differences, and the train/eval difference.
 */
import { describe, expect, it } from "vitest";
import { Random, Tensor, tensor } from "../../src/engine";
import { BatchNorm1d, LayerNorm } from "../../src/nn";
import { checkAgainstNumeric } from "../helpers/numeric";

const rng = new Random(7);
function randT(shape: number[], lo = -2, hi = 2): Tensor {
  const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.range(lo, hi);
  return t;
}
const flat = (t: Tensor) => Array.from(t.data);

describe("BatchNorm1d", () => {
  // Columns: [1, 2, 6] has mean 3, biased var (4 + 1 + 9)/3 = 14/3; [2, 4, 0] has mean 2, var 8/3.
  const X = [[1, 2], [2, 4], [6, 0]];
  const eps = 1e-5;

  it("training: normalizes each feature with the batch mean and biased variance, then γ·x̂ + β", () => {
    const bn = new BatchNorm1d(2);
    bn.weight!.data.set([2, -1]);
    bn.bias!.data.set([0.5, 3]);
    const y = bn.call(tensor(X));
    const s0 = Math.sqrt(14 / 3 + eps);
    const s1 = Math.sqrt(8 / 3 + eps);
    const expected = X.flatMap(([a, b]) => [2 * (a - 3) / s0 + 0.5, -1 * (b - 2) / s1 + 3]);
    flat(y).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
  });

  it("updates running statistics with momentum 0.1 and the unbiased variance (PyTorch's)", () => {
    const bn = new BatchNorm1d(2);
    bn.call(tensor(X));
    flat(bn.runningMean).forEach((v, i) => expect(v).toBeCloseTo([0.9 * 0 + 0.1 * 3, 0.9 * 0 + 0.1 * 2][i], 14));
    // unbiased: (14/3)·3/2 = 7 and (8/3)·3/2 = 4
    flat(bn.runningVar).forEach((v, i) => expect(v).toBeCloseTo([0.9 * 1 + 0.1 * 7, 0.9 * 1 + 0.1 * 4][i], 14));
    bn.call(tensor(X));
    expect(bn.runningMean.data[0]).toBeCloseTo(0.9 * 0.3 + 0.1 * 3, 14);
    expect(bn.namedBuffers().map(([n]) => n)).toEqual(["runningMean", "runningVar"]);
    expect(bn.parameters()).toHaveLength(2);
  });

  it("eval: uses the running statistics, so one example's output does not depend on the batch", () => {
    const bn = new BatchNorm1d(2, { momentum: 0.5 });
    bn.call(tensor(X));
    bn.eval();
    const [rm0, rm1] = flat(bn.runningMean);
    const [rv0, rv1] = flat(bn.runningVar);
    expect([rm0, rm1, rv0, rv1]).toEqual([1.5, 1, 0.5 + 0.5 * 7, 0.5 + 0.5 * 4]);
    const alone = bn.call(tensor([[1, 2]]));
    const inBatch = bn.call(tensor(X));
    expect(flat(alone)).toEqual(flat(inBatch).slice(0, 2));
    expect(alone.data[0]).toBeCloseTo((1 - 1.5) / Math.sqrt(4 + eps), 14);
    // Eval does not touch the running statistics.
    expect(flat(bn.runningMean)).toEqual([1.5, 1]);
  });

  it("gradient w.r.t. input, γ and β matches central differences in training mode (through the batch mean and variance)", () => {
    const bn = new BatchNorm1d(3);
    bn.weight!.data.set([1.5, -0.7, 0.3]);
    bn.bias!.data.set([0.1, 0.2, -0.3]);
    const x = randT([5, 3]);
    const r = checkAgainstNumeric(() => bn.call(x), [x, bn.weight!, bn.bias!]);
    expect(r.worstExcess).toBeLessThanOrEqual(0);
    expect(r.maxRelError).toBeLessThan(1e-6);
  });

  it("gradient matches central differences in eval mode and for [N, C, L] input", () => {
    const bn = new BatchNorm1d(2);
    bn.call(randT([4, 2]));
    bn.eval();
    const x = randT([3, 2]);
    expect(checkAgainstNumeric(() => bn.call(x), [x, bn.weight!, bn.bias!]).worstExcess).toBeLessThanOrEqual(0);
    const bn3 = new BatchNorm1d(2);
    bn3.weight!.data.set([0.8, 1.3]);
    const x3 = randT([3, 2, 4]);
    expect(checkAgainstNumeric(() => bn3.call(x3), [x3, bn3.weight!, bn3.bias!]).worstExcess).toBeLessThanOrEqual(0);
  });

  it("[N, C, L]: statistics over the batch and length axes", () => {
    const bn = new BatchNorm1d(2, { affine: false });
    // Channel 0 values 1, 3, 5, 7 (mean 4, var 5); channel 1 all 2 (var 0 → output 0).
    const y = bn.call(tensor([[[1, 3], [2, 2]], [[5, 7], [2, 2]]]));
    const s = Math.sqrt(5 + eps);
    expect(flat(y).map((v) => +v.toFixed(12))).toEqual([-3 / s, -1 / s, 0, 0, 1 / s, 3 / s, 0, 0].map((v) => +v.toFixed(12)));
  });

  it("rejects a wrong feature count and a single example in training", () => {
    const bn = new BatchNorm1d(3);
    expect(() => bn.call(tensor([[1, 2]]))).toThrow(/BatchNorm1d 3.*\[1, 2\]/);
    expect(() => bn.call(tensor([[1, 2, 3]]))).toThrow(/more than 1 value per channel/);
  });
});

describe("LayerNorm", () => {
  it("normalizes each row with its own mean and biased variance, in training and eval alike", () => {
    const ln = new LayerNorm(3);
    ln.weight!.data.set([1, 2, 3]);
    ln.bias!.data.set([0, 0, 1]);
    // Row [1, 2, 6]: mean 3, var 14/3. Row [2, 2, 2]: var 0 → x̂ = 0.
    const x = tensor([[1, 2, 6], [2, 2, 2]]);
    const s = Math.sqrt(14 / 3 + 1e-5);
    const expected = [(1 - 3) / s, (2 * (2 - 3)) / s, (3 * (6 - 3)) / s + 1, 0, 0, 1];
    const y = ln.call(x);
    flat(y).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
    ln.eval();
    expect(flat(ln.call(x))).toEqual(flat(y));
  });

  it("gradient matches central differences, for 2-D and 3-D input", () => {
    const ln = new LayerNorm(4, { eps: 1e-3 });
    ln.weight!.data.set([0.5, -1, 2, 1]);
    ln.bias!.data.set([0.1, 0, -0.2, 0.3]);
    const x = randT([3, 4]);
    const r = checkAgainstNumeric(() => ln.call(x), [x, ln.weight!, ln.bias!]);
    expect(r.worstExcess).toBeLessThanOrEqual(0);
    expect(r.maxRelError).toBeLessThan(1e-6);
    const x3 = randT([2, 3, 4]);
    expect(checkAgainstNumeric(() => ln.call(x3), [x3, ln.weight!, ln.bias!]).worstExcess).toBeLessThanOrEqual(0);
  });

  it("without affine parameters it has none", () => {
    expect(new LayerNorm(3, { elementwiseAffine: false }).parameters()).toHaveLength(0);
    expect(() => new LayerNorm(3).call(tensor([[1, 2]]))).toThrow(/LayerNorm 3/);
  });
});
