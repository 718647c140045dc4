import { describe, expect, it } from "vitest";
import { groupProblems, layerSpan, problemsOf } from "../../src/instrument/problems";
import type { Warning } from "../../src/report";

const loc = (line: number) => ({ file: "m.ts", line, column: 1 });
const w = (rule: string, layer?: string, evidence: Record<string, unknown> = {}, severity: Warning["severity"] = "warning"): Warning => ({
  rule, severity, message: `${rule} ${layer ?? ""}`, hint: `fix ${rule}`, evidence, ...(layer ? { layer, location: loc(Number(layer.split(".")[1] ?? 0) + 10) } : {}),
});
const order = ["layers.0", "layers.1", "layers.2", "layers.3", "layers.4", "layers.5", "layers.6"];

describe("groupProblems", () => {
  it("groups the deep-sigmoid pattern (vanishing ×3, too-small update ratio ×3, loss flat) into one problem", () => {
    const ws = [
      w("vanishing-gradient", "layers.2", { gradNorm: 1e-6 }),
      w("vanishing-gradient", "layers.0", { gradNorm: 1e-7 }),
      w("vanishing-gradient", "layers.4", { gradNorm: 1e-5 }),
      w("update-ratio", "layers.0", { direction: "too-small" }),
      w("update-ratio", "layers.2", { direction: "too-small" }),
      w("update-ratio", "layers.4", { direction: "too-small" }),
      w("loss-not-decreasing"),
    ];
    const ps = groupProblems(ws, order);
    expect(ps).toHaveLength(1);
    const p = ps[0];
    expect(p.title).toBe("vanishing gradients in layers.0–4");
    expect(p.rule).toBe("vanishing-gradient");
    expect(p.layer).toBe("layers.0");
    expect(p.location).toEqual(loc(10));
    expect(p.fix).toBe("fix vanishing-gradient");
    expect(p.causes).toEqual([1, 0, 2]);
    expect(p.symptoms).toEqual([3, 4, 5, 6]);
    expect(p.id).toBe("vanishing-gradient@layers.0");
  });

  it("keeps two independent causes apart: a dead ReLU and a NaN", () => {
    const ws = [
      w("nan-or-inf", "layers.5", {}, "error"),
      w("dead-relu", "layers.1", { deadFraction: 0.9 }),
      w("vanishing-gradient", "layers.0", { gradNorm: 0 }),
    ];
    const ps = groupProblems(ws, order);
    expect(ps.map((p) => p.rule)).toEqual(["nan-or-inf", "dead-relu"]);
    expect(ps[0].severity).toBe("error");
    expect(ps[1].symptoms).toEqual([2]);
  });

  it("a dead ReLU does not claim a vanishing gradient that is small but not zero", () => {
    const ps = groupProblems([w("dead-relu", "layers.3"), w("vanishing-gradient", "layers.0", { gradNorm: 1e-9 })], order);
    expect(ps).toHaveLength(2);
  });

  it("attaches too-large update ratios and an oscillating loss to exploding gradients, not too-small ones", () => {
    const ws = [
      w("exploding-gradient", "layers.2"),
      w("update-ratio", "layers.2", { direction: "too-large" }),
      w("loss-oscillating"),
      w("update-ratio", "layers.6", { direction: "too-small" }),
    ];
    const ps = groupProblems(ws, order);
    expect(ps).toHaveLength(2);
    const exploding = ps.find((p) => p.rule === "exploding-gradient")!;
    expect(exploding.symptoms).toEqual([1, 2]);
    const small = ps.find((p) => p.rule === "update-ratio")!;
    expect(small.title).toBe("learning rate too small for layers.6");
  });

  it("every warning lands in exactly one problem; unknown rules stand alone", () => {
    const ws = [w("saturated-activation", "layers.1"), w("custom-rule"), w("loss-oscillating"), w("gradcheck-failed", "layers.0", {}, "error"), w("gradcheck-failed", "layers.2", {}, "error")];
    const ps = groupProblems(ws, order);
    const all = ps.flatMap((p) => [...p.causes, ...p.symptoms]).sort();
    expect(all).toEqual([0, 1, 2, 3, 4]);
    expect(ps[0].title).toBe("wrong backward rule in layers.0–2");
    expect(new Set(ps.map((p) => p.id)).size).toBe(ps.length);
  });

  it("no warnings, no problems; old reports are grouped on read", () => {
    expect(groupProblems([], order)).toEqual([]);
    const report = { warnings: [w("vanishing-gradient", "layers.0"), w("loss-not-decreasing")], model: { layers: order.map((name) => ({ name })) } };
    expect(problemsOf(report)).toHaveLength(1);
  });

  it("layerSpan", () => {
    expect(layerSpan(["layers.0", "layers.2"])).toBe("layers.0–2");
    expect(layerSpan(["enc", "dec"])).toBe("enc, dec");
    // One number differs, wherever it is in the path.
    expect(layerSpan(["layers.7.selfAttn", "layers.12.selfAttn", "layers.9.selfAttn"])).toBe("layers.7–12.selfAttn");
    expect(layerSpan(["blocks.3.attn.q_proj", "blocks.4.attn.q_proj"])).toBe("blocks.3–4.attn.q_proj");
    // Two parts differ: no span.
    expect(layerSpan(["layers.1.a", "layers.2.b"])).toBe("layers.1.a, layers.2.b");
    expect(layerSpan(["layers.1.conv2", "layers.2.conv1"])).toBe("layers.1.conv2, layers.2.conv1");
    expect(layerSpan(["a", "b", "c", "d"])).toBe("a, b, c and 1 more");
  });
});

describe("problems in inspect's report", () => {
  it("the deep-sigmoid example shows one problem, not seven warnings", async () => {
    const { inspect } = await import("../../src");
    const spec = (await import("../../examples/deep-sigmoid")).default;
    const r = await inspect(spec);
    expect(r.warnings.length).toBeGreaterThanOrEqual(5);
    expect(r.problems).toHaveLength(1);
    const p = r.problems![0];
    expect(p.title).toMatch(/^vanishing gradients in layers\.0–\d+$/);
    expect(p.layer).toBe("layers.0");
    expect([...p.causes, ...p.symptoms].sort((a, b) => a - b)).toEqual(r.warnings.map((_, i) => i));
    expect(p.symptoms.map((i) => r.warnings[i].rule)).toContain("loss-not-decreasing");
  });

  it("a dead-ReLU net whose output overflows later shows two problems", async () => {
    const { inspect, defineModel, nn, losses, optim, data, ops } = await import("../../src");
    let calls = 0;
    class BlowUp extends nn.Module {
      forward(x: Parameters<typeof ops.exp>[0]) {
        calls++;
        return calls > 40 ? ops.exp(ops.mul(x, 1e6)) : x;
      }
    }
    const deadBias = { init: nn.init.heNormal(), biasInit: nn.init.constant(-3) };
    const spec = defineModel({
      name: "dead relu then NaN",
      model: () => new nn.Sequential(new nn.Linear(2, 32, deadBias), new nn.ReLU(), new nn.Linear(32, 32, deadBias), new nn.ReLU(), new nn.Linear(32, 2), new BlowUp()),
      data: () => data.moons({ n: 200, noise: 0.1, seed: 3 }),
      loss: losses.softmaxCrossEntropy,
      optimizer: (params) => new optim.SGD(params, { lr: 0.5 }),
      batchSize: 32,
      steps: 80,
    });
    const r = await inspect(spec);
    const rules = new Set(r.warnings.map((w) => w.rule));
    expect(rules.has("dead-relu") && rules.has("nan-or-inf")).toBe(true);
    expect(r.problems!.map((p) => p.rule).sort()).toEqual(["dead-relu", "nan-or-inf"]);
  });
});
