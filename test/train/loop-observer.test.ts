/** The loop's events reach every attached observer (NaN tracking of optimizer steps among them). */
import { describe, expect, it } from "vitest";
import { defineModel, losses, nn, observe, optim, train, type Tensor } from "../../src";
import type { FloatArray } from "../../src/engine";
import { NanTracker } from "../../src/instrument/nan";
import { spirals } from "../instrument/fixtures";

const spec = (optimizer: (p: Tensor[]) => optim.Optimizer, steps = 4) => defineModel({
  name: "tiny",
  model: () => new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 2)),
  data: () => spirals(32),
  loss: losses.softmaxCrossEntropy,
  optimizer,
  batchSize: 8,
  steps,
  seed: 1,
});

/** A custom update rule (plain SGD) that writes NaN into the last parameter on step `at` (the bug a custom optimizer can have). */
class Broken extends optim.BaseOptimizer {
  constructor(params: Tensor[], readonly at: number) { super(params, 0.1); }
  protected update(p: Tensor, g: FloatArray, i: number): void {
    for (let j = 0; j < p.size; j++) p.data[j] -= this.lr * g[j];
    if (this.t - 1 === this.at && i === this.params.length - 1) p.data[1] = NaN;
  }
}

describe("loop events", () => {
  it("an attached observer sees every optimizer step, after the update and before the gradients are cleared", () => {
    const seen: Array<{ step: number; hasGrad: boolean }> = [];
    const remove = observe({
      afterStep: (ctx) => void seen.push({ step: ctx.step, hasGrad: ctx.params.every(([, p]) => !!p.grad) }),
    });
    try {
      train(spec((p) => new optim.SGD(p, { lr: 0.1 })));
    } finally {
      remove();
    }
    expect(seen).toEqual([0, 1, 2, 3].map((step) => ({ step, hasGrad: true })));
    // Removed: a later run is not observed.
    train(spec((p) => new optim.SGD(p, { lr: 0.1 })));
    expect(seen).toHaveLength(4);
  });

  it("NanTracker reports the optimizer step that made a parameter non-finite, with its class, layer and step", () => {
    const nan = new NanTracker().start();
    try {
      train(spec((p) => new Broken(p, 2), 3));
    } finally {
      nan.stop();
    }
    expect(nan.origin).toMatchObject({ op: "Broken.step", phase: "update", step: 2, layer: "layers.2", parameter: "layers.2.bias", value: "NaN", nonFiniteCount: 1, outputShape: [2] });
    expect(Number.isFinite(nan.origin!.inputRanges[0].min)).toBe(true);
  });
});
