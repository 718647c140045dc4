/**
 * Modules called many times per step through `inspect`: a recurrent layer is one layer in the report, its
 * parameters' gradients summed over time and checked; an activation module called once per time step has
 * statistics over every call, not only the last.
 */
import { describe, expect, it } from "vitest";
import { Tensor, data, defineModel, inspect, losses, nn, ops, optim } from "../../src";

/** The last time step of a (batch, time, hidden) sequence. */
class LastStep extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.reshape(ops.slice(x, 1, -1), [x.shape[0], x.shape[2]]);
  }
}

/** A hand-written Elman cell whose tanh is a child module called once per time step. */
class HandRNN extends nn.Module {
  readonly inProj = new nn.Linear(2, 4);
  readonly recur = new nn.Linear(4, 4, { bias: false });
  readonly act = new nn.Tanh();
  /** Every tanh output of the last forward, to compare with the recorder's statistics. */
  outputs: Tensor[] = [];
  forward(x: Tensor): Tensor {
    const [batch, time] = x.shape;
    let h = new Tensor(new Float64Array(batch * 4), [batch, 4]);
    this.outputs = [];
    for (let t = 0; t < time; t++) {
      const xt = ops.reshape(ops.slice(x, 1, t, t + 1), [batch, 2]);
      h = this.act.call(ops.add(this.inProj.call(xt), this.recur.call(h)));
      this.outputs.push(h);
    }
    return h;
  }
}

const adding = () => data.addingProblem({ n: 64, length: 8, seed: 1 });

describe("recurrent modules through inspect", () => {
  it("an LSTM is one layer with its parameter count; the gradient check over time passes", async () => {
    const spec = defineModel({
      name: "lstm",
      model: () => new nn.Sequential(new nn.LSTM(2, 6, { forgetBias: 1 }), new LastStep(), new nn.Linear(6, 1)),
      data: adding,
      loss: losses.mse,
      optimizer: (params) => new optim.Adam(params, { lr: 0.01 }),
      batchSize: 16,
      steps: 4,
    });
    const r = await inspect(spec, { gradcheck: { mode: "full" } });
    expect(r.model.layers.map((l) => [l.name, l.kind, l.parameters])).toEqual([
      ["layers.0", "LSTM", 2 * 24 + 6 * 24 + 24 + 24], ["layers.1", "LastStep", 0], ["layers.2", "Linear", 7],
    ]);
    expect(r.steps).toHaveLength(4);
    for (const s of r.steps) {
      expect(s.layers.filter((l) => l.name === "layers.0")).toHaveLength(1);
      const lstm = s.layers.find((l) => l.name === "layers.0")!;
      expect(lstm.gradNorm).toBeGreaterThan(0);
      expect(lstm.params?.map((p) => p.name)).toEqual(["layers.0.weightIhL0", "layers.0.weightHhL0", "layers.0.biasIhL0", "layers.0.biasHhL0"]);
    }
    expect(r.gradcheck?.passed).toBe(true);
    const checked = r.gradcheck!.layers.find((l) => l.name === "layers.0")!;
    expect(checked.checked).toBe(2 * 24 + 6 * 24 + 48);
    expect(checked.maxRelError).toBeLessThan(1e-5);
  });

  it("a tanh module called at every time step: one layer, statistics over all calls", async () => {
    let model: HandRNN | null = null;
    const spec = defineModel({
      name: "hand rnn",
      model: () => (model = new HandRNN()),
      data: adding,
      loss: (pred, y) => losses.mse(ops.sum(pred, 1, true), y),
      optimizer: (params) => new optim.SGD(params, { lr: 0.01 }),
      batchSize: 64,
      steps: 1,
    });
    const r = await inspect(spec, { gradcheck: false });
    expect(r.model.layers.map((l) => l.name)).toEqual(["inProj", "recur", "act"]);
    const act = r.steps[0].layers.find((l) => l.name === "act")!;
    // One step: the model's last forward is the one the recorder saw.
    const all = model!.outputs.flatMap((o) => Array.from(o.data));
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const std = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length);
    expect(all.length).toBe(64 * 8 * 4);
    expect(act.activation!.mean).toBeCloseTo(mean, 10);
    expect(act.activation!.std).toBeCloseTo(std, 10);
    const last = Array.from(model!.outputs[7].data);
    const lastMean = last.reduce((a, b) => a + b, 0) / last.length;
    expect(Math.abs(lastMean - mean)).toBeGreaterThan(1e-6);
  });
});
