/**
 * End-to-end learning: small MLPs trained with the library's own pieces (Linear, activations,
 * softmaxCrossEntropy, optimizers, batches) must reach the stated accuracy within the stated budget.
 * Everything is seeded, so the step counts are exact and repeatable; a regression in any backward rule,
 * init or optimizer shows up as a missed budget.
 */
import { describe, expect, it } from "vitest";
import { Random, noGrad, ops, type Tensor } from "../../src/engine";
import { BatchNorm1d, Dropout, LayerNorm, Linear, ReLU, Sequential, Tanh, type Module } from "../../src/nn";
import { softmaxCrossEntropy } from "../../src/nn/losses";
import { Adam, SGD, type Optimizer } from "../../src/optim";
import { batches, spirals, xor, type Dataset } from "../../src/data";

function accuracy(model: Module, ds: Dataset): number {
  return noGrad(() => {
    const pred = ops.argmax(model.call(ds.x), 1);
    let right = 0;
    for (let i = 0; i < pred.size; i++) if (pred.data[i] === ds.y.data[i]) right++;
    return right / pred.size;
  });
}

/** Full-batch or minibatch training until `target` accuracy on `ds`; returns the steps it took (or Infinity). */
function trainUntil(model: Module, opt: Optimizer, ds: Dataset, target: number, budget: number, batchSize?: number): number {
  let step = 0;
  for (let epoch = 0; step < budget; epoch++) {
    const epochBatches = batchSize ? batches(ds, { batchSize, seed: 1, epoch }) : [ds];
    for (const b of epochBatches) {
      opt.zeroGrad();
      const loss: Tensor = softmaxCrossEntropy(model.call(b.x), b.y);
      loss.backward();
      opt.step();
      step++;
      if (accuracy(model, ds) >= target) return step;
      if (step >= budget) break;
    }
  }
  return Infinity;
}

const mlp = (hidden: number, classes: number, seed: number, Act: new () => Module = Tanh) => {
  const rng = new Random(seed);
  return new Sequential(new Linear(2, hidden, { rng }), new Act(), new Linear(hidden, classes, { rng }));
};

describe("learning", () => {
  it("an MLP 2-8-2 (tanh) learns XOR's 4 points to 100% with SGD + momentum within 100 steps", () => {
    const model = mlp(8, 2, 3);
    const steps = trainUntil(model, new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), xor(), 1, 100);
    console.log(`XOR, SGD(lr 0.1, momentum 0.9): 100% after ${steps} steps`);
    expect(steps).toBeLessThanOrEqual(100);
  });

  it("the same MLP learns XOR to 100% with Adam within 50 steps", () => {
    const model = mlp(8, 2, 3);
    const steps = trainUntil(model, new Adam(model.parameters(), { lr: 0.05 }), xor(), 1, 50);
    console.log(`XOR, Adam(lr 0.05): 100% after ${steps} steps`);
    expect(steps).toBeLessThanOrEqual(50);
  });

  it("an MLP 2-64-64-3 (ReLU) fits 3-class spirals (300 points) to ≥ 90% train accuracy with Adam within 300 steps", () => {
    const rng = new Random(0);
    const model = new Sequential(new Linear(2, 64, { rng }), new ReLU(), new Linear(64, 64, { rng }), new ReLU(), new Linear(64, 3, { rng }));
    const ds = spirals({ n: 300, classes: 3, seed: 1 });
    const steps = trainUntil(model, new Adam(model.parameters(), { lr: 0.01 }), ds, 0.9, 300, 32);
    expect(steps).toBeLessThanOrEqual(300);
    // The set needs the hidden layers: a linear softmax classifier with the same budget stays far below.
    const linear = new Linear(2, 3, { rng: new Random(0) });
    expect(trainUntil(linear, new Adam(linear.parameters(), { lr: 0.01 }), ds, 0.9, 300, 32)).toBe(Infinity);
    expect(accuracy(linear, ds)).toBeLessThan(0.7);
  });

  it("a linear model cannot fit XOR (the test above needs its hidden layer)", () => {
    const linear = new Linear(2, 2, { rng: new Random(3) });
    expect(trainUntil(linear, new Adam(linear.parameters(), { lr: 0.05 }), xor(), 1, 300)).toBe(Infinity);
  });

  it("an MLP with BatchNorm1d, LayerNorm and Dropout trains on spirals; eval mode is deterministic and ≥ 90% accurate", () => {
    const rng = new Random(0);
    const model = new Sequential(
      new Linear(2, 64, { rng }), new BatchNorm1d(64), new ReLU(), new Dropout(0.1, { rng: new Random(1) }),
      new Linear(64, 64, { rng }), new LayerNorm(64), new ReLU(), new Linear(64, 3, { rng }),
    );
    const ds = spirals({ n: 300, classes: 3, seed: 1 });
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    let step = 0;
    for (let epoch = 0; step < 400; epoch++) {
      for (const b of batches(ds, { batchSize: 32, seed: 2, epoch })) {
        model.train();
        opt.zeroGrad();
        softmaxCrossEntropy(model.call(b.x), b.y).backward();
        opt.step();
        if (++step >= 400) break;
      }
    }
    model.eval();
    const first = noGrad(() => Array.from(model.call(ds.x).data));
    expect(noGrad(() => Array.from(model.call(ds.x).data))).toEqual(first);
    const acc = accuracy(model, ds);
    console.log(`spirals with BatchNorm1d + LayerNorm + Dropout, Adam, 400 steps: eval accuracy ${(acc * 100).toFixed(1)}%`);
    expect(acc).toBeGreaterThanOrEqual(0.9);
  });
});
