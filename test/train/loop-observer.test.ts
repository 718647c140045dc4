/** Loop observers: process-wide observation of every training loop (NaN tracking of optimizer steps). */
import { describe, expect, it } from "vitest";
import { defineModel, losses, nn, optim, train, type Tensor } from "../../src";
import { addLoopObserver } from "../../src/train/loop";
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

/** Plain SGD that writes NaN into the last parameter on step `at` (the bug a custom optimizer can have). */
class Broken extends optim.SGD {
  n = 0;
  constructor(params: Tensor[], readonly at: number) { super(params, { lr: 0.1 }); }
  override step(): void {
    super.step();
    if (this.n++ === this.at) { const p = this.params[this.params.length - 1]; p.data[1] = NaN; }
  }
}

describe("addLoopObserver", () => {
  it("sees the start and every optimizer step, after the update and before the gradients are cleared", () => {
    const seen: Array<{ step: number; hasGrad: boolean }> = [];
    let started = 0;
    const remove = addLoopObserver({
      onStart: ({ params, totalSteps }) => { started = totalSteps; expect(params.length).toBe(4); },
      afterUpdate: (ctx) => void seen.push({ step: ctx.step, hasGrad: ctx.params.every(([, p]) => !!p.grad) }),
    });
    try {
      train(spec((p) => new optim.SGD(p, { lr: 0.1 })));
    } finally {
      remove();
    }
    expect(started).toBe(4);
    expect(seen).toEqual([0, 1, 2, 3].map((step) => ({ step, hasGrad: true })));
    // Removed: a later run is not observed.
    train(spec((p) => new optim.SGD(p, { lr: 0.1 })));
    expect(seen).toHaveLength(4);
  });

  it("NanTracker reports the optimizer step that made a parameter non-finite, with its class, layer and step", () => {
    const nan = new NanTracker().start();
    try {
      train(spec((p) => new Broken(p, 2), 3), { hooks: { beforeStep: (ctx) => void (nan.step = ctx.step) } });
    } finally {
      nan.stop();
    }
    expect(nan.origin).toMatchObject({ op: "Broken.step", phase: "update", step: 2, layer: "layers.2", parameter: "layers.2.bias", value: "NaN", nonFiniteCount: 1, outputShape: [2] });
    expect(Number.isFinite(nan.origin!.inputRanges[0].min)).toBe(true);
  });
});
