/**
 * The one instrumentation surface: a plain observer object attached with `observe` receives the op,
 * module, loop and optimizer events of a training step in order, and the recorder's ‖Δw‖/‖w‖, built
 * from the optimizer's update events, equals the update worked by hand from the published rules.
 */
import { describe, expect, it } from "vitest";
import { createTrainer, defineModel, inspect, losses, nn, observe, optim, Recorder, tensor, train, type Observer, type StepContext } from "../../src";
import { listening } from "../../src/engine";

const data = () => ({ x: tensor([[1, 2], [-1, 0.5], [0.3, -2], [2, 1]]), y: tensor([0, 1, 1, 0]) });

const spec = (optimizer: (p: ReturnType<nn.Module["parameters"]>) => optim.Optimizer, steps = 1) => defineModel({
  name: "tiny",
  model: () => new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 2)),
  data,
  loss: losses.softmaxCrossEntropy,
  optimizer,
  batchSize: 4,
  steps,
  shuffle: false,
  seed: 3,
});

/** An observer that logs every event it receives, one line each. */
function logger(log: string[]): Observer {
  return {
    forward: (e) => void log.push(`forward ${e.op} ${e.scope}`),
    backward: (e) => void log.push(`backward ${e.op} ${e.scope}`),
    module: (e) => void log.push(`module ${e.module.path}`),
    beforeStep: (s) => void log.push(`beforeStep ${s.step}`),
    afterBackward: (s) => void log.push(`afterBackward ${s.step}`),
    update: (e) => void log.push(`update ${e.param.name}`),
    afterStep: (s) => void log.push(`afterStep ${s.step}`),
  };
}

describe("the recorder listens to per-op, per-module and per-update events on recorded steps only", () => {
  it("elsewhere nobody listens, so optimizers skip measuring their updates; stop() ends it however the run ended", () => {
    const steps = 7;
    const trainer = createTrainer(spec((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }), steps));
    const recorder = new Recorder({ kind: "every", interval: 3 }, steps);
    recorder.attach(trainer.model, trainer.model.namedParameters());
    const heard: string[] = [];
    const probe: Observer = {
      afterBackward: (ctx) => heard.push(`${ctx.step}:${["module", "backward", "update"].map((e) => (listening(e as "module") ? 1 : 0)).join("")}`),
    };
    const detach = observe(recorder, probe);
    try {
      while (trainer.next()) { /* train */ }
    } finally {
      detach();
      recorder.stop();
    }
    expect(heard).toEqual(["0:111", "1:000", "2:000", "3:111", "4:000", "5:000", "6:111"]);
    expect([...recorder.stats.keys()]).toEqual([0, 3, 6]);
    // Update ratios were measured on the recorded steps.
    for (const s of [0, 3, 6]) expect(recorder.stats.get(s)!.find((l) => l.name === "layers.0")!.updateRatio).toBeGreaterThan(0);
    expect(["module", "backward", "update", "tap"].some((e) => listening(e as "module"))).toBe(false);
  });
});

describe("one observer surface", () => {
  it("a custom observer receives op, module, loop and optimizer events of one step, in order", () => {
    const log: string[] = [];
    const detach = observe(logger(log));
    try {
      train(spec((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })));
    } finally {
      detach();
    }
    // The loader's batch gathers come before the step.
    expect(log.slice(log.indexOf("beforeStep 0"))).toEqual([
      "beforeStep 0",
      "forward matmul layers.0", "forward add layers.0", "module layers.0",
      "forward relu layers.1", "module layers.1",
      "forward matmul layers.2", "forward add layers.2", "module layers.2",
      "module model",
      "forward reshape null", "forward takeAlong null", "forward logSumExp null", "forward sub null", "forward mean null",
      "backward mean null", "backward sub null", "backward takeAlong null", "backward logSumExp null",
      "backward add layers.2", "backward matmul layers.2", "backward relu layers.1", "backward add layers.0", "backward matmul layers.0",
      "afterBackward 0",
      "update layers.0.weight", "update layers.0.bias", "update layers.2.weight", "update layers.2.bias",
      "afterStep 0",
    ]);
    // Detached: a later run reaches nobody.
    const before = log.length;
    train(spec((p) => new optim.SGD(p, { lr: 0.1 })));
    expect(log.length).toBe(before);
  });

  it("observers attach and detach as a set; a run's own observers see its StepContext and only its steps", () => {
    const a: string[] = [], b: string[] = [];
    const detach = observe(logger(a), logger(b));
    detach();
    detach(); // idempotent
    train(spec((p) => new optim.SGD(p, { lr: 0.1 })));
    expect(a).toEqual([]);
    expect(b).toEqual([]);

    const lrs: number[] = [];
    const run: Observer<StepContext> = { afterBackward: (ctx) => void lrs.push(ctx.lr, ctx.batch.x.shape[0]) };
    train(spec((p) => new optim.SGD(p, { lr: 0.25 }), 2), { observers: [run] });
    expect(lrs).toEqual([0.25, 4, 0.25, 4]);
    const log: string[] = [];
    train(spec((p) => new optim.SGD(p, { lr: 0.1 }), 1), { observers: [logger(log)] });
    expect(log.filter((l) => !l.startsWith("forward") && !l.startsWith("backward") && !l.startsWith("module"))).toEqual([
      "beforeStep 0", "afterBackward 0", "update layers.0.weight", "update layers.0.bias", "update layers.2.weight", "update layers.2.bias", "afterStep 0",
    ]);
    // Attached for the step only: its batch gathers first, nothing after the step.
    expect(log[0]).toBe("forward gather null");
    expect(log[log.length - 1]).toBe("afterStep 0");
  });

  /**
   * Runs `steps` steps with a recorder attached and, beside it, an observer that keeps each step's
   * gradients and pre-step weights; `rule` turns those into the expected Δw per tensor, by hand.
   */
  function recordedAgainstHand(
    make: (p: ReturnType<nn.Module["parameters"]>) => optim.Optimizer,
    rule: (g: number[][], state: number[][][], step: number) => number[][],
    steps = 3,
  ): void {
    const trainer = createTrainer(spec(make, steps));
    const names = trainer.model.namedParameters().map(([n]) => n);
    const recorder = new Recorder({ kind: "every", interval: 1 }, steps);
    recorder.attach(trainer.model, trainer.model.namedParameters());
    const grads: number[][][] = [], weights: number[][][] = [];
    const keep: Observer = {
      afterBackward: (ctx) => {
        grads.push(ctx.params.map(([, p]) => Array.from(p.grad!.data)));
        weights.push(ctx.params.map(([, p]) => Array.from(p.data)));
      },
    };
    const detach = observe(recorder, keep);
    try {
      while (trainer.next()) { /* train */ }
    } finally {
      detach();
    }
    expect(trainer.result().steps).toBe(steps);
    const state: number[][][] = [];
    for (let t = 0; t < steps; t++) {
      const delta = rule(grads[t], state, t + 1);
      const layers = recorder.stats.get(t)!;
      ["layers.0", "layers.2"].forEach((name) => {
        const layer = layers.find((l) => l.name === name)!;
        let d2 = 0, w2 = 0;
        layer.params!.forEach((p) => {
          const i = names.indexOf(p.name);
          const dt = delta[i].reduce((s, d) => s + d * d, 0);
          const wt = weights[t][i].reduce((s, w) => s + w * w, 0);
          expect(p.weightNorm).toBeCloseTo(Math.sqrt(wt), 12);
          expect(p.updateRatio).toBeCloseTo(Math.sqrt(dt / wt), 12);
          expect(p.updateRatio).toBeGreaterThan(0);
          d2 += dt;
          w2 += wt;
        });
        expect(layer.updateRatio).toBeCloseTo(Math.sqrt(d2 / w2), 12);
      });
    }
  }

  it("the recorder's ‖Δw‖/‖w‖ equals a hand computation for SGD with momentum", () => {
    const lr = 0.1, mu = 0.9;
    recordedAgainstHand((p) => new optim.SGD(p, { lr, momentum: mu }), (g, v) => g.map((gi, i) => {
      // v ← μv + g; Δw = −lr·v
      v[i] ??= [gi.map(() => 0)];
      const vi = v[i][0];
      return gi.map((gj, j) => -lr * (vi[j] = mu * vi[j] + gj));
    }));
  });

  it("the recorder's ‖Δw‖/‖w‖ equals a hand computation for Adam", () => {
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    recordedAgainstHand((p) => new optim.Adam(p, { lr }), (g, st, t) => g.map((gi, i) => {
      // m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; Δw = −lr·m̂/(√v̂ + eps)
      st[i] ??= [gi.map(() => 0), gi.map(() => 0)];
      const [m, v] = st[i];
      return gi.map((gj, j) => {
        m[j] = b1 * m[j] + (1 - b1) * gj;
        v[j] = b2 * v[j] + (1 - b2) * gj * gj;
        return (-lr * (m[j] / (1 - b1 ** t))) / (Math.sqrt(v[j] / (1 - b2 ** t)) + eps);
      });
    }));
  });

  it("inspect attaches the recorder and the NaN tracker as observers and detaches both", async () => {
    let seen = 0;
    const r = await inspect(spec((p) => new optim.Adam(p, { lr: 0.01 }), 2), { gradcheck: false, onProgress: () => void (seen += listening("update") ? 1 : 0) });
    expect(r.steps[1].layers.find((l) => l.name === "layers.0")!.updateRatio).toBeGreaterThan(0);
    expect(seen).toBe(2);
    for (const event of ["forward", "backward", "module", "beforeStep", "afterBackward", "update", "afterStep"] as const) expect(listening(event)).toBe(false);
  });
});
