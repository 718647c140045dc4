/** data.digits(): a deterministic NCHW image set that a small CNN can learn and that generalizes to its test split. */
import { describe, expect, it } from "vitest";
import { Random, noGrad } from "../../src/engine";
import { digits } from "../../src/data";
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from "../../src/nn";
import { softmaxCrossEntropy } from "../../src/nn/losses";
import { Adam } from "../../src/optim";

describe("data.digits", () => {
  it("is NCHW, seeded, with all ten classes in both splits", () => {
    const a = digits({ n: 200, nTest: 100, seed: 4 });
    const b = digits({ n: 200, nTest: 100, seed: 4 });
    expect(a.train.x.shape).toEqual([200, 1, 8, 8]);
    expect(a.test.x.shape).toEqual([100, 1, 8, 8]);
    expect(a.validation).toBe(a.test);
    expect(Array.from(a.train.x.data)).toEqual(Array.from(b.train.x.data));
    expect(Array.from(digits({ n: 200, seed: 5 }).train.x.data)).not.toEqual(Array.from(a.train.x.data));
    for (const split of [a.train, a.test]) expect(new Set(split.y.data).size).toBe(10);
  });

  it("a small CNN trained on the train split classifies the test split", () => {
    const { train, test } = digits({ n: 300, nTest: 200, seed: 1 });
    const r = new Random(2);
    const model = new Sequential(new Conv2d(1, 8, 3, { padding: 1, rng: r }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(128, 10, { rng: r }));
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      softmaxCrossEntropy(model.call(train.x), train.y).backward();
      opt.step();
    }
    const pred = noGrad(() => model.call(test.x).argmax(1));
    let correct = 0;
    for (let i = 0; i < 200; i++) correct += pred.data[i] === test.y.data[i] ? 1 : 0;
    expect(correct / 200).toBeGreaterThan(0.85);
  });
});
