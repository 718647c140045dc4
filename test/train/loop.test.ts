/** The training loop: seeding, epochs and partial batches, augmentation, schedules, hooks, early stop. */
import { describe, expect, it } from "vitest";
import { addOpObserver, defineModel, losses, nn, ops, optim, Tensor, tensor, train, type ModelSpec, type StepContext } from "../../src";
import { spirals } from "../instrument/fixtures";

/** n examples whose single feature is the example's id, so a batch tells which examples it holds. */
const ids = (n: number) => ({ x: new Tensor(Float64Array.from({ length: n }, (_, i) => i), [n, 1]), y: new Tensor(Float64Array.from({ length: n }, (_, i) => i % 2), [n]) });

const base = (over: Partial<ModelSpec> = {}): ModelSpec => defineModel({
  name: "tiny",
  model: () => new nn.Sequential(new nn.Linear(1, 4), new nn.ReLU(), new nn.Linear(4, 2)),
  data: () => ids(10),
  loss: losses.softmaxCrossEntropy,
  optimizer: (p) => new optim.SGD(p, { lr: 0.01 }),
  batchSize: 4,
  seed: 1,
  ...over,
});

const batchIds = (b: { x: Tensor }) => Array.from(b.x.data);

describe("train", () => {
  it("is seeded: the same spec gives the same losses, another seed different ones", () => {
    const spec = defineModel({ ...base(), data: () => spirals(64), model: () => new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 2)), steps: 10 });
    const a = train(spec).losses;
    const b = train(spec).losses;
    const c = train({ ...spec, seed: 2 }).losses;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("iterates epochs of shuffled minibatches, keeping the last partial batch, each example once per epoch", () => {
    const seen: number[][] = [];
    const r = train(base({ epochs: 3 }), { hooks: { beforeStep: (ctx) => void seen.push(batchIds(ctx.batch)) } });
    expect(r.steps).toBe(9); // ceil(10 / 4) = 3 batches per epoch
    expect(seen.map((b) => b.length)).toEqual([4, 4, 2, 4, 4, 2, 4, 4, 2]);
    for (let e = 0; e < 3; e++) {
      expect(seen.slice(3 * e, 3 * e + 3).flat().sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    // Reshuffled each epoch (seeded), and not left in order.
    expect(seen[0]).not.toEqual(seen[3]);
    expect(seen.slice(0, 3).flat()).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const again: number[][] = [];
    train(base({ epochs: 3 }), { hooks: { beforeStep: (ctx) => void again.push(batchIds(ctx.batch)) } });
    expect(again).toEqual(seen);
  });

  it("shuffle: false keeps the order; options override steps and batch size", () => {
    const seen: number[][] = [];
    train(base({ shuffle: false }), { steps: 4, batchSize: 3, hooks: { beforeStep: (ctx) => void seen.push(batchIds(ctx.batch)) } });
    expect(seen).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  });

  it("applies augmentation to training batches only, and the schedule to the optimizer's lr", () => {
    const augmented: number[] = [];
    const lrs: number[] = [];
    const spec = base({
      data: () => ({ train: ids(8), validation: ids(4) }),
      steps: 4,
      augment: (batch, step) => {
        augmented.push(step);
        return { ...batch, x: ops.add(batch.x, 100) };
      },
      schedule: (step) => 0.1 / (step + 1),
    });
    const xs: number[][] = [];
    const r = train(spec, { hooks: { beforeStep: (ctx) => { xs.push(batchIds(ctx.batch)); lrs.push(ctx.optimizer.lr); } } });
    expect(augmented).toEqual([0, 1, 2, 3]);
    expect(xs.flat().every((v) => v >= 100)).toBe(true);
    expect(lrs).toEqual([0.1, 0.05, 0.1 / 3, 0.025]);
    // Validation ran once, after training, on the raw (un-augmented) split in eval mode.
    expect(r.validation).toBeDefined();
    expect(augmented).toHaveLength(4);
  });

  it("adds the regularizer to the loss", () => {
    const reg = (m: nn.Module) => losses.l2Penalty(m.parameters(), 0.5);
    const data: number[] = [];
    const r = train(base({ steps: 2, regularizer: reg }), { hooks: { afterBackward: (ctx) => void data.push(ctx.dataLoss) } });
    expect(r.losses[0]).toBeGreaterThan(data[0]);
  });

  it("observers: gradients exist after backward and before the step; afterStep sees the updated values; grads are cleared", () => {
    const events: string[] = [];
    let before: Float64Array[] = [];
    train(base({ steps: 2 }), {
      observers: [{
        beforeStep: (ctx) => {
          events.push(`before ${ctx.step}`);
          for (const [, p] of ctx.params) expect(p.grad).toBeNull();
        },
        afterBackward: (ctx) => {
          events.push(`backward ${ctx.step}`);
          for (const [, p] of ctx.params) expect(p.grad).not.toBeNull();
          before = ctx.params.map(([, p]) => Float64Array.from(p.data));
        },
        afterStep: (ctx) => {
          events.push(`step ${ctx.step}`);
          ctx.params.forEach(([, p], i) => {
            // SGD without momentum: w_new = w_old − lr·g exactly.
            const g = p.grad!.data;
            for (let j = 0; j < p.size; j++) expect(p.data[j]).toBe(before[i][j] - 0.01 * g[j]);
          });
        },
      }],
    });
    expect(events).toEqual(["before 0", "backward 0", "step 0", "before 1", "backward 1", "step 1"]);
  });

  it("computes accuracy for classification (task inferred from the loss) and none for regression", () => {
    const accs: Array<number | undefined> = [];
    const r = train(base({ steps: 3 }), { hooks: { afterBackward: (ctx: StepContext) => void accs.push(ctx.accuracy) } });
    expect(r.task).toBe("classification");
    expect(r.accuracies).toHaveLength(3);
    expect(accs.every((a) => a !== undefined && a >= 0 && a <= 1)).toBe(true);
    const reg = train(base({ steps: 3, loss: losses.mse, data: () => ({ x: ids(10).x, y: new Tensor(new Float64Array(20), [10, 2]) }) }));
    expect(reg.task).toBe("regression");
    expect(reg.accuracies).toBeUndefined();
  });

  it("accuracy is argmax against the labels", () => {
    // A model whose logits are its input: predictions are exactly known.
    class Identity extends nn.Module {
      readonly w = this.registerParameter("w", tensor([1]));
      forward(x: Tensor): Tensor { return ops.mul(x, this.w); }
    }
    const x = tensor([[2, 1], [0, 3], [5, 4], [1, 0]]);
    const y = tensor([0, 1, 1, 1]);
    const accs: number[] = [];
    train(defineModel({ name: "id", model: () => new Identity(), data: () => ({ x, y }), loss: losses.softmaxCrossEntropy, optimizer: (p) => new optim.SGD(p, { lr: 0 }), steps: 1, shuffle: false }), {
      hooks: { afterBackward: (ctx) => void accs.push(ctx.accuracy!) },
    });
    expect(accs).toEqual([0.5]);
  });

  it("stops when shouldStop says so, and on a non-finite loss without stepping", () => {
    let calls = 0;
    const r = train(base({ steps: 50 }), { shouldStop: () => ++calls > 5 });
    expect(r.steps).toBe(5);
    expect(r.reason).toBe("stopped");
    let stepped = 0;
    const nan = train(base({ steps: 10, loss: (p) => ops.mul(ops.sum(p), NaN) }), { hooks: { afterStep: () => void stepped++ } });
    expect(nan.reason).toBe("non-finite-loss");
    expect(nan.steps).toBe(1);
    expect(stepped).toBe(0);
  });

  it("calls the model through Module.call so ops record their layer", () => {
    const scopes = new Set<string | null>();
    const remove = addOpObserver({ forward: (e) => void scopes.add(e.scope) });
    try {
      train(base({ steps: 1 }));
    } finally {
      remove();
    }
    expect(scopes.has("layers.0")).toBe(true);
    expect(scopes.has("layers.2")).toBe(true);
  });
});
