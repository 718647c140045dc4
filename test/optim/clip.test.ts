/**
 * Gradient clipping against hand-computed values and PyTorch's semantics (coefficient
 * maxNorm / (total + 1e-6), clamped to 1), and the loop's `clipGradNorm` option end to end.
 */
import { describe, expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Random, tensor, type Tensor } from "../../src/engine";
import { Linear } from "../../src/nn";
import { mse } from "../../src/nn/losses";
import { clipGradNorm, clipGradValue, SGD } from "../../src/optim";
import { linearRegression } from "../../src/data";
import { defineModel, inspect, train } from "../../src";

function withGrad(values: number[], grad: number[], dtype: "float32" | "float64" = "float64"): Tensor {
  const p = tensor(values, { requiresGrad: true, dtype });
  p.grad = tensor(grad, { dtype });
  return p;
}

describe("clipGradNorm", () => {
  it("returns the 2-norm over all gradients together and scales by maxNorm/(total+1e-6)", () => {
    const a = withGrad([0, 0], [3, 0]);
    const b = withGrad([0, 0], [0, 4]);
    const total = clipGradNorm([a, b], 1);
    expect(total).toBe(5);
    const c = 1 / (5 + 1e-6);
    expect(Array.from(a.grad!.data)).toEqual([3 * c, 0]);
    expect(Array.from(b.grad!.data)).toEqual([0, 4 * c]);
  });

  it("leaves gradients alone when the norm is within maxNorm (coefficient clamped to 1)", () => {
    const a = withGrad([0, 0], [0.3, -0.4]);
    expect(clipGradNorm([a], 0.5 + 1e-3)).toBeCloseTo(0.5, 15);
    expect(Array.from(a.grad!.data)).toEqual([0.3, -0.4]);
  });

  it("supports the infinity norm (largest |g|) and p-norms, and skips parameters without a gradient", () => {
    const a = withGrad([0, 0, 0], [1, -6, 2]);
    const none = tensor([1, 2], { requiresGrad: true });
    expect(clipGradNorm([a, none], 3, Infinity)).toBe(6);
    const c = 3 / (6 + 1e-6);
    expect(Array.from(a.grad!.data)).toEqual([1 * c, -6 * c, 2 * c]);
    expect(none.grad).toBeNull();
    const b = withGrad([0, 0], [1, -2]);
    expect(clipGradNorm([b], 100, 1)).toBe(3);
    const d = withGrad([0, 0], [1, 2]);
    expect(clipGradNorm([d], 100, 3)).toBeCloseTo(Math.cbrt(9), 14);
  });

  it("works on float32 gradients", () => {
    const a = withGrad([0, 0], [6, 8], "float32");
    expect(clipGradNorm([a], 2)).toBe(10);
    expect(a.grad!.data[0]).toBeCloseTo(1.2, 6);
    expect(a.grad!.data[1]).toBeCloseTo(1.6, 6);
  });

  it("rejects a negative maxNorm", () => {
    expect(() => clipGradNorm([], -1)).toThrow(/maxNorm/);
  });
});

describe("clipGradValue", () => {
  it("clamps each entry to [-value, value]", () => {
    const a = withGrad([0, 0, 0, 0], [-3, -0.5, 0.5, 3]);
    clipGradValue([a], 1);
    expect(Array.from(a.grad!.data)).toEqual([-1, -0.5, 0.5, 1]);
  });
});

describe("defineModel({ clipGradNorm })", () => {
  const ds = linearRegression({ n: 32, features: 3, noise: 0.1, seed: 5 });
  const spec = (maxNorm: number, layer: Linear) => defineModel({
    name: "clipped", model: () => layer, data: () => ds, loss: mse,
    optimizer: (p) => new SGD(p, { lr: 0.1 }), steps: 1, clipGradNorm: maxNorm, seed: 1,
  });

  it("steps on the clipped gradient and records the pre-clip norm", () => {
    // By hand: the same initial layer, its gradient, its norm, w − lr·g·coef.
    const ref = new Linear(3, 1, { rng: new Random(2) });
    mse(ref.call(ds.x), ds.y).backward();
    const grads = ref.parameters().map((p) => Array.from(p.grad!.data));
    const total = Math.sqrt(grads.flat().reduce((s, g) => s + g * g, 0));
    const maxNorm = total / 10;
    const coef = maxNorm / (total + 1e-6);
    const result = train(spec(maxNorm, new Linear(3, 1, { rng: new Random(2) })));
    expect(result.gradClip).toHaveLength(1);
    expect(result.gradClip![0].totalNorm).toBeCloseTo(total, 12);
    expect(result.gradClip![0].clipped).toBe(true);
    result.model.parameters().forEach((p, i) => {
      Array.from(p.data).forEach((w, j) => expect(w).toBeCloseTo(ref.parameters()[i].data[j] - 0.1 * grads[i][j] * coef, 12));
    });
  });

  it("puts { totalNorm, clipped } in each step record of a schema-valid report", async () => {
    const r = await inspect(spec(1e6, new Linear(3, 1, { rng: new Random(2) })), { gradcheck: false });
    expect(r.steps[0].gradClip?.clipped).toBe(false);
    expect(r.steps[0].gradClip!.totalNorm).toBeGreaterThan(0);
    const schema = JSON.parse(readFileSync(fileURLToPath(new URL("../../schema/report.schema.json", import.meta.url)), "utf8"));
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(validate(JSON.parse(JSON.stringify(r))), JSON.stringify(validate.errors)).toBe(true);
  });
});
