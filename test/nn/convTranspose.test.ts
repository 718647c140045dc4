/** nn.ConvTranspose2d: shapes, PyTorch's default init, and that it computes ops.convTranspose2d with its options. */
import { describe, expect, it } from "vitest";
import { ops, Random, Tensor } from "../../src/engine";
import { ConvTranspose2d } from "../../src/nn";

const rng = new Random(8);
const randT = (shape: number[]) => {
  const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.range(-1, 1);
  return t;
};

describe("nn.ConvTranspose2d", () => {
  it("weight [in, out/groups, kH, kW] and bias [out], U(±1/√((out/groups)·kH·kW)) as PyTorch", () => {
    const layer = new ConvTranspose2d(4, 6, [3, 2], { groups: 2, rng: new Random(3) });
    expect(layer.weight.shape).toEqual([4, 3, 3, 2]);
    expect(layer.bias!.shape).toEqual([6]);
    const bound = 1 / Math.sqrt(3 * 3 * 2);
    for (const t of [layer.weight, layer.bias!]) {
      const m = Math.max(...Array.from(t.data, Math.abs));
      expect(m).toBeLessThanOrEqual(bound);
      expect(m).toBeGreaterThan(0.7 * bound);
    }
    expect(layer.parameters().length).toBe(2);
    expect(new ConvTranspose2d(2, 2, 3, { bias: false }).bias).toBeNull();
  });

  it("upsamples by the stride: 7×7 → 14×14 with kernel 3, padding 1, outputPadding 1 (the DCGAN/U-Net setting)", () => {
    const layer = new ConvTranspose2d(3, 5, 3, { stride: 2, padding: 1, outputPadding: 1, rng: new Random(4) });
    const x = randT([2, 3, 7, 7]);
    const y = layer.call(x);
    expect(y.shape).toEqual([2, 5, 14, 14]);
    const want = ops.convTranspose2d(x, layer.weight, layer.bias, { stride: 2, padding: 1, outputPadding: 1 });
    expect(Array.from(y.data)).toEqual(Array.from(want.data));
  });

  it("float32 layers compute in float32, and gradients reach weight and bias", () => {
    const layer = new ConvTranspose2d(2, 4, 2, { stride: 2, dilation: 1, groups: 2, dtype: "float32" });
    const y = layer.call(randT([1, 2, 3, 3]).cast("float32"));
    expect(y.dtype).toBe("float32");
    expect(y.shape).toEqual([1, 4, 6, 6]);
    y.sum().backward();
    expect(layer.weight.grad!.shape).toEqual([2, 2, 2, 2]);
    // d(sum)/db[o] counts channel o's output entries: 1 sample · 6 · 6.
    expect(Array.from(layer.bias!.grad!.data)).toEqual([36, 36, 36, 36]);
  });
});
