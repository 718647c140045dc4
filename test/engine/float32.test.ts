/** float32 is opt-in: it stays float32 through a whole training step; mixing with float64 promotes to float64. */
import { describe, expect, it } from "vitest";
import { Random, tensor, ops } from "../../src/engine";
import { Linear, ReLU, Sequential } from "../../src/nn";
import { softmaxCrossEntropy } from "../../src/nn/losses";
import { Adam, SGD } from "../../src/optim";
import { xor } from "../../src/data";

describe("float32", () => {
  it("a training step runs in float32 end to end and lowers the loss", () => {
    const rng = new Random(3);
    const model = new Sequential(new Linear(2, 8, { dtype: "float32", rng }), new ReLU(), new Linear(8, 2, { dtype: "float32", rng }));
    const ds = xor();
    const x = ds.x.cast("float32");
    const opt = new SGD(model.parameters(), { lr: 0.5 });
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      opt.zeroGrad();
      const logits = model.call(x);
      expect(logits.dtype).toBe("float32");
      const loss = softmaxCrossEntropy(logits, ds.y);
      expect(loss.dtype).toBe("float32");
      loss.backward();
      for (const p of model.parameters()) {
        expect(p.data).toBeInstanceOf(Float32Array);
        expect(p.grad!.data).toBeInstanceOf(Float32Array);
      }
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[19]).toBeLessThan(losses[0] * 0.8);
    for (const p of model.parameters()) expect(p.data).toBeInstanceOf(Float32Array);
  });

  it("float32 and float64 training agree to float32 precision on the first steps", () => {
    const run = (dtype: "float32" | "float64") => {
      const layer = new Linear(2, 2, { dtype, rng: new Random(5) });
      const opt = new Adam(layer.parameters(), { lr: 0.01 });
      const ds = xor();
      const out: number[] = [];
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        const loss = softmaxCrossEntropy(layer.call(ds.x.cast(dtype)), ds.y);
        loss.backward();
        opt.step();
        out.push(loss.item());
      }
      return out;
    };
    const a = run("float32");
    const b = run("float64");
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-6));
  });

  it("promotion: float32 with float64 gives float64, with a plain number stays float32; gradients keep each input's dtype", () => {
    const f32 = tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const f64 = tensor([3, 4], { requiresGrad: true });
    expect(f32.dtype).toBe("float32");
    expect(f64.dtype).toBe("float64");
    expect(ops.add(f32, f64).dtype).toBe("float64");
    expect(ops.mul(f32, 2).dtype).toBe("float32");
    expect(ops.matmul(f32.reshape([1, 2]), f64.reshape([2, 1])).dtype).toBe("float64");
    ops.mul(f32, f64).sum().backward();
    expect(f32.grad!.data).toBeInstanceOf(Float32Array);
    expect(f64.grad!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(f32.grad!.data)).toEqual([3, 4]);
    expect(Array.from(f64.grad!.data)).toEqual([1, 2]);
  });

  it("cast converts and sends the gradient back in the source dtype", () => {
    const x = tensor([0.1, 0.2], { requiresGrad: true });
    const y = x.cast("float32");
    expect(y.dtype).toBe("float32");
    expect(y.data[0]).toBe(Math.fround(0.1));
    y.mul(3).sum().backward();
    expect(x.grad!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(x.grad!.data)).toEqual([3, 3]);
  });
});
