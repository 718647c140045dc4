/**
 * `directional` mode compares one random direction over all parameters at once: a correct model costs
 * one forward+backward and two forwards whatever its size (counted here by the model itself, not by
 * time), and only a disagreement narrows the check down to tensors and entries, which must then name the
 * wrong layer and entries, also in a tensor too large to check entry by entry.
 */
import { describe, expect, it } from "vitest";
import { checkGradients, defineOp, losses, nn, noGrad, ops, Tensor, type GradcheckResult } from "../../src";
import { globalRandom, Random } from "../../src/engine";
import { inconclusiveReason } from "../../src/report";
import wrongBackward, { fixed as rightBackward } from "../../examples/wrong-backward";

/** Counts forward calls, and backward passes through an identity op with its own rule. */
class Counter extends nn.Module {
  forwards = 0;
  backwards = 0;
  private readonly op = defineOp({
    name: "directionalCountedIdentity",
    forward: (x) => ops.mul(x, 1),
    backward: (g) => {
      this.backwards++;
      return [g];
    },
  });
  forward(x: Tensor): Tensor {
    this.forwards++;
    return this.op(x);
  }
}

function blobs(n: number, d: number, classes: number, seed: number) {
  const r = new Random(seed);
  const x = new Tensor(Float64Array.from({ length: n * d }, () => r.normal()), [n, d]);
  const y = new Tensor(Float64Array.from({ length: n }, (_, i) => i % classes), [n]);
  return { x, y };
}

const tensorsOf = (r: GradcheckResult) => r.layers.flatMap((l) => l.tensors ?? []);

describe("directional mode on a correct model", () => {
  it("passes with one forward+backward and two forwards, on 11 and on 83 203 parameters alike", () => {
    for (const [inputs, width] of [[2, 1], [64, 256]] as const) {
      globalRandom.seed(1);
      const counter = new Counter();
      // After the first layer, so the gradient flows through the counter's op.
      const module = new nn.Sequential(new nn.Linear(inputs, width), counter, new nn.Tanh(), new nn.Linear(width, width), new nn.ReLU(), new nn.Linear(width, 3));
      const size = module.parameters().reduce((s, p) => s + p.size, 0);
      const r = checkGradients({ module, loss: losses.softmaxCrossEntropy, batch: blobs(16, inputs, 3, 2) }, { mode: "directional" });
      expect(r.status, r.notes?.join(" | ")).toBe("passed");
      expect(counter.forwards).toBe(3);
      expect(counter.backwards).toBe(1);
      expect(r.evaluations).toBe(3);
      expect(r.joint).toHaveLength(1);
      expect(r.joint![0]).toMatchObject({ tensors: 6, entries: size, passed: true });
      expect(Math.abs(r.joint![0].analytic - r.joint![0].numeric)).toBeLessThan(1e-5 + 1e-3 * Math.abs(r.joint![0].numeric));
      // Not narrowed down: no per-tensor directions, no entries.
      expect(r.layers.every((l) => !l.directions && l.worst.length === 0)).toBe(true);
      expect(tensorsOf(r).map((t) => t.status)).toEqual(Array(6).fill("passed"));
      expect(r.checked).toBe(1);
    }
  });

  it("the joint direction is a unit vector: its analytic derivative g·u is at most ‖g‖ (from an independent backward) and matches its central difference", () => {
    globalRandom.seed(4);
    const module = new nn.Sequential(new nn.Linear(3, 5), new nn.Tanh(), new nn.Linear(5, 2));
    const batch = blobs(8, 3, 2, 9);
    const r = checkGradients({ module, loss: losses.softmaxCrossEntropy, batch }, { mode: "directional" });
    const params = module.parameters();
    for (const p of params) p.grad = null;
    losses.softmaxCrossEntropy(module.call(batch.x), batch.y).backward();
    const gNorm = Math.sqrt(params.reduce((s, p) => s + Array.from(p.grad!.data).reduce((a, v) => a + v * v, 0), 0));
    const { analytic, numeric } = r.joint![0];
    expect(Math.abs(analytic)).toBeLessThanOrEqual(gNorm);
    // A random direction is not nearly orthogonal to g in 27 dimensions.
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3 * gNorm);
    expect(Math.abs(analytic - numeric)).toBeLessThan(1e-7);
  });

  it("examples/wrong-backward.ts `fixed` passes with 3 loss evaluations", () => {
    const r = checkGradients(rightBackward, { mode: "directional" });
    expect(r.status).toBe("passed");
    expect(r.evaluations).toBe(3);
  });

  it("a loss scaled by 1e10 is passed or inconclusive, never failed, and blames no op", () => {
    for (const scale of [1e10, 1e14]) {
      globalRandom.seed(3);
      const module = new nn.Sequential(new nn.Linear(8, 32), new nn.ReLU(), new nn.Linear(32, 32), new nn.ReLU(), new nn.Linear(32, 4));
      const scaled = (p: Tensor, t: Tensor) => ops.mul(losses.softmaxCrossEntropy(p, t), scale);
      const r = checkGradients({ module, loss: scaled, batch: blobs(16, 8, 4, 5) }, { mode: "directional" });
      expect(r.status, `scale ${scale}: ${r.notes?.join(" | ")}`).not.toBe("failed");
      expect(["passed", "inconclusive"]).toContain(r.status);
      expect(r.culprit).toBeUndefined();
      if (r.status === "inconclusive") expect(inconclusiveReason(r)).toMatch(/cannot resolve gradients below/);
    }
  });

  it("a loss of ~1e10 whose gradients stay ~0.1 (a constant offset) is inconclusive with the reason: central differences cannot resolve them", () => {
    globalRandom.seed(3);
    const module = new nn.Sequential(new nn.Linear(8, 16), new nn.Tanh(), new nn.Linear(16, 4));
    const offset = (p: Tensor, t: Tensor) => ops.add(losses.softmaxCrossEntropy(p, t), 1e10);
    const r = checkGradients({ module, loss: offset, batch: blobs(16, 8, 4, 5) }, { mode: "directional" });
    expect(r.status).toBe("inconclusive");
    expect(r.evaluations).toBe(3);
    expect(r.joint![0].noiseFloor).toBeGreaterThan(1e2);
    expect(r.culprit).toBeUndefined();
    expect(inconclusiveReason(r)).toMatch(/^the loss is ~\d+e\d+: central differences \(eps 1e-6\) cannot resolve gradients below/);
  });
});

describe("directional mode where every entry of a large tensor is a kink", () => {
  it("a 600-unit ReLU layer's zero biases at the origin row: the kinks are not bisected, a sample of entries verifies them, the model passes", () => {
    globalRandom.seed(2);
    const he = { init: nn.init.heNormal(), biasInit: nn.init.constant(0) };
    const counter = new Counter();
    const module = new nn.Sequential(new nn.Linear(2, 600, he), counter, new nn.ReLU(), new nn.Linear(600, 3, he));
    const batch = blobs(8, 2, 3, 4);
    batch.x.data.fill(0, 0, 2); // row 0 is the origin: every first-layer unit sits at ReLU's kink
    const r = checkGradients({ module, loss: losses.softmaxCrossEntropy, batch }, { mode: "directional" });
    expect(r.status, r.notes?.join(" | ")).toBe("passed");
    expect(r.joint![0].kink).toBe(true);
    const bias = tensorsOf(r).find((t) => t.name === "layers.0.bias")!;
    // Narrowed to the bias (its direction crosses kinks unverified), then 10 sampled entries, every one a
    // kink verified against a one-sided difference; not all 600, and no bisection following kinks.
    expect(bias.checked).toBe(10);
    expect(bias.kinks).toBe(11); // the 10 entries and the direction
    expect(bias.unverified ?? 0).toBe(0);
    expect(bias.failures).toBe(0);
    expect(r.notes?.join(" ")).toMatch(/layers\.0\.bias: its direction crossed kinks unverified; 10 of its 600 entries sampled instead/);
    // 1 + 2 (joint) + 2·4 (tensors) + 2·10 (entries).
    expect(counter.forwards).toBe(31);
    expect(r.evaluations).toBe(31);
  });
});

describe("directional mode on a wrong backward", () => {
  it("examples/wrong-backward.ts fails; the fallback names the layers the wrong gradient reaches and their wrong entries, and blames cubeWrong", () => {
    const r = checkGradients(wrongBackward, { mode: "directional" });
    expect(r.status).toBe("failed");
    expect(r.joint![0].passed).toBe(false);
    expect(r.culprit).toMatchObject({ op: "cubeWrong", layer: "layers.1" });
    const failing = tensorsOf(r).filter((t) => t.status === "failed").map((t) => t.name);
    expect(failing.sort()).toEqual(["layers.0.bias", "layers.0.weight"]);
    const layer0 = r.layers.find((l) => l.name === "layers.0")!;
    expect(layer0.status).toBe("failed");
    // Small tensors (16 and 8 entries) are checked entry by entry: every entry is listed and counted.
    expect(layer0.tensors!.map((t) => t.checked)).toEqual([16, 8]);
    const bad = layer0.worst.filter((e) => e.passed === false);
    expect(bad.length).toBeGreaterThan(0);
    for (const e of bad) {
      expect(e.index.length).toBeGreaterThan(0);
      expect(Math.abs(e.analytic - e.numeric)).toBeGreaterThan(1e-5 + 1e-3 * Math.abs(e.numeric));
    }
    const layer2 = r.layers.find((l) => l.name === "layers.2")!;
    expect(layer2.status).toBe("passed");
    expect(layer2.directions?.every((d) => d.passed)).toBe(true);
  });

  /**
   * y = x·W with a backward that adds `offset` to dL/dW at one flat index (an indexing slip): one wrong
   * entry among 2 048 (more than the entry-by-entry limit, so the fallback bisects).
   */
  const oneWrongEntry = (name: string, at: number, offset: number) =>
    defineOp({
      name,
      forward: (x, w) => ops.matmul(x, w),
      backward: (g, { inputs: [x, w] }) => {
        const gw = ops.matmul(ops.transpose(x), g);
        const data = gw.data.slice();
        data[at] += offset;
        return [ops.matmul(g, ops.transpose(w)), new Tensor(data, gw.shape)];
      },
    });
  class SlipLinear extends nn.Module {
    readonly weight: Tensor;
    constructor(inputs: number, outputs: number, private readonly op: (x: Tensor, w: Tensor) => Tensor) {
      super();
      const r = new Random(12);
      this.weight = this.registerParameter("weight", new Tensor(Float64Array.from({ length: inputs * outputs }, () => r.normal(0, 1 / Math.sqrt(inputs))), [inputs, outputs]));
    }
    forward(x: Tensor): Tensor {
      return this.op(x, this.weight);
    }
  }

  it("one wrong entry in a 2 048-entry tensor: bisection names exactly that entry, in far fewer passes than checking every entry", () => {
    globalRandom.seed(6);
    const counter = new Counter();
    const slip = new SlipLinear(32, 64, oneWrongEntry("directionalSlip", 777, 0.5));
    const module = new nn.Sequential(counter, slip, new nn.Tanh(), new nn.Linear(64, 3));
    const batch = blobs(16, 32, 3, 8);
    const r = checkGradients({ module, loss: losses.softmaxCrossEntropy, batch }, { mode: "directional" });
    const forwards = counter.forwards;
    expect(r.status).toBe("failed");
    const weight = tensorsOf(r).find((t) => t.name === "layers.1.weight")!;
    expect(weight.status).toBe("failed");
    expect(weight.failures).toBe(1);
    const entry = r.layers.find((l) => l.name === "layers.1")!.worst.find((e) => e.passed === false)!;
    expect(entry.index).toEqual([Math.floor(777 / 64), 777 % 64]);
    // Independently: the true derivative by a central difference here, and the slip of exactly 0.5.
    const eps = 1e-6;
    const at = (d: number) => {
      const v = slip.weight.data[777];
      slip.weight.data[777] = v + d;
      const f = noGrad(() => losses.softmaxCrossEntropy(module.call(batch.x), batch.y).item());
      slip.weight.data[777] = v;
      return f;
    };
    const truth = (at(eps) - at(-eps)) / (2 * eps);
    expect(entry.numeric).toBeCloseTo(truth, 8);
    expect(entry.analytic - truth).toBeCloseTo(0.5, 6);
    // The other tensors' directions pass: only the slipped one was searched.
    expect(tensorsOf(r).filter((t) => t.status !== "passed").map((t) => t.name)).toEqual(["layers.1.weight"]);
    // 1 + 2 (joint) + 2·3 (tensors) + 4 per level of an 11-level bisection + 2 (the entry) = 55, then the
    // culprit search's: far below the 4 096 forwards of checking the 2 048 entries one by one.
    expect(forwards).toBe(r.evaluations);
    expect(r.evaluations!).toBeLessThan(200);
    expect(r.culprit?.op).toBe("directionalSlip");
    expect(r.notes?.join(" ")).toMatch(/layers\.1\.weight: 2,048 entries, too many to check one by one: bisecting its direction named 1 wrong entry \(it stops at 5; not every entry was checked\)/);
  });

  it("a dense mistake in a large tensor (every entry ×0.5): bisection names `worst` wrong entries and stops", () => {
    const halfGrad = defineOp({
      name: "directionalHalfGrad",
      forward: (x, w) => ops.matmul(x, w),
      backward: (g, { inputs: [x, w] }) => [ops.matmul(g, ops.transpose(w)), ops.matmul(ops.transpose(x), g).mul(0.5)],
    });
    globalRandom.seed(6);
    const module = new nn.Sequential(new SlipLinear(32, 64, halfGrad), new nn.Tanh(), new nn.Linear(64, 3));
    const r = checkGradients({ module, loss: losses.softmaxCrossEntropy, batch: blobs(16, 32, 3, 8) }, { mode: "directional", worst: 4 });
    expect(r.status).toBe("failed");
    const weight = tensorsOf(r).find((t) => t.name === "layers.0.weight")!;
    expect(weight.failures).toBe(4);
    const bad = r.layers[0].worst.filter((e) => e.passed === false);
    expect(bad).toHaveLength(4);
    for (const e of bad) expect(e.analytic / e.numeric).toBeCloseTo(0.5, 4);
  });
});
