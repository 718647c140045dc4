/** Edge cases of the tape and the reductions that a review found broken, kept fixed here. */
import { describe, expect, it } from "vitest";
import { Tensor, tensor, full, ops } from "../../src/engine";

const values = (t: Tensor | null) => (t ? Array.from(t.data) : null);

describe("tape edge cases", () => {
  it("retainGrad with retainGraph: a second pass adds only its own share", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const y = a.mul(2).retainGrad();
    const z = y.sum();
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expect(values(a.grad)).toEqual([4, 4]);
    expect(values(y.grad)).toEqual([2, 2]);

    const b = tensor([1], { requiresGrad: true });
    const root = b.mul(3).sum().retainGrad();
    root.backward(undefined, { retainGraph: true });
    root.backward();
    expect(values(b.grad)).toEqual([6]);
  });

  it("an exception during backward keeps the gradients of earlier passes", () => {
    const x = tensor([1, 1], { requiresGrad: true });
    x.mul(5).sum().backward();
    x.registerHook(() => {
      throw new Error("hook failed");
    });
    expect(() => x.mul(2).sum().backward()).toThrow(/hook failed/);
    expect(values(x.grad)).toEqual([5, 5]);
  });

  it("backward unlinks the graph, so a held loss no longer references the activations", () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const h = w.matmul(w).tanh();
    const loss = h.sum();
    expect(loss._node?.inputs.length).toBe(1);
    loss.backward();
    expect(loss._node?.inputs.length).toBe(0);
    expect(h._node?.inputs.length).toBe(0);
    expect(() => loss.backward()).toThrow(/already freed/);
  });

  it("assigning .grad copies: later passes never write into the caller's tensor", () => {
    const p = tensor([1, 1], { requiresGrad: true });
    const mine = tensor([10, 10]);
    p.grad = mine;
    p.mul(1).sum().backward();
    expect(values(mine)).toEqual([10, 10]);
    expect(values(p.grad)).toEqual([11, 11]);
    expect(() => { p.grad = tensor([[1, 1]]); }).toThrow(/does not match/);
  });
});

describe("reductions at the edges", () => {
  it("logSumExp and softmax with +Infinity and all −Infinity rows, as PyTorch", () => {
    expect(tensor([[Infinity, 1]]).logSumExp(1).item()).toBe(Infinity);
    expect(tensor([[-Infinity, -Infinity]]).logSumExp(1).item()).toBe(-Infinity);
    expect(values(tensor([[-Infinity, 0]]).softmax(1))).toEqual([0, 1]);
  });

  it("float32 sums and means accumulate in float64", () => {
    const x = full([1 << 20, 2], 0.1, { dtype: "float32" });
    expect(x.mean().item()).toBeCloseTo(0.1, 6);
    const s = ops.sum(x, 0);
    expect(s.data[0]).toBeCloseTo(Math.fround(0.1) * (1 << 20), 0);
  });

  it("argmax treats NaN as the maximum, like max", () => {
    const x = tensor([[1, NaN, 3]]);
    expect(x.argmax(1).item()).toBe(1);
    expect(Number.isNaN(x.max(1).item())).toBe(true);
  });
});
