/**
 * Kinks must not hide a wrong backward rule: the check draws its rows at random (spirals' first row is
 * the origin, where every ReLU input of a zero-bias net is exactly 0), judges entries at a kink against
 * the one-sided differences, and calls a tensor inconclusive, not passed, when most of its entries are
 * kinks it could not verify. A custom op can declare its kinks (`hasKinks`).
 */
import { describe, expect, it } from "vitest";
import { checkGradients, data, defineModel, defineOp, losses, nn, ops, optim, Tensor, tensor, type GradcheckResult } from "../../src";
import { getOp, globalRandom } from "../../src/engine";
import reluHe from "../../examples/relu-he";

/** x + b whose backward doubles the bias gradient: the mistake every kink used to hide. */
const addBiasTwice = defineOp({
  name: "kinksAddBiasTwice",
  forward: (x, b) => ops.add(x, b),
  backward: (g) => [g, ops.sum(g, 0).mul(2)],
});

class BadLinear extends nn.Module {
  readonly inner: nn.Linear;
  constructor(i: number, o: number) {
    super();
    this.inner = this.registerModule("inner", new nn.Linear(i, o, { init: nn.init.heNormal(), biasInit: nn.init.constant(0) }));
  }
  forward(x: Tensor): Tensor {
    return addBiasTwice(ops.matmul(x, this.inner.weight), this.inner.bias!);
  }
}

const spirals = () => data.spirals({ n: 300, classes: 3, seed: 1 });
const badBiasNet = () => new nn.Sequential(new BadLinear(2, 16), new nn.ReLU(), new BadLinear(16, 16), new nn.ReLU(), new nn.Linear(16, 3));
const tensorsOf = (r: GradcheckResult) => r.layers.flatMap((l) => l.tensors ?? []);

/** The spirals rows 0..k-1: row 0 is exactly the origin. */
function firstRows(k: number) {
  const d = spirals();
  return { x: ops.slice(d.x, 0, 0, k), y: ops.slice(d.y, 0, 0, k) };
}

describe("a wrong bias backward is caught although the origin row puts every bias on a kink", () => {
  it("spirals' row 0 is the origin (the premise of the bug)", () => {
    const d = spirals();
    expect([d.x.data[0], d.x.data[1]]).toEqual([0, 0]);
  });

  for (const mode of ["full", "sampled", "directional"] as const) {
    it(`ModelSpec, ${mode}: fails and blames the op (the check's rows are drawn at random, not the first ones)`, () => {
      const spec = defineModel({ name: "bad bias", model: badBiasNet, data: spirals, loss: losses.softmaxCrossEntropy, optimizer: (p) => new optim.SGD(p, { lr: 0.1 }), batchSize: 32 });
      const r = checkGradients(spec, { mode });
      expect(r.passed).toBe(false);
      expect(r.status).toBe("failed");
      expect(r.culprit?.op).toBe("kinksAddBiasTwice");
      const failing = tensorsOf(r).filter((t) => t.failures > 0).map((t) => t.name);
      expect(failing).toContain("layers.0.inner.bias");
      expect(failing).toContain("layers.2.inner.bias");
      expect(failing).not.toContain("layers.4.weight");
      expect(r.notes?.join(" ")).toMatch(/drawn at random \(seed 0\)/);
    });
  }

  it("with the origin row forced into the batch, kink entries are judged one-sided and the 2× bias fails", () => {
    globalRandom.seed(11);
    const model = badBiasNet();
    const r = checkGradients({ module: model, loss: losses.softmaxCrossEntropy, batch: firstRows(16) }, { mode: "full" });
    const bias = tensorsOf(r).find((t) => t.name === "layers.0.inner.bias")!;
    // Every bias entry crosses a kink on row 0…
    expect(bias.kinks).toBe(16);
    // …and is judged anyway: every unit alive on some row has a nonzero (doubled) gradient and fails.
    expect(bias.failures).toBeGreaterThanOrEqual(4);
    expect(r.status).toBe("failed");
    const e = r.layers[0].worst.find((w) => w.tensor === "layers.0.inner.bias" && w.kink)! as { numericLeft?: number; numericRight?: number; analytic: number; passed?: boolean };
    expect(e.passed).toBe(false);
    expect(e.numericLeft).toBeDefined();
    expect(e.numericRight).toBeDefined();
  });

  it("the same model with a correct bias backward passes with the origin row in the batch (kinks verified one-sided)", () => {
    globalRandom.seed(11);
    const he = { init: nn.init.heNormal(), biasInit: nn.init.constant(0) };
    const model = new nn.Sequential(new nn.Linear(2, 16, he), new nn.ReLU(), new nn.Linear(16, 16, he), new nn.ReLU(), new nn.Linear(16, 3));
    for (const mode of ["full", "sampled", "directional"] as const) {
      const r = checkGradients({ module: model, loss: losses.softmaxCrossEntropy, batch: firstRows(16) }, { mode });
      expect(r.status).toBe("passed");
      expect(r.passed).toBe(true);
    }
    const r = checkGradients({ module: model, loss: losses.softmaxCrossEntropy, batch: firstRows(16) }, { mode: "full" });
    const bias = tensorsOf(r).find((t) => t.name === "layers.0.bias")! as { kinks: number; unverified?: number };
    expect(bias.kinks).toBe(16);
    expect(bias.unverified ?? 0).toBe(0);
  });

  it("a kink entry whose analytic value matches neither one-sided difference is a failure", () => {
    // relu with slope 2 on the positive side in its backward: wrong; at x = 0 the entry is a kink.
    const reluSlope2 = defineOp({
      name: "kinksReluSlope2", hasKinks: true, forward: (t) => ops.relu(t),
      backward: (g, { inputs: [t] }) => [new Tensor(g.data.map((v, i) => (t.data[i] >= 0 ? 2 * v : 0)), t.shape)],
    });
    const r = checkGradients((a) => reluSlope2(a).sum(), { inputs: [tensor([0, 0, 0])], mode: "full" });
    expect(r.layers[0].kinks).toBe(3);
    expect(r.layers[0].failures).toBe(3);
    expect(r.status).toBe("failed");
    expect(r.passed).toBe(false);
  });

  it("a tensor whose entries are mostly kinks it cannot verify is inconclusive, not passed", () => {
    // abs at 0: the analytic 0 is a subgradient (between −1 and +1) but matches neither side.
    const r = checkGradients((t) => ops.abs(t).sum(), { inputs: [tensor([0, 0, 0, 1])], mode: "full" });
    expect(r.layers[0].kinks).toBe(3);
    expect(r.status).toBe("inconclusive");
    expect(r.passed).toBe(false);
    expect(r.culprit).toBeUndefined();
    expect(r.notes?.join(" ")).toMatch(/3 of 4 entries sit on kinks/);
  });

  it("examples/relu-he.ts, full mode: the biases are actually verified, not all kinks", () => {
    const r = checkGradients(reluHe, { mode: "full" });
    expect(r.status).toBe("passed");
    const biases = tensorsOf(r).filter((t) => t.name.endsWith(".bias"));
    expect(biases).toHaveLength(8);
    for (const b of biases) {
      expect(b.passed).toBe(true);
      expect(b.kinks).toBeLessThan(b.checked / 2);
    }
  });
});

describe("custom ops declare kinks with hasKinks", () => {
  /** A correct ReLU written with raw loops: no built-in relu inside for the kink observer to see. */
  const makeRelu = (name: string, hasKinks?: boolean) =>
    defineOp({
      name,
      ...(hasKinks === undefined ? {} : { hasKinks }),
      forward: (x) => new Tensor(x.data.map((v) => (v > 0 ? v : 0)), x.shape),
      backward: (g, { inputs: [x] }) => [new Tensor(g.data.map((v, i) => (x.data[i] > 0 ? v : 0)), x.shape)],
    });
  class Act extends nn.Module {
    constructor(private readonly op: (x: Tensor) => Tensor) { super(); }
    forward(x: Tensor): Tensor { return this.op(x); }
  }
  const he = { init: nn.init.heNormal(), biasInit: nn.init.constant(0) };
  const net = (op: (x: Tensor) => Tensor) => new nn.Sequential(new nn.Linear(2, 16, he), new Act(op), new nn.Linear(16, 3, he));

  it("registers the flag", () => {
    makeRelu("kinksFlagOn", true);
    makeRelu("kinksFlagOff");
    expect(getOp("kinksFlagOn")?.kinks).toBeTypeOf("function");
    expect(getOp("kinksFlagOff")?.kinks).toBeNull();
  });

  it("a correct raw-loop ReLU declared with hasKinks passes on the origin row, its kinks seen by the observer", () => {
    globalRandom.seed(4);
    const r = checkGradients({ module: net(makeRelu("kinksMyReluDeclared", true)), loss: losses.softmaxCrossEntropy, batch: firstRows(16) }, { mode: "full" });
    expect(r.status).toBe("passed");
    expect(r.culprit).toBeUndefined();
    expect(r.layers.find((l) => l.name === "layers.0")!.kinks).toBe(16);
  });

  it("an undeclared one passes too: one-sided differences that disagree reveal the kink", () => {
    globalRandom.seed(4);
    const r = checkGradients({ module: net(makeRelu("kinksMyReluUndeclared")), loss: losses.softmaxCrossEntropy, batch: firstRows(16) }, { mode: "full" });
    expect(r.status).toBe("passed");
    expect(r.culprit).toBeUndefined();
  });

  it("the reviewer's spec (gc2): a correct raw-loop ReLU on spirals passes in every mode", () => {
    const spec = defineModel({ name: "custom relu (correct)", model: () => net(makeRelu("kinksMyReluSpec", true)), data: spirals, loss: losses.softmaxCrossEntropy, optimizer: (p) => new optim.SGD(p, { lr: 0.1 }), batchSize: 32 });
    for (const mode of ["full", "sampled", "directional"] as const) {
      const r = checkGradients(spec, { mode });
      expect(r.status).toBe("passed");
      expect(r.culprit).toBeUndefined();
    }
  });
});
