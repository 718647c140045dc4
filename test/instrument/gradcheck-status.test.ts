/**
 * What the check says when it cannot judge, and what its numbers mean: non-finite gradients are
 * inconclusive (never a wrong rule), entries whose analytic and numeric values are both below the resolution of central differences stay
 * out of maxRelError, and float32 parameters are noted as checked on float64 copies.
 */
import { describe, expect, it } from "vitest";
import { checkGradients, defineOp, losses, nn, ops, tensor, Tensor } from "../../src";
import { globalRandom } from "../../src/engine";
import batchnorm from "../../examples/batchnorm";
import { spirals } from "./fixtures";

describe("status", () => {
  it("passed and failed are stated, not only `passed`", () => {
    const ok = checkGradients((a) => ops.tanh(a).sum(), { inputs: [tensor([0.3, -0.2])], mode: "full" });
    expect(ok.status).toBe("passed");
    const bad = checkGradients((a) => ops.tanh(a).sum(), { inputs: [tensor([0.3, -0.2])], mode: "full", rtol: 0, atol: -1 });
    expect(bad.status).toBe("failed");
    expect(bad.passed).toBe(false);
  });

  it("a non-finite loss at the checked point is inconclusive", () => {
    const r = checkGradients((a) => ops.log(a).sum(), { inputs: [tensor([-1, 1])], mode: "full" });
    expect(r.passed).toBe(false);
    expect(r.status).toBe("inconclusive");
    expect(r.notes?.join(" ")).toMatch(/loss is NaN/);
  });
});

describe("non-finite gradients", () => {
  it("sqrt(x²) at 0: the NaN analytic entry is flagged nonFinite, the tensor inconclusive, and sqrt is not blamed", () => {
    for (const mode of ["full", "sampled", "directional"] as const) {
      const r = checkGradients((a) => ops.sqrt(ops.mul(a, a)).sum(), { inputs: [tensor([0, 1, -2])], mode });
      expect(r.culprit).toBeUndefined();
      expect(r.status).toBe("inconclusive");
      expect(r.passed).toBe(false);
      const t = r.layers[0].tensors![0] as { failures: number; nonFinite?: number; status?: string };
      expect(t.failures).toBe(0);
      expect(t.nonFinite).toBeGreaterThan(0);
      expect(t.status).toBe("inconclusive");
      const e = r.layers[0].worst.find((w) => w.index[0] === 0) as { nonFinite?: boolean; analytic: number } | undefined;
      expect(e?.nonFinite).toBe(true);
      expect(Number.isNaN(e?.analytic)).toBe(true);
      expect(r.notes?.join(" ")).toMatch(/non-finite .*nan-or-inf/);
    }
  });

  it("a genuine failure elsewhere still fails, and is blamed, next to a non-finite tensor", () => {
    const badSquare = defineOp({ name: "statusBadSquare", forward: (t) => ops.mul(t, t), backward: (g, { inputs: [t] }) => [g.mul(t)] });
    const w = tensor([0.5, -0.3]);
    w.name = "w";
    const z = tensor([0, 1]);
    z.name = "z";
    const r = checkGradients((a, b) => ops.add(ops.sum(badSquare(a)), ops.sum(ops.sqrt(ops.mul(b, b)))), { inputs: [w, z], mode: "full" });
    const layer = (name: string) => r.layers.find((l) => l.name === name)! as { passed: boolean; status?: string; failures?: number };
    expect(layer("w")).toMatchObject({ passed: false, status: "failed", failures: 2 });
    expect(layer("z")).toMatchObject({ passed: false, status: "inconclusive", failures: 0 });
    expect(r.status).toBe("failed");
    expect(r.culprit?.op).toBe("statusBadSquare");
  });
});

describe("maxRelError leaves out negligible entries", () => {
  it("examples/batchnorm.ts, full: every passing layer's maxRelError is below 1e-2 (a Linear bias before BatchNorm has exact gradient ≈ 0)", () => {
    // 8 rows keep the test quick; the bias before BatchNorm has a zero gradient for any batch.
    const r = checkGradients(batchnorm, { mode: "full", batchSize: 8 });
    for (const l of r.layers.filter((x) => x.passed)) expect(l.maxRelError).toBeLessThan(1e-2);
    expect(r.status).toBe("passed");
    // The biases before BatchNorm are exactly the negligible entries, and are reported as such.
    const bias0 = r.layers.find((l) => l.name === "layers.0")!.tensors!.find((t) => t.name === "layers.0.bias") as { checked: number; negligible?: number };
    expect(bias0.negligible).toBe(bias0.checked);
    expect(r.notes?.join(" ")).toMatch(/below the resolution of central differences .* left out of maxRelError/);
  });

  it("tiny gradients of a vanishing stack are measured where central differences resolve them, else reported negligible", async () => {
    const spec = (await import("../../examples/deep-sigmoid")).default;
    const r = checkGradients(spec, { mode: "full", batchSize: 16 });
    const tensors = r.layers.flatMap((l) => l.tensors ?? []);
    // layers.4's gradients (≈1e-6, below atol) are measured, not hidden…
    const mid = tensors.find((t) => t.name === "layers.4.weight")!;
    expect(mid.negligible ?? 0).toBeLessThan(mid.checked / 2);
    expect(mid.maxRelError).toBeGreaterThan(0);
    // …and no layer shows a relative error that is only round-off (CS231n reads > 1e-2 as wrong).
    for (const l of r.layers) expect(l.maxRelError, l.name).toBeLessThan(1e-2);
    expect(r.status).toBe("passed");
  });

  it("a negligible entry keeps its relative error in the entry itself (|a − n| / max(|a|, |n|, tiny))", () => {
    // (x − mean(x))² summed has gradient 0 w.r.t. a constant shift: analytic ~1e-17, numeric round-off.
    const x = tensor([0.1, 0.7, -0.4]);
    const r = checkGradients((a) => { const c = ops.sub(a, ops.mean(a)); return ops.sum(ops.mul(c, 0)); }, { inputs: [x], mode: "full" });
    expect(r.layers[0].maxRelError).toBe(0);
    for (const e of r.layers[0].worst as Array<{ negligible?: boolean }>) expect(e.negligible).toBe(true);
    expect(r.status).toBe("passed");
  });
});

describe("float32", () => {
  it("float32 parameters with a float64 batch: the note says they were checked on float64 copies", () => {
    globalRandom.seed(2);
    const model = new nn.Sequential(new nn.Linear(2, 6, { dtype: "float32" }), new nn.Tanh(), new nn.Linear(6, 2, { dtype: "float32" }));
    const d = spirals(10, 3, 2);
    expect(d.x.dtype).toBe("float64");
    const r = checkGradients({ module: model, loss: losses.softmaxCrossEntropy, batch: d }, { mode: "full" });
    expect(r.notes).toContain("float32 tensors checked on float64 copies");
    expect(r.status).toBe("passed");
    expect(model.parameters().every((p) => p.dtype === "float32")).toBe(true);
  });

  it("a function of float32 inputs says so too; float64 inputs do not", () => {
    const x = new Tensor(Float32Array.from([0.5, -1]), [2]);
    expect(checkGradients((a) => ops.tanh(a).sum(), { inputs: [x], mode: "full" }).notes).toContain("float32 tensors checked on float64 copies");
    expect(checkGradients((a) => ops.tanh(a).sum(), { inputs: [tensor([0.5, -1])], mode: "full" }).notes ?? []).not.toContain("float32 tensors checked on float64 copies");
  });
});
