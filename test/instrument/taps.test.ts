/**
 * `tap(tensor, name)` and the recurrent layers' taps: the norms recorded are the gradients reaching the
 * tapped tensors, checked against hand-worked values and against `retainGrad` on a hand-written loop;
 * report fields validated against the schema (old reports without them still validate).
 */
import { describe, expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { data, defineModel, inspect, losses, nn, ops, optim, tap, tensor, Tensor, type Report } from "../../src";
import { TapCollector } from "../../src/instrument/taps";
import { listening, setLocationCapture, tapSeries, withScope } from "../../src/engine";
import { recordStep } from "../helpers/taps";

const schema = JSON.parse(readFileSync(fileURLToPath(new URL("../../schema/report.schema.json", import.meta.url)), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const valid = (r: unknown) => {
  const ok = validate(JSON.parse(JSON.stringify(r)));
  if (!ok) throw new Error(JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  return ok;
};


describe("tap", () => {
  it("records ‖∂L/∂u‖ for y = Σ (x·w)² tapped at u = x·w: 2‖u‖, and leaves the gradients unchanged", () => {
    const x = tensor([[1, -2], [3, 0.5]], { requiresGrad: true });
    const w = tensor([[0.5, 1], [-1, 2]], { requiresGrad: true });
    const { step, collector } = recordStep(() => {
      const u = tap(ops.mul(x, w), "u");
      ops.sum(ops.mul(u, u)).backward();
    });
    // u = [[0.5, −2], [−3, 1]]: ∂y/∂u = 2u, ‖2u‖ = 2·√(0.25 + 4 + 9 + 1) = 2·√14.25.
    expect(step?.timeNorms).toEqual([{ name: "u", norms: [2 * Math.sqrt(14.25)] }]);
    expect(collector.timeSeries()).toEqual([{ name: "u", kind: "tap" }]);
    // ∂y/∂x = 2u·w, ∂y/∂w = 2u·x: the tap passes the gradient through untouched.
    expect(Array.from(x.grad!.data)).toEqual([0.5, -4, 6, 4]);
    expect(Array.from(w.grad!.data)).toEqual([1, 8, -18, 1]);
  });

  it("is the identity itself when nothing records: no node, the same tensor", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(tap(x, "x")).toBe(x);
  });

  it("inside a loop records one entry per call in forward order: h[t] gets c^(T−1−t)·√n", () => {
    const T = 6, c = 0.5;
    const x = tensor([[1, 2, 3]], { requiresGrad: true });
    const { step } = recordStep(() => {
      let h: Tensor = x;
      for (let t = 0; t < T; t++) h = tap(ops.mul(h, c), "h");
      ops.sum(h).backward();
    });
    const norms = step!.timeNorms![0].norms;
    expect(step!.timeNorms!.map((s) => s.name)).toEqual(["h"]);
    expect(norms).toHaveLength(T);
    norms.forEach((n, t) => expect(n).toBeCloseTo(c ** (T - 1 - t) * Math.sqrt(3), 14));
  });

  it("locates a series at its first tap() call when locations are captured, else at the layer it ran in", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const layerLine = (layer: string) => ({ file: "m.ts", line: layer === "blk" ? 3 : 4, column: 1 });
    let line = 0;
    const record = (fn: () => void) => {
      const c = new TapCollector(layerLine);
      c.start();
      fn();
      c.finish(0);
      return c.timeSeries();
    };
    const loop = () => {
      let h = x;
      for (let t = 0; t < 3; t++) {
        line = 20 + t;
        h = withScope("blk", () => tap(ops.mul(h, 0.5), "h"));
      }
      line = 30;
      const out = tap(h, "out");
      line = 40;
      ops.sum(tapSeries(out, "rnn", { kind: "recurrent", layer: "rnn" })).backward();
    };
    setLocationCapture(() => ({ file: "m.ts", line, column: 5 }));
    try {
      expect(record(loop)).toEqual([
        { name: "h", kind: "tap", layer: "blk", location: { file: "m.ts", line: 20, column: 5 } },
        { name: "out", kind: "tap", location: { file: "m.ts", line: 30, column: 5 } },
        // A recurrent layer's own series is its layer's, wherever its tapSeries call ran.
        { name: "rnn", kind: "recurrent", layer: "rnn", location: { file: "m.ts", line: 4, column: 1 } },
      ]);
    } finally {
      setLocationCapture(null);
    }
    expect(record(loop)).toEqual([
      { name: "h", kind: "tap", layer: "blk", location: { file: "m.ts", line: 3, column: 1 } },
      { name: "out", kind: "tap" },
      { name: "rnn", kind: "recurrent", layer: "rnn", location: { file: "m.ts", line: 4, column: 1 } },
    ]);
  });

  it("a tap the loss does not depend on records 0; entries after finish are not kept", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const c = new TapCollector();
    c.start();
    const unused = tap(ops.mul(x, 3), "unused");
    const used = tap(ops.mul(x, 2), "used");
    ops.sum(used).backward();
    c.finish(4);
    void unused;
    expect(c.steps.get(4)?.timeNorms).toEqual([{ name: "unused", norms: [0] }, { name: "used", norms: [Math.SQRT2] }]);
    // Outside a recorded step: identity again.
    expect(tap(x, "later")).toBe(x);
  });
});

/** The last time step of a (batch, time, hidden) sequence. */
class LastStep extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.reshape(ops.slice(x, 1, -1), [x.shape[0], x.shape[2]]);
  }
}

const seqSpec = (name: string, layer: () => nn.Module, hidden: number, length: number) => defineModel({
  name,
  model: () => new nn.Sequential(layer(), new LastStep(), new nn.Linear(hidden, 1)),
  data: () => data.addingProblem({ n: 64, length, seed: 1 }),
  loss: losses.mse,
  optimizer: (p) => new optim.Adam(p, { lr: 0.01 }),
  batchSize: 16,
  steps: 3,
});

describe("recurrent layers tap their state at every time step", () => {
  it("RNN, GRU: one series named after the layer with T norms per recorded step; LSTM also its cell state", async () => {
    for (const [kind, make, names] of [
      ["RNN", () => new nn.RNN(2, 5), ["layers.0"]],
      ["GRU", () => new nn.GRU(2, 5), ["layers.0"]],
      ["LSTM", () => new nn.LSTM(2, 5, { forgetBias: 1 }), ["layers.0", "layers.0.c"]],
    ] as const) {
      const r = await inspect(seqSpec(kind, make, 5, 7), { gradcheck: false });
      expect(r.model.timeSeries, kind).toEqual(names.map((name) => ({ name, kind: "recurrent", layer: "layers.0" })));
      for (const s of r.steps) {
        expect(s.timeNorms?.map((t) => t.name), kind).toEqual([...names]);
        for (const t of s.timeNorms!) {
          expect(t.norms, kind).toHaveLength(7);
          expect(t.norms.every((n) => n > 0 && Number.isFinite(n)), kind).toBe(true);
        }
      }
      expect(valid(r)).toBe(true);
    }
  });

  it("stacked layers: one series per layer of the stack", async () => {
    const r = await inspect(seqSpec("stacked", () => new nn.RNN(2, 4, { numLayers: 2 }), 4, 5), { gradcheck: false, steps: 1 });
    expect(r.model.timeSeries?.map((s) => s.name)).toEqual(["layers.0", "layers.0.l1"]);
    expect(r.steps[0].timeNorms?.map((t) => t.norms.length)).toEqual([5, 5]);
  });

  it("the RNN's norms equal ‖h_t.grad‖ of the same recurrence written by hand with retainGrad", () => {
    const rnn = new nn.RNN(3, 4);
    rnn.namedModules();
    const x = new Tensor(Float64Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.sin(0.7 * i + 0.2)), [2, 5, 3]);
    const { step } = recordStep(() => {
      const out = rnn.call(x);
      ops.sum(ops.mul(out, out)).backward();
    });
    const [wih, whh, bih, bhh] = rnn.parameters();
    const hs: Tensor[] = [];
    let h = new Tensor(new Float64Array(2 * 4), [2, 4]);
    for (let t = 0; t < 5; t++) {
      const xt = ops.reshape(ops.slice(x, 1, t, t + 1), [2, 3]);
      h = ops.tanh(ops.add(ops.add(ops.matmul(xt, wih), bih), ops.add(ops.matmul(h, whh), bhh))).retainGrad();
      hs.push(h);
    }
    ops.sum(hs.map((t) => ops.sum(ops.mul(t, t))).reduce((a, b) => ops.add(a, b))).backward();
    const expected = hs.map((t) => Math.sqrt(Array.from(t.grad!.data).reduce((s, g) => s + g * g, 0)));
    const got = step!.timeNorms![0].norms;
    expect(got).toHaveLength(5);
    got.forEach((n, t) => expect(n).toBeCloseTo(expected[t], 12));
  });

  it("a user's tap inside a model: series kind tap, blamed on the layer it ran in", async () => {
    class Looped extends nn.Module {
      readonly cell = new nn.Linear(2, 2);
      forward(x: Tensor): Tensor {
        let h = x;
        for (let t = 0; t < 4; t++) h = tap(ops.tanh(this.cell.call(h)), "h");
        return h;
      }
    }
    const spec = defineModel({
      name: "looped", model: () => new Looped(), data: () => ({ x: tensor([[1, 2], [0.5, -1]]), y: tensor([[0.1, 0.2], [0.3, 0.4]]) }),
      loss: losses.mse, optimizer: (p) => new optim.SGD(p, { lr: 0.1 }), steps: 2, batchSize: 2,
    });
    const r = await inspect(spec, { gradcheck: false });
    expect(r.model.timeSeries).toEqual([{ name: "h", kind: "tap", layer: "model" }]);
    expect(r.steps.map((s) => s.timeNorms?.[0].norms.length)).toEqual([4, 4]);
    expect(valid(r)).toBe(true);
  });
});

describe("taps cost nothing on the steps that are not recorded", () => {
  it("the collector listens from a recorded step's forward to its backward only: elsewhere a tap is its input", async () => {
    const identity: boolean[] = [];
    class Probe extends nn.Module {
      readonly lin = new nn.Linear(2, 2);
      forward(x: Tensor): Tensor {
        const h = this.lin.call(x);
        const t = tap(h, "h");
        identity.push(t === h);
        return t;
      }
    }
    const spec = defineModel({
      name: "probe", model: () => new Probe(), data: () => ({ x: tensor([[1, 2], [0.5, -1]]), y: tensor([[0.1, 0.2], [0.3, 0.4]]) }),
      loss: losses.mse, optimizer: (p) => new optim.SGD(p, { lr: 0.1 }), steps: 7, batchSize: 2,
    });
    const r = await inspect(spec, { gradcheck: false, record: { kind: "every", interval: 3 } });
    // Recorded: 0, 3, 6 (and the last, 6): the tap is an op there and the identity on the others.
    expect(r.steps.filter((s) => s.timeNorms).map((s) => s.step)).toEqual([0, 3, 6]);
    expect(identity).toEqual([false, true, true, false, true, true, false]);
    expect(listening("tap")).toBe(false);
  });
});

describe("report schema: the time fields are additive", () => {
  it("accepts timeSeries, timeNorms (null for non-finite) and attention; rejects malformed entries; old reports still validate", async () => {
    const r = JSON.parse(JSON.stringify(await inspect(seqSpec("schema", () => new nn.LSTM(2, 3), 3, 4), { gradcheck: false, steps: 2 }))) as Report;
    expect(r.model.timeSeries?.length).toBe(2);
    r.steps[0].attention = [{ layer: "attn", entropy: [1.2, 0.3], uniformEntropy: Math.log(4) }];
    r.steps[0].timeNorms![0].norms[1] = null as unknown as number;
    expect(valid(r)).toBe(true);
    expect(validate({ ...r, model: { ...r.model, timeSeries: [{ name: "x", kind: "other" }] } })).toBe(false);
    expect(validate({ ...r, steps: [{ ...r.steps[0], timeNorms: [{ name: "x" }] }] })).toBe(false);
    expect(validate({ ...r, steps: [{ ...r.steps[0], attention: [{ layer: "a", entropy: ["x"] }] }] })).toBe(false);
    // A report written before these fields existed.
    const old = JSON.parse(JSON.stringify(r));
    delete old.model.timeSeries;
    for (const s of old.steps) {
      delete s.timeNorms;
      delete s.attention;
    }
    expect(validate(old)).toBe(true);
  });
});
