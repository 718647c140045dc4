/**
 * The gradient checker must catch a wrong backward rule in every mode and name the op's layer and the
 * wrong entries; it must pass correct rules, flag kinks instead of failing them, and leave the model
 * exactly as it found it.
 */
import { describe, expect, it } from "vitest";
import { checkGradients, defineModel, defineOp, losses, nn, ops, optim, Tensor, tensor, type GradcheckResult } from "../../src";
import { globalRandom } from "../../src/engine";
import { spirals } from "./fixtures";

// ---- custom ops: a correct rule and three classic mistakes ---------------------------------------------

/** tanh with a hand-written backward; `sign` −1 is the sign error. */
const makeTanh = (name: string, sign: number) =>
  defineOp({
    name,
    forward: (x) => ops.tanh(x),
    backward: (g, { output }) => [g.mul(ops.sub(1, output.mul(output))).mul(sign)],
  });
/** x·s with a per-feature scale s; `factor` 0.5 is a missing factor… of 2 in d/ds (x·s)² style mistakes. */
const makeScale = (name: string, factor: number) =>
  defineOp({
    name,
    forward: (x, s) => ops.mul(x, s),
    backward: (g, { inputs: [x, s] }) => [g.mul(s), ops.sum(g.mul(x), 0).mul(factor)],
  });
/** x + b with b broadcast over the batch; `mean` true reduces with a mean instead of a sum (wrong broadcast reduction). */
const makeBias = (name: string, mean: boolean) =>
  defineOp({
    name,
    forward: (x, b) => ops.add(x, b),
    backward: (g) => [g, mean ? ops.mean(g, 0) : ops.sum(g, 0)],
  });

class CustomTanh extends nn.Module {
  constructor(private readonly op: (x: Tensor) => Tensor) { super(); }
  forward(x: Tensor): Tensor { return this.op(x); }
}
class Scale extends nn.Module {
  readonly s: Tensor;
  constructor(features: number, private readonly op: (x: Tensor, s: Tensor) => Tensor) {
    super();
    this.s = this.registerParameter("s", tensor(Array.from({ length: features }, (_, i) => 0.5 + 0.1 * i)));
  }
  forward(x: Tensor): Tensor { return this.op(x, this.s); }
}
class Bias extends nn.Module {
  readonly b: Tensor;
  constructor(features: number, private readonly op: (x: Tensor, b: Tensor) => Tensor) {
    super();
    this.b = this.registerParameter("b", tensor(Array.from({ length: features }, (_, i) => 0.1 * i - 0.3)));
  }
  forward(x: Tensor): Tensor { return this.op(x, this.b); }
}

/** Linear → custom module (layers.1) → Linear → Tanh → Linear: the culprit sits in the middle of the graph. */
function spec(name: string, middle: () => nn.Module) {
  return defineModel({
    name,
    model: () => new nn.Sequential(new nn.Linear(2, 8), middle(), new nn.Linear(8, 8), new nn.Tanh(), new nn.Linear(8, 3)),
    data: () => spirals(60, 4, 3),
    loss: losses.softmaxCrossEntropy,
    optimizer: (p) => new optim.SGD(p, { lr: 0.1 }),
    batchSize: 16,
    seed: 5,
  });
}

const cases = [
  { what: "a sign error", good: () => new CustomTanh(makeTanh("tanhGood", 1)), bad: () => new CustomTanh(makeTanh("tanhSignError", -1)), badOp: "tanhSignError", wrongTensors: ["layers.0.weight", "layers.0.bias"] },
  { what: "a missing factor", good: () => new Scale(8, makeScale("scaleGood", 1)), bad: () => new Scale(8, makeScale("scaleHalfGrad", 0.5)), badOp: "scaleHalfGrad", wrongTensors: ["layers.1.s"] },
  { what: "a wrong broadcast reduction", good: () => new Bias(8, makeBias("biasSum", false)), bad: () => new Bias(8, makeBias("biasMean", true)), badOp: "biasMean", wrongTensors: ["layers.1.b"] },
] as const;

const modes = ["full", "sampled", "directional"] as const;

const failingTensors = (r: GradcheckResult) => r.layers.flatMap((l) => (l.tensors ?? []).filter((t) => !t.passed).map((t) => t.name));

describe("checkGradients catches a wrong backward rule", () => {
  for (const c of cases) {
    for (const mode of modes) {
      it(`${c.what}: ${mode} mode fails, blames "${c.badOp}" in layers.1 and names wrong entries`, () => {
        const r = checkGradients(spec(c.what, c.bad), { mode, samples: 8 });
        expect(r.passed).toBe(false);
        expect(r.status).toBe("failed");
        expect(r.culprit?.op).toBe(c.badOp);
        expect(r.culprit?.layer).toBe("layers.1");
        for (const t of c.wrongTensors) expect(failingTensors(r)).toContain(t);
        // Tensors the mistake cannot reach (after the op) stay correct.
        expect(failingTensors(r)).not.toContain("layers.4.weight");
        const layer = r.layers.find((l) => l.name === c.wrongTensors[0].split(".").slice(0, 2).join("."))!;
        const bad = layer.worst.filter((e) => e.passed === false);
        expect(bad.length).toBeGreaterThan(0);
        for (const e of bad) {
          expect(e.index.length).toBeGreaterThan(0);
          expect(Math.abs(e.analytic - e.numeric)).toBeGreaterThan(1e-5 + 1e-3 * Math.abs(e.numeric));
          expect(e.relError).toBeCloseTo(Math.abs(e.analytic - e.numeric) / Math.max(Math.abs(e.analytic), Math.abs(e.numeric)), 12);
        }
      });
      it(`${c.what}, corrected: ${mode} mode passes`, () => {
        const r = checkGradients(spec(c.what, c.good), { mode, samples: 8 });
        expect(failingTensors(r)).toEqual([]);
        expect(r.passed).toBe(true);
        expect(r.status).toBe("passed");
        expect(r.culprit).toBeUndefined();
        for (const l of r.layers) expect(l.maxRelError).toBeLessThan(1e-5);
      });
    }
  }

  it("the missing factor is exactly a factor: analytic = numeric / 2 on every entry of s", () => {
    const r = checkGradients(spec("factor", () => new Scale(8, makeScale("scaleHalfGrad", 0.5))), { mode: "full" });
    const s = r.layers.find((l) => l.name === "layers.1")!;
    for (const e of s.worst) expect(e.analytic).toBeCloseTo(e.numeric / 2, 6);
  });
});

describe("checkGradients on a plain function", () => {
  it("checks (…params) => scalar, naming inputs by tensor name", () => {
    const w = tensor([[0.3, -0.2], [0.1, 0.4]]);
    w.name = "w";
    const x = tensor([[1, 2], [3, -1]]);
    const r = checkGradients((a, b) => ops.tanh(ops.matmul(a, b)).sum(), { inputs: [x, w], mode: "full" });
    expect(r.passed).toBe(true);
    expect(r.layers.map((l) => l.name)).toEqual(["input0", "w"]);
    expect(r.checked).toBe(8);
  });

  it("contracts a non-scalar output with a random v (vᵀJ), catching a wrong rule on any output entry", () => {
    const bad = defineOp({ name: "rowSumBad", forward: (x) => ops.sum(x, 1), backward: (g, { inputs: [x] }) => [ops.broadcastTo(g.reshape([g.size, 1]), x.shape).mul(tensor([[1, 1, 0.9]]))] });
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    for (const mode of modes) {
      const r = checkGradients((a) => bad(a), { inputs: [x], mode });
      expect(r.passed).toBe(false);
      expect(r.culprit?.op).toBe("rowSumBad");
      const worst = r.layers[0].worst.filter((e) => e.passed === false).map((e) => e.index[1]);
      expect(new Set(worst)).toEqual(new Set([2]));
    }
  });
});

describe("kinks", () => {
  it("an entry sitting on a relu's kink is reported as a kink, not a failure", () => {
    const x = tensor([[0, 1.5, -2, 0.7]]);
    const r = checkGradients((a) => ops.relu(a).mul(3).sum(), { inputs: [x], mode: "full" });
    expect(r.passed).toBe(true);
    const e = r.layers[0].worst.find((w) => w.index[1] === 0)!;
    expect(e.kink).toBe(true);
    // The central difference straddles the kink: numeric 1.5 (half the slope), analytic 0.
    expect(e.numeric).toBeCloseTo(1.5, 6);
    expect(r.layers[0].kinks).toBe(1);
    expect(r.layers[0].failures).toBe(0);
  });

  it("abs at 0 and a max tie are kinks too", () => {
    const a = checkGradients((t) => ops.abs(t).sum(), { inputs: [tensor([0, 1, -1])], mode: "full" });
    expect(a.layers[0].kinks).toBe(1);
    expect(a.passed).toBe(true);
    const m = checkGradients((t) => ops.max(t, 1).sum(), { inputs: [tensor([[2, 2, 1]])], mode: "full" });
    expect(m.layers[0].kinks).toBe(2);
    expect(m.passed).toBe(true);
  });

  it("a wrong rule away from any kink is still a failure", () => {
    const x = tensor([[0.5, 1.5, -0.5, 0.7]]);
    // Passes gradient for -1 < x ≤ 0 too: wrong at -0.5, which is far from the kink at 0.
    const badRelu = defineOp({ name: "reluBad", forward: (t) => ops.relu(t), backward: (g, { inputs: [t] }) => [g.mul(ops.gt(t, -1))] });
    const r = checkGradients((a) => badRelu(a).sum(), { inputs: [x], mode: "full" });
    expect(r.passed).toBe(false);
    expect(r.layers[0].worst.filter((e) => e.passed === false).map((e) => e.index)).toEqual([[0, 2]]);
    expect(r.layers[0].worst.find((e) => e.index[1] === 2)!.kink).toBeUndefined();
  });
});

describe("setup and restore", () => {
  const bits = (xs: Tensor[]) => xs.map((t) => Array.from(new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength))));

  it("restores parameters, gradients, buffers, training flags and the global generator bit for bit", () => {
    const model = new nn.Sequential(new nn.Linear(2, 6), new nn.BatchNorm1d(6), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(6, 3, { dtype: "float32" }));
    model.namedModules();
    const x = spirals(12, 2, 3);
    // Existing gradients from a user's backward must survive the check.
    losses.softmaxCrossEntropy(model.call(x.x), x.y).backward();
    const params = model.parameters();
    const buffers = model.namedBuffers().map(([, b]) => b);
    const before = bits([...params, ...buffers]);
    const gradsBefore = params.map((p) => Array.from(p.grad!.data));
    const dataRefs = params.map((p) => p.data);
    model.layers[3].training = true;
    model.layers[1].training = false;
    const flags = model.namedModules().map(([, m]) => m.training);
    globalRandom.seed(99);
    const r0 = globalRandom.nextUint32();
    globalRandom.seed(99);
    for (const mode of modes) checkGradients({ module: model, loss: losses.softmaxCrossEntropy, batch: x }, { mode });
    expect(bits([...params, ...buffers])).toEqual(before);
    expect(params.map((p) => Array.from(p.grad!.data))).toEqual(gradsBefore);
    // The same storage objects (float32 parameters were checked on float64 copies, then put back).
    params.forEach((p, i) => expect(p.data).toBe(dataRefs[i]));
    expect(params[params.length - 1].dtype).toBe("float32");
    expect(model.namedModules().map(([, m]) => m.training)).toEqual(flags);
    expect(globalRandom.nextUint32()).toBe(r0);
  });

  it("turns Dropout off, keeps BatchNorm on batch statistics, and says so", () => {
    const r = checkGradients(defineModel({
      name: "dropout + batchnorm",
      model: () => new nn.Sequential(new nn.Linear(2, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(8, 3)),
      data: () => spirals(40, 6, 3),
      loss: losses.softmaxCrossEntropy,
      optimizer: (p) => new optim.SGD(p, { lr: 0.1 }),
      batchSize: 16,
    }), { mode: "full" });
    // With dropout active every evaluation would draw a new mask and nothing would match.
    expect(r.passed).toBe(true);
    expect(r.notes?.join(" ")).toMatch(/Dropout/);
    expect(r.notes?.join(" ")).toMatch(/BatchNorm in training mode/);
    // BatchNorm's batch statistics are differentiated: its gamma/beta entries are checked and nonzero.
    const bn = r.layers.find((l) => l.name === "layers.1")!;
    expect(bn.checked).toBe(16);
  });

  it("reports the loss being non-finite instead of comparing NaNs", () => {
    const r = checkGradients((a) => ops.log(a).sum(), { inputs: [tensor([-1, 1])], mode: "full" });
    expect(r.passed).toBe(false);
    expect(r.status).toBe("inconclusive");
    expect(r.notes?.join(" ")).toMatch(/loss is NaN/);
  });
});
