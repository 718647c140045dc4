/**
 * inspect end to end: the report's content checked against independent computations, progress and
 * early stop, and every kind of report validated against schema/report.schema.json with ajv.
 */
import { describe, expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { data, defineModel, defineOp, inspect, losses, nn, ops, optim, train, type ProgressInfo, type Report, type Tensor } from "../../src";
import { classifier, deepSigmoid, mlp, NaiveSoftmax, nll, spirals } from "./fixtures";

const schema = JSON.parse(readFileSync(fileURLToPath(new URL("../../schema/report.schema.json", import.meta.url)), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
/** Validates the report as it crosses a process boundary: JSON text, NaN becoming null. */
function expectValid(r: Report): void {
  const json = JSON.parse(JSON.stringify(r));
  const ok = validate(json);
  if (!ok) throw new Error(JSON.stringify(validate.errors?.slice(0, 5), null, 2));
}

const healthy = () => classifier("healthy", () => mlp(3, 16, () => new nn.ReLU(), nn.init.heNormal()), 0.1, { steps: 12 });

describe("inspect", () => {
  it("produces a version-1 report with the model summary, every step and per-layer statistics", async () => {
    const r = await inspect(healthy());
    expectValid(r);
    expect(r.version).toBe(1);
    expect(r.model.name).toBe("healthy");
    expect(r.model.parameters).toBe(2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2);
    expect(r.model.layers.map((l) => [l.name, l.kind, l.parameters])).toEqual([
      ["layers.0", "Linear", 48], ["layers.1", "ReLU", 0], ["layers.2", "Linear", 272], ["layers.3", "ReLU", 0], ["layers.4", "Linear", 34],
    ]);
    expect(r.steps).toHaveLength(12);
    expect(r.steps.every((s) => s.accuracy !== undefined && Number.isFinite(s.loss))).toBe(true);
    const s0 = r.steps[0];
    expect(s0.layers.map((l) => l.name)).toEqual(["layers.0", "layers.1", "layers.2", "layers.3", "layers.4"]);
    for (const l of s0.layers.filter((x) => x.gradSource === "parameters")) {
      const size = r.model.layers.find((m) => m.name === l.name)!.parameters;
      // Every entry lands in exactly one bin or in the zero count.
      expect(l.histogram.counts.reduce((a, b) => a + b, 0) + l.histogram.zeros!).toBe(size);
      expect(l.histogram.edges).toHaveLength(l.histogram.counts.length + 1);
      expect(l.params!.map((p) => p.name)).toEqual([`${l.name}.weight`, `${l.name}.bias`]);
      // Per tensor: the layer's histogram is the sum of its tensors' histograms, and the norms compose.
      const sum = l.params!.reduce((acc, p) => acc.map((c, k) => c + p.histogram!.counts[k]), new Array(l.histogram.counts.length).fill(0));
      expect(sum).toEqual(l.histogram.counts);
      expect(Math.hypot(...l.params!.map((p) => p.gradNorm))).toBeCloseTo(l.gradNorm, 12);
    }
    expect(s0.layers[1].activation!.deadFraction).toBeGreaterThanOrEqual(0);
    expect(r.gradcheck?.mode).toBe("sampled");
    expect(r.gradcheck?.passed).toBe(true);
    expect(r.gradcheck?.status).toBe("passed");
    expect(r.status).toMatchObject({ ok: true, reason: "completed", steps: 12, totalSteps: 12 });
    expect(r.timing!.recordedSteps).toBe(12);
  });

  it("records exactly what an independent computation over the same (seeded) run gives", async () => {
    const spec = healthy();
    const ref: Array<{ norm: number; meanAbs: number; maxAbs: number; zeros: number; wNorm: number; dead: number }> = [];
    const stepsWanted = 3;
    train(spec, {
      steps: stepsWanted,
      hooks: {
        afterBackward: (ctx) => {
          const p = ctx.params.filter(([n]) => n.startsWith("layers.2."));
          let sq = 0, abs = 0, max = 0, zeros = 0, count = 0, w = 0;
          for (const [, t] of p) {
            for (let i = 0; i < t.size; i++) {
              const g = t.grad!.data[i];
              sq += g * g; abs += Math.abs(g); max = Math.max(max, Math.abs(g)); zeros += g === 0 ? 1 : 0; count++;
              w += t.data[i] ** 2;
            }
          }
          // Dead units of layers.1: the ReLU's input column ≤ 0 on every row of the batch.
          const lin0 = ctx.model as nn.Sequential;
          const h = ops.add(ops.matmul(ctx.batch.x, (lin0.layers[0] as nn.Linear).weight), (lin0.layers[0] as nn.Linear).bias!);
          const [rows, units] = h.shape;
          let dead = 0;
          for (let u = 0; u < units; u++) {
            let alive = false;
            for (let rr = 0; rr < rows; rr++) if (h.data[rr * units + u] > 0) alive = true;
            if (!alive) dead++;
          }
          ref.push({ norm: Math.sqrt(sq), meanAbs: abs / count, maxAbs: max, zeros: zeros / count, wNorm: Math.sqrt(w), dead: dead / units });
        },
      },
    });
    const r = await inspect(spec, { steps: stepsWanted, gradcheck: false });
    r.steps.forEach((s, i) => {
      const l = s.layers.find((x) => x.name === "layers.2")!;
      expect(l.gradNorm).toBeCloseTo(ref[i].norm, 12);
      expect(l.gradMeanAbs).toBeCloseTo(ref[i].meanAbs, 14);
      expect(l.gradMaxAbs).toBe(ref[i].maxAbs);
      expect(l.zeroFraction).toBe(ref[i].zeros);
      expect(l.weightNorm).toBeCloseTo(ref[i].wNorm, 12);
      expect(l.gradRms).toBeCloseTo(ref[i].norm / Math.sqrt(272), 12);
      expect(s.layers.find((x) => x.name === "layers.1")!.activation!.deadFraction).toBe(ref[i].dead);
    });
  });

  it("records on the schedule only, but the loss every step; progress every step; stops early on request", async () => {
    const progress: ProgressInfo[] = [];
    let polls = 0;
    const r = await inspect(classifier("sched", () => mlp(2, 8, () => new nn.ReLU(), nn.init.heNormal()), 0.1, { steps: 40 }), {
      record: { kind: "every", interval: 10 },
      gradcheck: false,
      onProgress: (p) => progress.push(p),
      shouldStop: () => ++polls > 25,
    });
    expectValid(r);
    expect(r.steps).toHaveLength(25);
    expect(r.steps.filter((s) => s.layers.length).map((s) => s.step)).toEqual([0, 10, 20]);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(progress[10].layers?.length).toBeGreaterThan(0);
    expect(progress[11].layers).toBeUndefined();
    expect(progress[3]).toMatchObject({ totalSteps: 40, loss: r.steps[3].loss, accuracy: r.steps[3].accuracy });
    expect(r.status).toMatchObject({ ok: true, reason: "stopped", steps: 25, totalSteps: 40 });
  });

  it("a NaN run: the report is valid, has the origin warning, and the check does not add a spurious failure", async () => {
    const r = await inspect(defineModel({
      name: "naive softmax",
      model: () => new nn.Sequential(new nn.Linear(2, 3, { init: nn.init.normal(1000) }), new NaiveSoftmax()),
      data: () => spirals(),
      loss: nll,
      optimizer: (p) => new optim.SGD(p, { lr: 0.1 }),
      batchSize: 16,
      steps: 10,
    }));
    expectValid(r);
    expect(r.warnings.map((w) => w.rule)).toContain("nan-or-inf");
    expect(r.warnings.map((w) => w.rule)).not.toContain("gradcheck-failed");
    // The naive softmax's backward rules are right: only the numbers overflow, so the check is
    // inconclusive (the loss is non-finite at the checked point), never failed.
    expect(r.gradcheck).toBeDefined();
    expect(r.gradcheck!.status).toBe("inconclusive");
    expect(r.gradcheck!.passed).toBe(false);
    expect(r.gradcheck!.notes?.join(" ")).toMatch(/loss is (NaN|Infinity|-Infinity) at the checked point/);
  });

  it("checks on the run's batch size: a model that reshapes to a fixed batch of 32 is checked, not errored", async () => {
    class Flat extends nn.Module {
      forward(x: Tensor): Tensor { return x.reshape([32, 2]); }
    }
    const spec = classifier("fixed batch", () => new nn.Sequential(new Flat(), new nn.Linear(2, 2)), 0.1, { steps: 3, batchSize: 32 });
    const r = await inspect(spec, { gradcheck: { mode: "full" } });
    expectValid(r);
    expect(r.status?.ok).toBe(true);
    expect(r.gradcheck!.notes?.join(" ")).not.toMatch(/could not run/);
    expect(r.gradcheck!.status).toBe("passed");
    expect(r.gradcheck!.passed).toBe(true);
    expect(r.gradcheck!.notes?.join(" ")).toMatch(/32 of 200 training rows drawn at random/);
  });

  it("a check that throws is inconclusive with the reason in its notes, and no gradcheck-failed error", async () => {
    class TrainOnly extends nn.Module {
      forward(x: Tensor): Tensor {
        // The check runs in eval mode: this model cannot be evaluated there.
        if (!this.training) throw new Error("eval mode not supported");
        return x;
      }
    }
    const r = await inspect(classifier("train only", () => new nn.Sequential(new nn.Linear(2, 2), new TrainOnly()), 0.1, { steps: 2 }));
    expectValid(r);
    expect(r.status?.ok).toBe(true);
    expect(r.gradcheck).toMatchObject({ passed: false, status: "inconclusive" });
    expect(r.gradcheck!.notes?.join(" ")).toMatch(/could not run.*eval mode not supported/);
    expect(r.warnings.map((w) => w.rule)).not.toContain("gradcheck-failed");
  });

  it("sqrt(x²) at 0: a non-finite backward is the nan-or-inf warning's, not a wrong rule of sqrt", async () => {
    class Mag extends nn.Module {
      forward(x: Tensor): Tensor { return ops.sqrt(x.mul(x)); }
    }
    const r = await inspect(defineModel({
      name: "sqrt at 0",
      model: () => new nn.Sequential(new nn.Linear(2, 4, { biasInit: nn.init.constant(0) }), new Mag(), new nn.Linear(4, 3)),
      data: () => data.spirals({ n: 60, classes: 3, seed: 1 }),
      loss: losses.softmaxCrossEntropy,
      optimizer: (p) => new optim.SGD(p, { lr: 0.1 }),
      batchSize: 60,
      steps: 3,
    }), { gradcheck: { mode: "full" } });
    expectValid(r);
    expect(r.warnings.map((w) => w.rule)).toContain("nan-or-inf");
    expect(r.warnings.map((w) => w.rule)).not.toContain("gradcheck-failed");
    expect(r.gradcheck!.culprit).toBeUndefined();
    expect(r.gradcheck!.status).toBe("inconclusive");
    const layer0 = r.gradcheck!.layers.find((l) => l.name === "layers.0")! as { status?: string; failures?: number };
    expect(layer0).toMatchObject({ status: "inconclusive", failures: 0 });
    expect(r.gradcheck!.notes?.join(" ")).toMatch(/non-finite .*see the nan-or-inf warning/);
  });

  it("a wrong custom backward: gradcheck-failed blames the op's layer with its source location", async () => {
    const bad = defineOp({ name: "inspectBadSquare", forward: (x) => ops.mul(x, x), backward: (g, { inputs: [x] }) => [g.mul(x)] });
    class Square extends nn.Module { forward(x: Tensor): Tensor { return bad(x); } }
    nn.setLocationCapture(() => ({ file: "/models/bad.ts", line: 7, column: 3 }));
    let spec;
    try {
      spec = classifier("bad square", () => new nn.Sequential(new nn.Linear(2, 8), new Square(), new nn.Linear(8, 2)), 0.01, { steps: 5 });
      const r = await inspect(spec, { gradcheck: { mode: "directional" } });
      expectValid(r);
      const w = r.warnings.find((x) => x.rule === "gradcheck-failed")!;
      expect(w.severity).toBe("error");
      expect(w.layer).toBe("layers.1");
      expect(w.message).toMatch(/backward rule of "inspectBadSquare" in layers\.1 is wrong/);
      expect(w.location).toEqual({ file: "/models/bad.ts", line: 7, column: 3 });
      expect(r.gradcheck?.culprit?.op).toBe("inspectBadSquare");
    } finally {
      nn.setLocationCapture(null);
    }
  });

  it("an error thrown by the model ends the run with status.ok = false and a valid report of the steps done", async () => {
    class Breaks extends nn.Module {
      calls = 0;
      forward(x: Tensor): Tensor {
        if (++this.calls === 4) throw new Error("shape mismatch in user code");
        return x;
      }
    }
    const r = await inspect(classifier("breaks", () => new nn.Sequential(new nn.Linear(2, 2), new Breaks()), 0.1, { steps: 10 }));
    expectValid(r);
    expect(r.status).toMatchObject({ ok: false, reason: "error", error: "shape mismatch in user code", steps: 3 });
    expect(r.steps).toHaveLength(3);
  });

  it("reports the vanishing case with warnings the schema accepts", async () => {
    const r = await inspect(deepSigmoid(), { gradcheck: { mode: "sampled", samples: 3 } });
    expectValid(r);
    expect(r.warnings.some((w) => w.rule === "vanishing-gradient")).toBe(true);
  });

  it("records float32 models too (statistics in float64, same histogram bins)", async () => {
    const r = await inspect(classifier("f32", () => new nn.Sequential(new nn.Linear(2, 8, { dtype: "float32" }), new nn.ReLU(), new nn.Linear(8, 2, { dtype: "float32" })), 0.1, { steps: 4, data: () => { const d = spirals(); return { x: d.x.cast("float32"), y: d.y.cast("float32") }; } }), { gradcheck: { mode: "full" } });
    expectValid(r);
    const l = r.steps[1].layers[0];
    expect(l.gradNorm).toBeGreaterThan(0);
    expect(l.updateRatio).toBeGreaterThan(0);
    expect(l.histogram.counts.reduce((a, b) => a + b, 0) + l.histogram.zeros!).toBe(24);
    expect(r.gradcheck?.passed).toBe(true);
    expect(r.gradcheck?.notes?.join(" ")).toMatch(/float32 tensors checked on float64 copies/);
  });

  it("the schema rejects a malformed report (it is not vacuous)", async () => {
    const r = JSON.parse(JSON.stringify(await inspect(healthy(), { gradcheck: false, steps: 2 })));
    expect(validate(r)).toBe(true);
    expect(validate({ ...r, version: 2 })).toBe(false);
    expect(validate({ ...r, warnings: [{ rule: "x", severity: "fatal", message: "m", evidence: {} }] })).toBe(false);
    delete r.steps[0].layers[0].histogram;
    expect(validate(r)).toBe(false);
  });
});

void losses;
