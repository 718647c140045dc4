/**
 * What MultiheadAttention tells the rules about its parts: the roles of its projections (queries and keys
 * are judged by vanishing-query-key-gradient against their own values, not by vanishing-gradient against
 * the output) and its key bias, whose gradient is zero by softmax's shift invariance. On hand-made
 * records, on a real 12-block encoder whose upper attention layers barely learn, and on the 2-block
 * transformer examples where the rule must stay silent.
 */
import { describe, expect, it } from "vitest";
import { defineModel, inspect, losses, nn, optim, Tensor, type StepRecord, type Warning } from "../../src";
import { vanishingGradient, vanishingQueryKeyGradient, type RuleContext, type RuleLayer } from "../../src/instrument/rules";
import { groupProblems } from "../../src/instrument/problems";
import deepEncoder from "../e2e/workspace-views/transformer";
import transformer, { warmup } from "../../examples/transformer";

const fired = (ws: Warning[], rule: string) => ws.filter((w) => w.rule === rule);

describe("MultiheadAttention declares its projections' roles and its key bias's zero gradient", () => {
  it("in the report's layers, with the composite's path; no bias, nothing declared", async () => {
    const spec = (bias: boolean) => defineModel({
      name: `attention, bias ${bias}`,
      model: () => new nn.Sequential(new nn.MultiheadAttention(4, 2, { bias })),
      data: () => {
        const x = new Tensor(Float64Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(1.3 * i)), [2, 3, 4]);
        return { x, y: new Tensor(Float64Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.cos(0.7 * i)), [2, 3, 4]) };
      },
      loss: losses.mse,
      optimizer: (p) => new optim.SGD(p, { lr: 0.1 }),
      batchSize: 2,
      steps: 2,
    });
    const r = await inspect(spec(true), { gradcheck: false });
    const byName = new Map(r.model.layers.map((l) => [l.name, l]));
    expect(["qProj", "kProj", "vProj", "outProj"].map((p) => byName.get(`layers.0.${p}`)?.role)).toEqual([
      { kind: "attention-query", within: "layers.0" }, { kind: "attention-key", within: "layers.0" },
      { kind: "attention-value", within: "layers.0" }, { kind: "attention-output", within: "layers.0" },
    ]);
    expect(byName.get("layers.0.kProj")?.zeroGradient).toEqual([{ name: "layers.0.kProj.bias", reason: expect.stringMatching(/^softmax ignores a shift shared by all keys/) }]);
    for (const p of ["qProj", "vProj", "outProj"]) expect(byName.get(`layers.0.${p}`)?.zeroGradient).toBeUndefined();
    // The declaration is true: the key bias's gradient is zero up to round-off, the query bias's is not.
    for (const s of r.steps.filter((x) => x.layers.length)) {
      const param = (name: string) => s.layers.flatMap((l) => l.params ?? []).find((p) => p.name === name)!;
      expect(param("layers.0.kProj.bias").gradNorm).toBeLessThan(1e-12 * param("layers.0.vProj.bias").gradNorm);
      expect(param("layers.0.qProj.bias").gradNorm).toBeGreaterThan(1e-6 * param("layers.0.vProj.bias").gradNorm);
    }
    const noBias = await inspect(spec(false), { gradcheck: false });
    expect(noBias.model.layers.some((l) => l.zeroGradient)).toBe(false);
  });
});

// ---- the rule on hand-made records --------------------------------------------------------------------

const attentionLayers: RuleLayer[] = [
  { name: "in", kind: "Linear", hasParams: true },
  ...(["query", "key", "value", "output"] as const).map((k, i): RuleLayer => ({
    name: `attn.${["q", "k", "v", "o"][i]}`, kind: "Linear", hasParams: true, role: { kind: `attention-${k}`, within: "attn" }, location: { file: "m.ts", line: 7, column: 3 },
  })),
  { name: "head", kind: "Linear", hasParams: true },
];
const layerStats = (name: string, gradNorm: number) => ({ name, gradNorm, gradMeanAbs: gradNorm / 10, gradMaxAbs: gradNorm, weightNorm: 1, updateRatio: 1e-3, zeroFraction: 0, histogram: { edges: [], counts: [] } });
/** Steps whose query and key gradients are `qk[i]` × the value's (1e-2), the rest of the model healthy. */
const records = (qk: number[]): StepRecord[] => qk.map((r, step) => ({
  step, loss: 1 - step / 100,
  layers: [layerStats("in", 0.5), layerStats("attn.q", r * 1e-2), layerStats("attn.k", r * 5e-3), layerStats("attn.v", 1e-2), layerStats("attn.o", 0.3), layerStats("head", 1)],
}));
const ctx = (qk: number[]): RuleContext => ({ steps: records(qk), layers: attentionLayers });

describe("vanishing-query-key-gradient on hand-made records", () => {
  it("fires (info) on the query projection when queries and keys stay below 1e-2 × the values for 5 recorded steps", () => {
    const w = vanishingQueryKeyGradient.check(ctx([1, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1]), vanishingQueryKeyGradient.defaults);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ rule: "vanishing-query-key-gradient", severity: "info", layer: "attn.q", step: 1, location: { line: 7 } });
    expect(w[0].evidence).toMatchObject({ attention: "attn", ratio: 1e-3 });
    expect(w[0].message).toMatch(/^the queries and keys of attn receive 1e-3× the gradient of its values \(attn\.q, attn\.k vs attn\.v/);
    // Four steps: not sustained. At the threshold: not below it.
    expect(vanishingQueryKeyGradient.check(ctx([1, 1e-3, 1e-3, 1e-3, 1e-3, 1]), vanishingQueryKeyGradient.defaults)).toEqual([]);
    expect(vanishingQueryKeyGradient.check(ctx([1, 1, 1, 1, 1, 1]), vanishingQueryKeyGradient.defaults)).toEqual([]);
    // The larger of query and key counts: a key that learns keeps the scores learning.
    const keyLearns = records([1e-3, 1e-3, 1e-3, 1e-3, 1e-3]).map((s) => ({ ...s, layers: s.layers.map((l) => (l.name === "attn.k" ? layerStats("attn.k", 1e-2) : l)) }));
    expect(vanishingQueryKeyGradient.check({ steps: keyLearns, layers: attentionLayers }, vanishingQueryKeyGradient.defaults)).toEqual([]);
  });

  it("vanishing-gradient leaves queries and keys to it, and still judges the values and the rest", () => {
    // Queries and keys 1e-5 of the head, values 1e-2: vanishing-gradient would fire on q and k by the ratio alone.
    const qkOnly = vanishingGradient.check(ctx([1e-3, 1e-3, 1e-3, 1e-3, 1e-3]), vanishingGradient.defaults);
    expect(qkOnly).toEqual([]);
    const unroled = { steps: records([1e-3, 1e-3, 1e-3, 1e-3, 1e-3]), layers: attentionLayers.map(({ role: _role, ...l }) => l) };
    expect(vanishingGradient.check(unroled, vanishingGradient.defaults).map((w) => w.layer)).toEqual(["attn.q", "attn.k"]);
    // The whole attention starved (values too): vanishing-gradient blames the value projection.
    const starved = records([1, 1, 1, 1, 1]).map((s) => ({ ...s, layers: s.layers.map((l) => (l.name === "attn.v" ? layerStats("attn.v", 1e-6) : l)) }));
    expect(vanishingGradient.check({ steps: starved, layers: attentionLayers }, vanishingGradient.defaults).map((w) => w.layer)).toEqual(["attn.v"]);
  });

  it("groups into one problem over the attention layers' span", () => {
    const ws = [7, 12, 9].map((b) => ({
      rule: "vanishing-query-key-gradient", severity: "info" as const, layer: `layers.${b}.selfAttn.qProj`, message: "m", hint: "h", evidence: { attention: `layers.${b}.selfAttn` },
    }));
    const ps = groupProblems(ws, ["layers.7.selfAttn.qProj", "layers.9.selfAttn.qProj", "layers.12.selfAttn.qProj"]);
    expect(ps.map((p) => [p.title, p.severity, p.layer, p.causes])).toEqual([["attention barely learning in layers.7–12.selfAttn", "info", "layers.7.selfAttn.qProj", [0, 2, 1]]]);
  });
});

// ---- on real models --------------------------------------------------------------------------------

describe("on real transformers", () => {
  it("the 12-block encoder: queries and keys of the upper blocks barely learn (info); no vanishing-gradient on them", async () => {
    const r = await inspect(deepEncoder, { gradcheck: false });
    const w = fired(r.warnings, "vanishing-query-key-gradient");
    const blocks = w.map((x) => Number(/^layers\.(\d+)\./.exec(x.layer!)![1])).sort((a, b) => a - b);
    console.log(`vanishing-query-key-gradient in blocks ${blocks.join(", ")}`);
    // The ratio falls with depth: the upper blocks, not the lower ones.
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...blocks)).toBeGreaterThanOrEqual(5);
    expect(blocks).toContain(12);
    expect(fired(r.warnings, "vanishing-gradient").filter((x) => /\.(qProj|kProj)$/.test(x.layer ?? ""))).toEqual([]);
    const p = r.problems!.find((x) => x.rule === "vanishing-query-key-gradient")!;
    expect(p.title).toMatch(/^attention barely learning in layers\.\d+–12\.selfAttn$/);
    expect(p.severity).toBe("info");
  }, 120_000);

  it("examples/transformer.ts, both runs: silent (queries and keys learn as much as values)", async () => {
    for (const spec of [transformer, warmup]) {
      const r = await inspect(spec, { gradcheck: false, steps: 40 });
      expect(fired(r.warnings, "vanishing-query-key-gradient")).toEqual([]);
    }
  }, 120_000);
});
