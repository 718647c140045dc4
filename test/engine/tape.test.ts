/**
 * The tape's semantics: each node is visited once with the sum over all paths in its gradient (an
 * exponential number of paths must cost linear time), explicit upstream gradients, accumulation and
 * zeroGrad, noGrad, detach, hooks, retainGraph, and errors that name the op and both shapes.
 */
import { describe, expect, it } from "vitest";
import { addOpObserver, noGrad, ops, tensor, Tensor } from "../../src/engine";

const values = (t: Tensor | null) => Array.from(t!.data);

/** Counts backward-rule applications per op name while `fn` runs. */
function countBackward(fn: () => void): Map<string, number> {
  const counts = new Map<string, number>();
  const remove = addOpObserver({ backward: (e) => counts.set(e.op, (counts.get(e.op) ?? 0) + 1) });
  try {
    fn();
  } finally {
    remove();
  }
  return counts;
}

describe("tape", () => {
  it("diamond: a node reached along two paths gets the sum of both, and each rule runs once", () => {
    const x = tensor(1.5, { requiresGrad: true });
    const a = x.mul(2);
    const b = x.mul(3);
    const y = a.mul(b); // 6x², dy/dx = 12x
    const counts = countBackward(() => y.backward());
    expect(x.grad!.item()).toBeCloseTo(12 * 1.5, 14);
    expect(counts.get("mul")).toBe(3);
  });

  it("a chain with 2⁶⁰ paths (y ← y·a + y·b, 60 times) runs each rule once and matches the closed form", () => {
    const x = tensor(0.7, { requiresGrad: true });
    const a = tensor(0.5, { requiresGrad: true });
    const b = tensor(0.6, { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 60; i++) y = y.mul(a).add(y.mul(b));
    // Per-path backpropagation would make 2⁶⁰ rule calls; the counts below prove one per node.
    const counts = countBackward(() => y.backward());
    // y = x·(a+b)⁶⁰: dy/dx = (a+b)⁶⁰; dy/da = dy/db = 60·x·(a+b)⁵⁹.
    expect(y.item()).toBeCloseTo(0.7 * Math.pow(1.1, 60), 9);
    expect(x.grad!.item()).toBeCloseTo(Math.pow(1.1, 60), 9);
    expect(a.grad!.item() / (60 * 0.7 * Math.pow(1.1, 59))).toBeCloseTo(1, 12);
    expect(b.grad!.item()).toBe(a.grad!.item());
    expect(counts.get("mul")).toBe(120);
    expect(counts.get("add")).toBe(60);
  });

  it("a deep chain (20 000 ops) does not overflow the stack", () => {
    const x = tensor(1, { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.mul(1);
    y.backward();
    expect(x.grad!.item()).toBe(1);
  });

  it("backward with an explicit upstream gradient on a non-scalar; without one it is an error", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(tensor([1, 2, 3]));
    y.backward(tensor([1, 10, 100]));
    expect(values(x.grad)).toEqual([1, 20, 300]);
    const z = x.mul(2);
    expect(() => z.backward()).toThrow(/upstream gradient is required.*\[3\]/);
    expect(() => z.backward(tensor([1, 2]))).toThrow(/\[2\].*\[3\]/);
  });

  it("gradients accumulate across backward calls until zeroGrad", () => {
    const x = tensor([1, -2], { requiresGrad: true });
    x.mul(x).sum().backward(); // 2x
    x.mul(3).sum().backward(); // + 3
    expect(values(x.grad)).toEqual([5, -1]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.mul(3).sum().backward();
    expect(values(x.grad)).toEqual([3, 3]);
  });

  it("intermediate gradients are freed unless retainGrad() is asked for", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const k = x.mul(3).retainGrad();
    h.add(k).sum().backward();
    expect(h.grad).toBeNull();
    expect(values(k.grad)).toEqual([1, 1]);
  });

  it("noGrad records nothing: results do not require grad and have no op", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => x.mul(2).sum());
    expect(y.requiresGrad).toBe(false);
    expect(y.op).toBeNull();
    expect(() => y.backward()).toThrow(/does not require a gradient/);
    // Grad mode comes back after noGrad, even when its function throws.
    expect(() => noGrad(() => { throw new Error("boom"); })).toThrow("boom");
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it("detach shares data but cuts the graph", () => {
    const x = tensor([3], { requiresGrad: true });
    const d = x.detach();
    expect(d.data).toBe(x.data);
    expect(d.requiresGrad).toBe(false);
    x.mul(d).sum().backward(); // d is a constant: d/dx (x·d) = d = 3, not 2x = 6
    expect(values(x.grad)).toEqual([3]);
  });

  it("hooks observe the complete gradient, can replace it (on leaves and intermediates), and can be removed", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seen: number[][] = [];
    const remove = x.registerHook((g) => { seen.push(Array.from(g.data)); });
    const h = x.mul(2);
    h.registerHook((g) => g.mul(10)); // the replacement flows on to x
    h.add(x).sum().backward(); // x sees 10·2 + 1 from both paths, in one call
    expect(seen).toEqual([[21, 21]]);
    expect(values(x.grad)).toEqual([21, 21]);

    const y = tensor([1, 2], { requiresGrad: true });
    y.registerHook((g) => g.mul(0.5));
    y.mul(4).sum().backward();
    expect(values(y.grad)).toEqual([2, 2]);

    remove();
    x.zeroGrad();
    x.sum().backward();
    expect(seen).toHaveLength(1);
    const bad = tensor([1, 2], { requiresGrad: true });
    bad.registerHook(() => tensor([1, 2, 3]));
    expect(() => bad.sum().backward()).toThrow(/hook returned shape \[3\] for a tensor of shape \[2\]/);
  });

  it("a hook on a leaf sees only this backward's gradient, and a replacement leaves earlier passes' sum intact", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seen: number[][] = [];
    x.registerHook((g) => { seen.push(Array.from(g.data)); });
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    expect(seen).toEqual([[3, 3], [3, 3]]);
    expect(values(x.grad)).toEqual([6, 6]);

    const y = tensor([1, 2], { requiresGrad: true });
    y.mul(3).sum().backward(); // .grad = [3, 3] before any hook exists
    y.registerHook((g) => g.mul(0));
    y.mul(5).sum().backward(); // the hook zeroes this pass only
    expect(values(y.grad)).toEqual([3, 3]);
  });

  it("a second backward through a freed graph names retainGraph; with it, the second pass accumulates", () => {
    const x = tensor([2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/already freed.*retainGraph: true/);
    x.zeroGrad();
    const z = x.mul(x).sum();
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expect(values(x.grad)).toEqual([8]);
  });

  it("shape errors name the op and both shapes", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => ops.add(a, tensor([1, 2]))).toThrow(/^add: shapes \[2, 3\] and \[2\] cannot be broadcast/);
    expect(() => ops.mul(a, tensor([[1, 2], [3, 4]]))).toThrow(/mul: shapes \[2, 3\] and \[2, 2\]/);
    expect(() => ops.matmul(a, tensor([[1, 2], [3, 4]]))).toThrow(/^matmul: inner dimensions differ: \[2, 3\] · \[2, 2\]/);
    expect(() => ops.matmul(a, tensor([1, 2, 3]))).toThrow(/matmul: .*\[2, 3\] and \[3\]/);
  });
});
