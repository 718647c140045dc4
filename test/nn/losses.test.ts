/** softmaxCrossEntropy on extreme logits: finite and correct where the naive formula overflows. */
import { describe, expect, it } from "vitest";
import { tensor, ops } from "../../src/engine";
import { softmaxCrossEntropy } from "../../src/nn/losses";

describe("softmaxCrossEntropy", () => {
  const LOGITS = [[1000, -1000, 0], [-1000, 1000, 999]];
  const LABELS = [0, 2];

  it("is finite and exact on logits of ±1000, in value and gradient", () => {
    const logits = tensor(LOGITS, { requiresGrad: true });
    const loss = softmaxCrossEntropy(logits, tensor(LABELS));
    // By hand in float64: row 0: log Σ e^x = 1000 + log(1 + e^−2000 + e^−1000) = 1000, loss 0.
    // Row 1: 1000 + log(1 + e^−1 + e^−2000) − 999 = 1 + log1p(e^−1).
    const expected = (0 + 1 + Math.log1p(Math.exp(-1))) / 2;
    expect(Number.isFinite(loss.item())).toBe(true);
    expect(loss.item()).toBeCloseTo(expected, 12); // 1000 − 999 leaves ~1e-13 of rounding
    loss.backward();
    // ∂/∂x = (softmax − onehot)/N; row 1's softmax is [0, 1/(1+e^−1), e^−1/(1+e^−1)].
    const p1 = 1 / (1 + Math.exp(-1));
    const want = [0, 0, 0, 0, p1 / 2, (1 - p1 - 1) / 2];
    Array.from(logits.grad!.data).forEach((g, i) => expect(g).toBeCloseTo(want[i], 12));
  });

  it("while softmax-then-log on the same logits gives NaN and −Infinity", () => {
    const x = tensor(LOGITS);
    const e = ops.exp(x); // e^1000 = Infinity
    expect(e.data[0]).toBe(Infinity);
    const naiveSoftmax = ops.div(e, ops.sum(e, 1, true)); // Infinity / Infinity = NaN
    const logp = ops.log(naiveSoftmax);
    expect(Number.isNaN(logp.data[0])).toBe(true);
    expect(logp.data[1]).toBe(-Infinity); // log(0/Infinity)
    const naiveLoss = -(logp.data[0] + logp.data[5]) / 2;
    expect(Number.isFinite(naiveLoss)).toBe(false);
  });

  it("matches a float64 hand computation on ordinary logits", () => {
    const loss = softmaxCrossEntropy(tensor([[1, 2, 3]]), tensor([1])).item();
    expect(loss).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 2, 14);
  });
});
