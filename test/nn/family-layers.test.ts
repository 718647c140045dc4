/** Identity, ELU, SELU, ReLU6, Hardtanh, GELU's two forms as modules, and Dropout on images and sequences. */
import { describe, expect, it } from "vitest";
import { ops, Random, tensor, Tensor, ones } from "../../src/engine";
import { Dropout, ELU, GELU, Hardtanh, Identity, Linear, ReLU6, SELU, Sequential } from "../../src/nn";

const x = tensor([[-2, -0.5, 0.5, 7]]);
const arr = (t: Tensor) => Array.from(t.data);

describe("activation modules: PyTorch's defaults", () => {
  it("ELU(alpha = 1), SELU, ReLU6, Hardtanh(−1, 1) compute their ops", () => {
    expect(arr(new ELU().call(x))).toEqual(arr(ops.elu(x, 1)));
    expect(arr(new ELU(0.3).call(x))).toEqual(arr(ops.elu(x, 0.3)));
    expect(arr(new SELU().call(x))).toEqual(arr(ops.selu(x)));
    expect(arr(new ReLU6().call(x))).toEqual([0, 0, 0.5, 6]);
    expect(arr(new Hardtanh().call(x))).toEqual([-1, -0.5, 0.5, 1]);
    expect(arr(new Hardtanh(-0.25, 2).call(x))).toEqual([-0.25, -0.25, 0.5, 2]);
    expect(() => new Hardtanh(1, 0)).toThrow(/minVal 1 must be below maxVal 0/);
    expect(new ELU().activation).toBe("elu");
    expect(new Hardtanh().activation).toBe("hardtanh");
  });

  it("GELU is exact by default (as nn.GELU()) and tanh on request", () => {
    expect(new GELU().approximate).toBe("none");
    expect(arr(new GELU().call(x))).toEqual(arr(ops.gelu(x, { approximate: "none" })));
    expect(arr(new GELU({ approximate: "tanh" }).call(x))).toEqual(arr(ops.gelu(x, { approximate: "tanh" })));
    expect(new GELU().call(tensor([1])).data[0]).toBeCloseTo(0.8413447460685429, 15);
    expect(new GELU({ approximate: "tanh" }).call(tensor([1])).data[0]).toBeCloseTo(0.8411919906082768, 15);
  });

  it("Identity returns its input and passes the gradient through a Sequential", () => {
    const id = new Identity();
    expect(id.call(x)).toBe(x);
    expect(id.parameters()).toEqual([]);
    const model = new Sequential(new Linear(2, 2, { rng: new Random(1) }), new Identity());
    const inp = tensor([[1, 2]]);
    model.call(inp).sum().backward();
    const w = model.parameters()[0];
    expect(arr(w.grad!)).toEqual([1, 1, 2, 2]);
  });
});

describe("Dropout on any shape", () => {
  it("NCHW images and (batch, time, features) sequences keep their shape and dtype; the mask matches", () => {
    for (const shape of [[2, 3, 4, 5], [2, 7, 3], [5]]) {
      for (const dtype of ["float64", "float32"] as const) {
        const d = new Dropout(0.5, { rng: new Random(3) });
        const input = ones(shape).cast(dtype);
        const y = d.call(input);
        expect(y.shape).toEqual(shape);
        expect(y.dtype).toBe(dtype);
        expect(d.lastMask!.shape).toEqual(shape);
        expect(arr(y)).toEqual(arr(d.lastMask!));
        expect(arr(y).every((v) => v === 0 || v === 2)).toBe(true);
      }
    }
  });
});
