/**
 * Reviewer repros for the rules: NaN made by an optimizer step, a converged model blamed for vanishing
 * gradients, loss rules with batch size 1 and with class-sorted batches, an inconclusive gradient check.
 */
import { describe, expect, it } from "vitest";
import { data, defineModel, inspect, losses, nn, optim, type Report, type GradcheckResult } from "../../src";
import { gradcheckFailed, lossNotDecreasing, lossOscillating, runRules, vanishingGradient, type RuleContext } from "../../src/instrument/rules";
import { singleExample } from "../../examples/minibatch";
import preprocessingDefault, { unshuffled } from "../../examples/preprocessing";

const rules = (r: Report, id: string) => r.warnings.filter((w) => w.rule === id);
const run = (spec: Parameters<typeof inspect>[0], opts: Parameters<typeof inspect>[1] = {}) => inspect(spec, { gradcheck: false, ...opts });

describe("nan-or-inf: NaN made by the optimizer step", () => {
  it("Adam with eps 0 on dead ReLUs (0/0 in the update) is traced to Adam.step, not 'not tracked'", async () => {
    const spec = defineModel({
      name: "adam eps0",
      model: () => new nn.Sequential(new nn.Linear(2, 16, { biasInit: nn.init.constant(-10) }), new nn.ReLU(), new nn.Linear(16, 2)),
      data: () => data.moons({ n: 64, seed: 1 }),
      loss: losses.softmaxCrossEntropy,
      optimizer: (p) => new optim.Adam(p, { lr: 0.01, eps: 0 }),
      batchSize: 16,
      steps: 10,
    });
    const r = await run(spec);
    const n = rules(r, "nan-or-inf");
    expect(n).toHaveLength(1);
    expect(n[0].message).not.toMatch(/not tracked/);
    expect(n[0].evidence).toMatchObject({ op: "Adam.step", phase: "update", step: 0, layer: "layers.0", value: "NaN" });
    expect(n[0].evidence.parameter).toMatch(/^layers\.0\./);
    expect(n[0].layer).toBe("layers.0");
    expect(n[0].message).toMatch(/^Adam\.step \(the optimizer update\) turned layers\.0\.\w+ into NaN at step 0/);
    // Training stops before the NaN parameters run a forward pass.
    expect(r.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
  });

  it("does not blame the optimizer of a healthy run", async () => {
    const r = await run(defineModel({
      name: "adam ok",
      model: () => new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 2)),
      data: () => data.moons({ n: 64, seed: 1 }),
      loss: losses.softmaxCrossEntropy,
      optimizer: (p) => new optim.Adam(p, { lr: 0.01 }),
      batchSize: 16,
      steps: 10,
    }));
    expect(rules(r, "nan-or-inf")).toEqual([]);
    expect(r.status?.reason).toBe("completed");
  });
});

describe("a converged model", () => {
  const converges = defineModel({
    name: "converges",
    model: () => new nn.Sequential(new nn.Linear(4, 8), new nn.Linear(8, 1)),
    data: () => data.linearRegression({ n: 64, features: 4, noise: 0, seed: 2 }),
    loss: losses.mse,
    optimizer: (p) => new optim.Adam(p, { lr: 0.02 }),
    steps: 600,
  });

  it("gets neither vanishing-gradient nor update-ratio 'too small' once its loss is ~0", async () => {
    const r = await run(converges);
    const L = r.steps.map((s) => s.loss);
    expect(L[L.length - 1]).toBeLessThan(1e-12 * L[0]);
    expect(rules(r, "vanishing-gradient")).toEqual([]);
    expect(rules(r, "update-ratio")).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  const layers = [{ name: "a", kind: "Linear", hasParams: true }, { name: "b", kind: "Linear", hasParams: true }];
  const st = (name: string, g: number, ratio = 1e-3) => ({ name, gradNorm: g, gradMeanAbs: g, gradMaxAbs: g, weightNorm: 1, updateRatio: ratio, zeroFraction: 0, histogram: { edges: [], counts: [] } });

  it("the mean-|g| clause needs a last layer whose gradients are not tiny too", () => {
    // Both layers tiny (and comparable): nothing vanishes between them. Loss still high: not converged.
    const both: RuleContext = { steps: Array.from({ length: 8 }, (_, i) => ({ step: i, loss: 1, layers: [st("a", 1e-9), st("b", 2e-9)] })), layers };
    expect(vanishingGradient.check(both, vanishingGradient.defaults)).toEqual([]);
    // The first layer tiny, the last healthy: still fires.
    const one: RuleContext = { steps: Array.from({ length: 8 }, (_, i) => ({ step: i, loss: 1, layers: [st("a", 1e-9), st("b", 1e-2)] })), layers };
    expect(vanishingGradient.check(one, vanishingGradient.defaults).map((w) => w.layer)).toEqual(["a"]);
  });

  it("steps whose loss is below 1e-6 × the first (or 1e-8) are not judged; the floors are settings", () => {
    // Early layer 1e-6 of the last, but only after the loss fell 1e-9-fold.
    const steps = Array.from({ length: 12 }, (_, i) => ({ step: i, loss: i < 4 ? 1 : 1e-9, layers: i < 4 ? [st("a", 1e-2), st("b", 1e-2)] : [st("a", 1e-12, 1e-9), st("b", 1e-6, 1e-9)] }));
    const ctx: RuleContext = { steps, layers };
    expect(runRules(ctx).filter((w) => w.rule === "vanishing-gradient" || w.rule === "update-ratio")).toEqual([]);
    const strict = { convergedRelative: 0, convergedAbsolute: 0 };
    const fired = runRules(ctx, { "vanishing-gradient": strict, "update-ratio": strict });
    expect(fired.filter((w) => w.rule === "vanishing-gradient").map((w) => w.layer)).toEqual(["a"]);
    expect(fired.filter((w) => w.rule === "update-ratio").map((w) => w.evidence.direction)).toEqual(["too-small", "too-small"]);
  });
});

describe("loss rules and batch size", () => {
  it("loss-not-decreasing: batch size 1 (examples/minibatch.ts singleExample) is judged on 32-example blocks", async () => {
    const r = await run(singleExample);
    expect(rules(r, "loss-not-decreasing")).toEqual([]);
  });

  it("loss-not-decreasing: batch size 1 with lr 0 still fires", async () => {
    const r = await run({ ...singleExample, optimizer: (p) => new optim.SGD(p, { lr: 0 }) });
    const w = rules(r, "loss-not-decreasing");
    expect(w).toHaveLength(1);
    expect(w[0].evidence.blockSteps).toBe(32);
  });

  it("loss-not-decreasing on block means is a pure function of the losses and batch size", () => {
    // Per-example losses: heavy noise around a mean that halves over the run.
    const steps = Array.from({ length: 320 }, (_, i) => ({ step: i, loss: (i % 3 === 0 ? 2.5 : 0.25) * (1 - i / 640), layers: [] }));
    expect(lossNotDecreasing.check({ steps, layers: [], batchSize: 1 }, lossNotDecreasing.defaults)).toEqual([]);
    const flat = steps.map((s) => ({ ...s, loss: s.step % 3 === 0 ? 2.5 : 0.25 }));
    expect(lossNotDecreasing.check({ steps: flat, layers: [], batchSize: 1 }, lossNotDecreasing.defaults)).toHaveLength(1);
  });

  it("loss-oscillating fires on class-sorted (unshuffled) batches of 30 and not on the shuffled run", async () => {
    const bad = await run(unshuffled);
    expect(rules(bad, "loss-oscillating")).toHaveLength(1);
    expect(rules(bad, "loss-oscillating")[0].evidence.blockSteps).toBe(1);
    const good = await run(preprocessingDefault);
    expect(rules(good, "loss-oscillating")).toEqual([]);
  });

  it("loss-oscillating catches the class-sorted sawtooth at every batch size (periodic swing), the shuffled run at none", async () => {
    for (const batchSize of [16, 20, 24, 32, 40]) {
      const bad = await run(unshuffled, { batchSize, record: { kind: "steps", steps: [] } });
      const w = rules(bad, "loss-oscillating");
      expect(w, `batch ${batchSize}`).toHaveLength(1);
      const good = await run(preprocessingDefault, { batchSize, record: { kind: "steps", steps: [] } });
      expect(rules(good, "loss-oscillating"), `shuffled, batch ${batchSize}`).toEqual([]);
    }
    const w = rules(await run(unshuffled, { batchSize: 20 }), "loss-oscillating")[0];
    expect(w.evidence).toMatchObject({ kind: "periodic", period: 15 });
    expect(w.hint).toMatch(/shuffle/);
  });

  it("periodic swing: a noisy sawtooth fires; iid noise of the same range and a noisy decay do not", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const saw = Array.from({ length: 120 }, (_, i) => ({ step: i, loss: 1.2 * 0.6 ** (i % 12) + 0.1 + 0.05 * rnd(), layers: [] }));
    expect(lossOscillating.check({ steps: saw, layers: [], batchSize: 32 }, lossOscillating.defaults)[0]?.evidence).toMatchObject({ kind: "periodic", period: 12 });
    const iid = Array.from({ length: 120 }, (_, i) => ({ step: i, loss: 0.1 + 1.2 * rnd(), layers: [] }));
    expect(lossOscillating.check({ steps: iid, layers: [], batchSize: 32 }, { ...lossOscillating.defaults, riseFraction: 1 })).toEqual([]);
    const decay = Array.from({ length: 120 }, (_, i) => ({ step: i, loss: 2 * 0.97 ** i * (0.7 + 0.6 * rnd()), layers: [] }));
    expect(lossOscillating.check({ steps: decay, layers: [], batchSize: 32 }, lossOscillating.defaults)).toEqual([]);
  });

  it("loss-oscillating judges per step from minExamples/2 examples per batch, so 30 and 32 agree", () => {
    // A swing of period 10 (class-sorted batches): averaging pairs of steps would flatten it.
    const cycle = [0.13, 0.69, 1.23, 0.81, 0.18, 1.07, 0.53, 0.36, 1.13, 0.54];
    const steps = Array.from({ length: 60 }, (_, i) => ({ step: i, loss: cycle[i % 10], layers: [] }));
    for (const batchSize of [16, 30, 32, 64]) {
      expect(lossOscillating.check({ steps, layers: [], batchSize }, lossOscillating.defaults)).toHaveLength(1);
    }
  });
});

describe("gradcheck-failed and an inconclusive check", () => {
  const base: GradcheckResult = { mode: "sampled", eps: 1e-6, passed: false, layers: [] };

  it("an inconclusive check is one info warning 'gradcheck-inconclusive' with the reason, never an error", () => {
    const g: GradcheckResult = { ...base, status: "inconclusive", notes: ["Dropout and other train-only randomness off (eval mode)", "the loss is NaN at the checked point: nothing to compare"] };
    const w = gradcheckFailed.check({ steps: [], layers: [], gradcheck: g }, {});
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ rule: "gradcheck-inconclusive", severity: "info" });
    expect(w[0].message).toMatch(/could not judge.*the loss is NaN at the checked point/);
    expect(runRules({ steps: [], layers: [], gradcheck: g }).filter((x) => x.severity === "error")).toEqual([]);
  });

  it("a failed check stays an error", () => {
    const g: GradcheckResult = {
      ...base, status: "failed",
      layers: [{ name: "layers.0", checked: 4, maxRelError: 0.5, passed: false, failures: 2, worst: [] }],
    };
    const w = gradcheckFailed.check({ steps: [], layers: [], gradcheck: g }, {});
    expect(w.map((x) => [x.rule, x.severity])).toEqual([["gradcheck-failed", "error"]]);
    // Reports written before `status` existed: `passed: false` alone is a failure.
    const { status: _s, ...old } = g;
    expect(gradcheckFailed.check({ steps: [], layers: [], gradcheck: old }, {})[0].severity).toBe("error");
  });
});
