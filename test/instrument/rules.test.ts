/**
 * Every rule against a model that must trigger it and one that must not, using the lecture's cases,
 * through the whole pipeline (train → record → rules → report).
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineModel, inspect, losses, nn, optim, ops, type Report, type Tensor } from "../../src";
import { runRules, lossOscillating, lossNotDecreasing, rankShift, type RuleContext } from "../../src/instrument/rules";
import { setLocationCapture } from "../../src/nn";
import { classifier, deepReluHe, deepSigmoid, mlp, NaiveSoftmax, nll, regression, spirals } from "./fixtures";

const rules = (r: Report, id: string) => r.warnings.filter((w) => w.rule === id);
const run = (spec: Parameters<typeof inspect>[0], opts: Parameters<typeof inspect>[1] = {}) => inspect(spec, { gradcheck: false, ...opts });

afterEach(() => setLocationCapture(null));

describe("vanishing-gradient", () => {
  it("fires on the first layers of a 9-layer sigmoid MLP with small init, naming the last layer and the cause", async () => {
    const r = await run(deepSigmoid());
    const v = rules(r, "vanishing-gradient");
    expect(v.map((w) => w.layer)).toContain("layers.0");
    const first = v.find((w) => w.layer === "layers.0")!;
    expect(first.message).toMatch(/^layers\.0 receives gradients .*× smaller than layers\.16: deep sigmoid stacks squash gradients/);
    expect(first.hint).toMatch(/ReLU with He init/);
    expect(first.evidence.ratio as number).toBeLessThan(1e-3);
    expect(first.evidence.gradNorm as number).toBeLessThan(1e-4);
    // The layers next to the output are healthy and must not be blamed.
    expect(v.map((w) => w.layer)).not.toContain("layers.14");
  });

  it("does not fire (nor exploding) on the ReLU + He version of the same depth", async () => {
    const r = await run(deepReluHe());
    expect(rules(r, "vanishing-gradient")).toEqual([]);
    expect(rules(r, "exploding-gradient")).toEqual([]);
    expect(r.status?.ok).toBe(true);
  });

  it("copies the blamed module's source location into the warning", async () => {
    let line = 0;
    setLocationCapture(() => ({ file: "model.ts", line: ++line, column: 7 }));
    const r = await run(deepSigmoid());
    const w = rules(r, "vanishing-gradient").find((x) => x.layer === "layers.0")!;
    const layer = r.model.layers.find((l) => l.name === "layers.0")!;
    expect(layer.location).toBeDefined();
    expect(w.location).toEqual(layer.location);
  });
});

describe("exploding-gradient", () => {
  it("fires on a deep linear stack with large init (gradient norms climb by orders of magnitude before NaN)", async () => {
    const r = await run(classifier("deep linear, large init", () => mlp(8, 32, null, nn.init.normal(1)), 1e-3));
    const e = rules(r, "exploding-gradient");
    expect(e.length).toBeGreaterThan(0);
    expect(e.map((w) => w.layer)).toContain("layers.0");
    expect(e.find((w) => w.evidence.growth !== undefined)!.evidence.growth as number).toBeGreaterThan(1e3);
    // The init's doing is seen at the first step too: each Linear's output std multiplies on the way forward.
    expect(e.find((w) => w.evidence.form === "activation-growth")).toMatchObject({ layer: "layers.0", evidence: { of: "outputs" } });
    // Divergence ends in NaN: reported, training stopped, the report still produced.
    expect(r.status?.reason).toBe("non-finite-loss");
  });

  it("fires on the first-to-last ratio (AUTOTRAINER's 70) from recorded statistics", () => {
    const layers = [{ name: "a", kind: "Linear", hasParams: true }, { name: "b", kind: "Linear", hasParams: true }];
    const step = (i: number, ga: number, gb: number) => ({
      step: i, loss: 1, layers: [ga, gb].map((g, k) => ({ name: k ? "b" : "a", gradNorm: g, gradMeanAbs: g, gradMaxAbs: g, weightNorm: 1, updateRatio: 1e-3, zeroFraction: 0, histogram: { edges: [], counts: [] } })),
    });
    const ctx = (ratio: number): RuleContext => ({ steps: Array.from({ length: 6 }, (_, i) => step(i, ratio, 1)), layers });
    expect(runRules(ctx(100)).filter((w) => w.rule === "exploding-gradient").map((w) => w.layer)).toEqual(["a"]);
    expect(runRules(ctx(50)).filter((w) => w.rule === "exploding-gradient")).toEqual([]);
    // The threshold is a setting.
    expect(runRules(ctx(50), { "exploding-gradient": { ratio: 40 } }).filter((w) => w.rule === "exploding-gradient")).toHaveLength(1);
  });
});

describe("dead-relu", () => {
  it("fires on ReLUs behind a large negative bias, blaming the ReLU layer", async () => {
    const r = await run(classifier("dead", () => mlp(3, 32, () => new nn.ReLU(), nn.init.heNormal(), nn.init.constant(-10))));
    const d = rules(r, "dead-relu");
    expect(d.map((w) => w.layer)).toEqual(["layers.1", "layers.3"]);
    expect(d[0].evidence.deadFraction).toBe(1);
    expect(d[0].message).toMatch(/100% of layers\.1's ReLU units output zero/);
  });

  it("does not fire with zero biases and He init", async () => {
    const r = await run(classifier("alive", () => mlp(3, 32, () => new nn.ReLU(), nn.init.heNormal())));
    expect(rules(r, "dead-relu")).toEqual([]);
    const stats = r.steps[0].layers.find((l) => l.name === "layers.1")!;
    expect(stats.activation!.deadFraction!).toBeLessThan(0.3);
  });
});

describe("saturated-activation", () => {
  it("fires on tanh behind big weights", async () => {
    const r = await run(classifier("tanh big", () => mlp(3, 32, () => new nn.Tanh(), nn.init.normal(3)), 0.01));
    const s = rules(r, "saturated-activation");
    expect(s.length).toBeGreaterThan(0);
    expect(s[0].evidence.saturatedFraction as number).toBeGreaterThan(0.5);
    expect(s[0].message).toMatch(/tanh inputs have \|x\| ≥ 5/);
  });

  it("does not fire with Xavier init", async () => {
    const r = await run(classifier("tanh xavier", () => mlp(3, 32, () => new nn.Tanh(), nn.init.xavierNormal())));
    expect(rules(r, "saturated-activation")).toEqual([]);
  });
});

describe("update-ratio", () => {
  it("fires 'too large' with a huge learning rate", async () => {
    const r = await run(classifier("huge lr", () => mlp(3, 32, () => new nn.ReLU(), nn.init.heNormal()), 20));
    const u = rules(r, "update-ratio");
    expect(u.length).toBeGreaterThan(0);
    expect(u.every((w) => w.evidence.direction === "too-large")).toBe(true);
    expect(u[0].message).toMatch(/the learning rate is far too high/);
  });

  it("does not fire with a sane learning rate", async () => {
    const r = await run(classifier("sane lr", () => mlp(3, 32, () => new nn.ReLU(), nn.init.heNormal()), 0.1));
    expect(rules(r, "update-ratio")).toEqual([]);
  });

  it("update ratios are ‖Δw‖/‖w‖ of the actual step: lr·‖g‖/‖w‖ for plain SGD", async () => {
    const r = await run(classifier("ratio", () => mlp(2, 8, () => new nn.ReLU(), nn.init.heNormal(), nn.init.constant(0.1)), 0.05, { steps: 3 }));
    for (const s of r.steps) {
      for (const l of s.layers.filter((x) => x.gradSource === "parameters")) {
        expect(l.updateRatio).toBeCloseTo((0.05 * l.gradNorm) / l.weightNorm, 10);
      }
    }
  });
});

describe("loss-not-decreasing", () => {
  it("fires with lr 0", async () => {
    const r = await run(classifier("lr 0", () => mlp(3, 32, () => new nn.ReLU(), nn.init.heNormal()), 0, { steps: 60 }));
    expect(rules(r, "loss-not-decreasing")).toHaveLength(1);
  });

  it("does not fire on a model that learns", async () => {
    const r = await run(classifier("learns", () => mlp(3, 32, () => new nn.ReLU(), nn.init.heNormal()), 0.1, { steps: 60 }));
    expect(rules(r, "loss-not-decreasing")).toEqual([]);
  });

  it("treats minibatch noise as noise: equal-mean windows with a lucky dip do not count as learning", () => {
    const steps = [1.2, 0.8, 1.1, 0.9, 1.3, 0.7, 1.0, 1.0, 1.2, 0.8, /* end */ 0.6, 1.3, 0.9, 1.1, 0.7, 1.2, 0.8, 1.0, 1.1, 0.9].map((loss, step) => ({ step, loss, layers: [] }));
    // The last window's mean is 0.96 < 0.99 × 1.0, but well within the noise.
    expect(lossNotDecreasing.check({ steps, layers: [] }, lossNotDecreasing.defaults)).toHaveLength(1);
  });

  it("one loss spike in the first window does not hide a clear fall (judged on ranks too)", () => {
    // The first ten losses of a pre-LN transformer without warm-up (a spike of 3.2 at step 1), then a
    // stretch around 0.4 and the last ten: the means' standard errors alone call this noise.
    const first = [0.68, 3.21, 0.62, 0.63, 0.69, 0.59, 0.97, 0.56, 0.6, 0.35];
    const last = [0.45, 0.61, 0.29, 0.17, 0.24, 0.48, 0.37, 0.32, 0.29, 0.48];
    const steps = [...first, 0.4, 0.35, 0.42, 0.38, ...last].map((loss, step) => ({ step, loss, layers: [] }));
    expect(lossNotDecreasing.check({ steps, layers: [] }, lossNotDecreasing.defaults)).toEqual([]);
    // The same spike with no fall after it: still not learning.
    const flat = [...first, 0.6, 0.65, 0.62, 0.66, ...first.map((x) => (x > 3 ? 0.66 : x))].map((loss, step) => ({ step, loss, layers: [] }));
    expect(lossNotDecreasing.check({ steps: flat, layers: [] }, lossNotDecreasing.defaults)).toHaveLength(1);
  });

  it("rankShift is the Mann–Whitney z score: 0 for equal samples, symmetric, corrected for ties", () => {
    expect(rankShift([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(rankShift([4, 5, 6], [1, 2, 3])).toBeCloseTo(-rankShift([1, 2, 3], [4, 5, 6]), 12);
    // n = m = 3, full separation: U = 9, mean 4.5, sd √(9·7/12) = 2.291; (4.5 − 0.5)/2.291.
    expect(rankShift([4, 5, 6], [1, 2, 3])).toBeCloseTo(4 / Math.sqrt(63 / 12), 12);
    // Every value tied: no evidence either way.
    expect(rankShift([1, 1], [1, 1])).toBe(0);
  });
});

describe("loss-oscillating", () => {
  // Gradient descent on a quadratic converges (or diverges) monotonically in loss: each eigen-direction
  // decays geometrically. With heavy-ball momentum and a too-high lr the iterates spiral and the loss
  // swings up and down: the classic oscillating-loss picture.
  const quad = (lr: number, momentum: number) => defineModel({
    name: `quadratic lr ${lr}`,
    model: () => new nn.Linear(4, 1, { bias: false, init: nn.init.constant(0) }),
    data: () => regression(64, 4, 2, 0),
    loss: losses.mse,
    optimizer: (p) => new optim.SGD(p, { lr, momentum }),
    steps: 60,
  });

  it("fires when the lr is too high on a quadratic", async () => {
    const r = await run(quad(0.9, 0.9));
    expect(rules(r, "loss-oscillating")).toHaveLength(1);
  });

  it("does not fire when the lr is right", async () => {
    const r = await run(quad(0.05, 0));
    expect(rules(r, "loss-oscillating")).toEqual([]);
  });

  it("does not fire on ordinary minibatch noise of a learning classifier", async () => {
    const r = await run(classifier("noisy but fine", () => mlp(3, 32, () => new nn.ReLU(), nn.init.heNormal()), 0.1, { steps: 60 }));
    expect(rules(r, "loss-oscillating")).toEqual([]);
  });

  it("is a pure function of the loss history", () => {
    const zigzag = Array.from({ length: 30 }, (_, i) => ({ step: i, loss: i % 2 ? 1 : 3, layers: [] }));
    expect(lossOscillating.check({ steps: zigzag, layers: [] }, lossOscillating.defaults)).toHaveLength(1);
    // With one example per step the same zigzag is per-example noise: judged on block means of 32 steps.
    const perExample = Array.from({ length: 200 }, (_, i) => ({ step: i, loss: i % 2 ? 0.01 : 2, layers: [] }));
    expect(lossOscillating.check({ steps: perExample, layers: [], batchSize: 1 }, lossOscillating.defaults)).toEqual([]);
    expect(lossOscillating.check({ steps: perExample, layers: [], batchSize: 32 }, lossOscillating.defaults)).toHaveLength(1);
    const smooth = Array.from({ length: 30 }, (_, i) => ({ step: i, loss: 3 * 0.9 ** i, layers: [] }));
    expect(lossOscillating.check({ steps: smooth, layers: [] }, lossOscillating.defaults)).toEqual([]);
  });
});

describe("nan-or-inf", () => {
  /** logits of ±1000 into exp: overflows to Infinity in the softmax layer. */
  const naive = (scale: number) => defineModel({
    name: `naive softmax ×${scale}`,
    model: () => new nn.Sequential(new nn.Linear(2, 3, { init: nn.init.normal(scale), biasInit: nn.init.constant(0) }), new NaiveSoftmax()),
    data: () => spirals(),
    loss: nll,
    optimizer: (p) => new optim.SGD(p, { lr: 0.1 }),
    batchSize: 32,
    steps: 20,
    seed: 1,
  });

  it("points at the exp in the naive softmax layer, not the loss, and the run still produces a report", async () => {
    const r = await run(naive(1000));
    const n = rules(r, "nan-or-inf");
    expect(n).toHaveLength(1);
    expect(n[0].severity).toBe("error");
    expect(n[0].evidence.op).toBe("exp");
    expect(n[0].layer).toBe("layers.1");
    expect(n[0].step).toBe(0);
    expect(n[0].evidence.phase).toBe("forward");
    expect(n[0].evidence.value).toBe("Infinity");
    expect(n[0].evidence.inputShapes).toEqual([[32, 3]]);
    const [range] = n[0].evidence.inputRanges as Array<{ min: number; max: number }>;
    expect(range.max).toBeGreaterThan(709);
    expect(n[0].hint).toMatch(/logSumExp|softmaxCrossEntropy/);
    // Training stopped at that step; a report, not a crash.
    expect(r.status).toMatchObject({ ok: true, reason: "non-finite-loss", steps: 1 });
    expect(r.steps).toHaveLength(1);
    expect(Number.isNaN(r.steps[0].loss)).toBe(true);
  });

  it("does not fire on the same model with small logits", async () => {
    const r = await run(naive(0.5));
    expect(rules(r, "nan-or-inf")).toEqual([]);
    expect(r.status?.reason).toBe("completed");
  });

  it("finds a backward origin: sqrt's gradient at 0", async () => {
    class Norm extends nn.Module {
      forward(x: Tensor): Tensor {
        // ‖x‖ per row, with one row of zeros: forward finite (sqrt(0) = 0), backward 0.5/0 = Inf.
        const masked = ops.mul(x, ops.gt(ops.abs(x), 1e9));
        return ops.sqrt(ops.sum(ops.mul(masked, masked), 1, true)).add(ops.sum(x, 1, true));
      }
    }
    const r = await run(defineModel({
      name: "sqrt at zero",
      model: () => new nn.Sequential(new nn.Linear(2, 4), new Norm()),
      data: () => regression(16, 2, 3),
      loss: losses.mse,
      optimizer: (p) => new optim.SGD(p, { lr: 0.01 }),
      steps: 5,
    }));
    const n = rules(r, "nan-or-inf");
    expect(n).toHaveLength(1);
    expect(n[0].evidence).toMatchObject({ op: "sqrt", phase: "backward", step: 0 });
    expect(n[0].layer).toBe("layers.1");
  });
});

describe("overrides", () => {
  it("disables a rule per id (spec.rules and options.rules merge, options win)", async () => {
    const base = deepSigmoid();
    const off = await run({ ...base, rules: { "vanishing-gradient": { enabled: false } } });
    expect(rules(off, "vanishing-gradient")).toEqual([]);
    const backOn = await run({ ...base, rules: { "vanishing-gradient": { enabled: false } } }, { rules: { "vanishing-gradient": { enabled: true } } });
    expect(rules(backOn, "vanishing-gradient").length).toBeGreaterThan(0);
  });

  it("changes a threshold: with ratio 1e-12 the sigmoid stack no longer counts as vanishing", async () => {
    const r = await run(deepSigmoid(), { rules: { "vanishing-gradient": { ratio: 1e-12, meanAbs: 0 } } });
    expect(rules(r, "vanishing-gradient")).toEqual([]);
  });
});
