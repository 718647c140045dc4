/**
 * exploding-gradient in every form: absolute magnitude (a uniformly huge stack), forward activation
 * growth (the init scale), growth over steps — each must fire where the model explodes, naming the layer
 * where growth starts, and stay silent on healthy models.
 */
import { describe, expect, it } from "vitest";
import { inspect, nn, type Report } from "../../src";
import { activationGrowth, runRules, type RuleContext, type RuleLayer } from "../../src/instrument/rules";
import type { LayerStepStats, StepRecord } from "../../src/report";
import { classifier, deepReluHe, deepSigmoid, mlp } from "./fixtures";

const exploding = (r: Report) => r.warnings.filter((w) => w.rule === "exploding-gradient");
const run = (spec: Parameters<typeof inspect>[0]) => inspect(spec, { gradcheck: false, steps: 6 });

function stats(name: string, gradNorm: number, weightNorm: number, std?: number): LayerStepStats {
  return {
    name, gradNorm, gradMeanAbs: gradNorm, gradMaxAbs: gradNorm, weightNorm, updateRatio: 1e-3, zeroFraction: 0, histogram: { edges: [], counts: [] },
    ...(std !== undefined ? { activation: { mean: 0, std } } : {}),
  };
}

/** Four Linear layers with ReLUs between them; `g` gives each Linear's gradient norm, `std` each ReLU's output std. */
function context(g: number[], stds: number[], steps = 6): RuleContext {
  const layers: RuleLayer[] = [];
  for (let i = 0; i < g.length; i++) {
    layers.push({ name: `lin${i}`, kind: "Linear", hasParams: true });
    if (i < stds.length) layers.push({ name: `act${i}`, kind: "ReLU", activation: "relu", hasParams: false });
  }
  const step = (k: number): StepRecord => ({
    step: k, loss: 1,
    layers: layers.map((l) => l.hasParams ? stats(l.name, g[Number(l.name.slice(3))], 2) : stats(l.name, 1, 0, stds[Number(l.name.slice(3))])),
  });
  return { steps: Array.from({ length: steps }, (_, k) => step(k)), layers };
}

describe("exploding-gradient: absolute magnitude", () => {
  it("fires on a uniformly huge stack (no first-to-last ratio, no growth over steps), at its first layer", () => {
    const w = runRules(context([3e7, 2e7, 2e7, 1e7], [1, 1, 1])).filter((x) => x.rule === "exploding-gradient");
    expect(w).toHaveLength(1);
    expect(w[0].layer).toBe("lin0");
    expect(w[0].evidence.form).toBe("absolute");
    expect(w[0].evidence.layers).toEqual(["lin0", "lin1", "lin2", "lin3"]);
    expect(w[0].message).toMatch(/× the weight norms from lin0 on \(4 of 4 layers/);
  });

  it("is silent on ordinary gradient norms, and on a single huge step", () => {
    expect(runRules(context([2, 1, 1, 0.5], [1, 1, 1])).filter((x) => x.rule === "exploding-gradient")).toEqual([]);
    const ctx = context([2, 1, 1, 0.5], [1, 1, 1]);
    ctx.steps[2].layers.forEach((l) => (l.gradNorm = 1e8));
    expect(runRules(ctx).filter((x) => x.rule === "exploding-gradient" && x.evidence.form === "absolute")).toEqual([]);
  });
});

describe("exploding-gradient: forward activation growth", () => {
  it("names the activation layer where the std starts multiplying", () => {
    const ctx = context([1, 1, 1, 1, 1, 1], [1, 1.1, 5, 30, 200]);
    const g = activationGrowth(ctx, ctx.steps[0], 2, 100);
    expect(g?.start).toBe("act1");
    expect(g?.layers).toEqual(["act1", "act2", "act3", "act4"]);
    const w = runRules(ctx).filter((x) => x.rule === "exploding-gradient");
    expect(w.map((x) => x.evidence.form)).toEqual(["activation-growth"]);
    expect(w[0].layer).toBe("act1");
    expect(w[0].hint).toMatch(/nn\.init\.heNormal/);
  });

  it("is silent when activations stay in scale, or grow only a little", () => {
    expect(activationGrowth(context([1, 1, 1, 1], [1, 1.2, 0.9]), context([1, 1, 1, 1], [1, 1.2, 0.9]).steps[0], 2, 100)).toBeNull();
    const ctx = context([1, 1, 1, 1, 1], [1, 2.5, 6, 15]); // 15× overall: below 100×
    expect(runRules(ctx).filter((x) => x.rule === "exploding-gradient")).toEqual([]);
  });
});

describe("exploding-gradient: forward growth of a stack without activations", () => {
  /** Linear layers only; `outStd` gives each one's output std at the first step. */
  const linear = (outStd: number[]): RuleContext => ({
    layers: outStd.map((_, i): RuleLayer => ({ name: `lin${i}`, kind: "Linear", hasParams: true })),
    steps: Array.from({ length: 6 }, (_, k): StepRecord => ({
      step: k, loss: 1, layers: outStd.map((o, i) => ({ ...stats(`lin${i}`, 1, 2), ...(k === 0 ? { outputStd: o } : {}) })),
    })),
  });

  it("judges the parameter layers' output stds when there are no activation layers", () => {
    const g = activationGrowth(linear([1, 1.1, 5, 30, 200]), linear([1, 1.1, 5, 30, 200]).steps[0], 2, 100);
    expect(g).toMatchObject({ start: "lin1", layers: ["lin1", "lin2", "lin3", "lin4"], of: "outputs" });
    const w = runRules(linear([1, 1.1, 5, 30, 200])).filter((x) => x.rule === "exploding-gradient");
    expect(w.map((x) => [x.evidence.form, x.evidence.of, x.layer])).toEqual([["activation-growth", "outputs", "lin1"]]);
    expect(w[0].message).toMatch(/^layer outputs grow .*× per layer in the forward pass from lin1 on \(std 1\.1 → 200 over 4 layers\)/);
    expect(activationGrowth(linear([1, 1.5, 2, 3, 4]), linear([1, 1.5, 2, 3, 4]).steps[0], 2, 100)).toBeNull();
  });

  it("does not mix activation and parameter layers: a ReLU net's Linear outputs in scale stay silent", () => {
    // Linear outputs 1, 1, 1, 1; ReLU outputs 0.6 each: no run grows.
    const ctx = context([1, 1, 1, 1], [0.6, 0.6, 0.6]);
    for (const l of ctx.steps[0].layers) if (l.name.startsWith("lin")) l.outputStd = 1;
    expect(activationGrowth(ctx, ctx.steps[0], 2, 100)).toBeNull();
  });

  it("through the pipeline: a deep linear stack with a large uniform init fires; the same stack at Xavier scale does not", async () => {
    const large = await run(classifier("deep linear, large uniform init", () => mlp(6, 32, null, nn.init.uniform(-1.5, 1.5)), 1e-4));
    const e = exploding(large);
    expect(e.map((w) => [w.evidence.form, w.evidence.of])).toContainEqual(["activation-growth", "outputs"]);
    // Each Linear multiplies the std by about √32 · 1.5/√3 ≈ 4.9.
    expect(e.find((w) => w.evidence.of === "outputs")!.evidence.factorPerLayer as number).toBeGreaterThan(3);
    expect(large.steps[0].layers.every((l) => typeof l.outputStd === "number")).toBe(true);
    expect(large.steps[1].layers.some((l) => l.outputStd !== undefined)).toBe(false);
    expect(exploding(await run(classifier("deep linear, xavier", () => mlp(6, 32, null, nn.init.xavierNormal()), 1e-2)))).toEqual([]);
  });
});

describe("exploding-gradient through the pipeline", () => {
  it("fires on a deep ReLU MLP with a large init, from its first layers", async () => {
    const r = await run(classifier("deep relu, large init", () => mlp(8, 32, () => new nn.ReLU(), nn.init.normal(1)), 1e-6));
    const e = exploding(r);
    expect(e.length).toBeGreaterThan(0);
    expect(e.map((w) => w.evidence.form)).toContain("activation-growth");
    const growth = e.find((w) => w.evidence.form === "activation-growth")!;
    expect(growth.layer).toBe("layers.1");
  });

  it("is silent on healthy ReLU + He and on a vanishing sigmoid stack", async () => {
    expect(exploding(await run(deepReluHe()))).toEqual([]);
    expect(exploding(await run(deepSigmoid()))).toEqual([]);
  });
});

describe("exploding-gradient: absolute magnitude needs a stack", () => {
  it("one huge layer next to the loss (a large loss, as in a stable softmax on big logits) is not an explosion", () => {
    const w = runRules(context([1, 1, 1, 1e7], [1, 1, 1])).filter((x) => x.rule === "exploding-gradient" && x.evidence.form === "absolute");
    expect(w).toEqual([]);
  });
});
