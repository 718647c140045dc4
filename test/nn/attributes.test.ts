import { describe, expect, it } from "vitest";
import { nn, tensor, Tensor } from "../../src";

/** A module written the PyTorch way: layers assigned to properties, never registered by hand. */
class Residual extends nn.Module {
  fc = new nn.Linear(3, 3);
  blocks = [new nn.Linear(3, 3), new nn.Tanh()];
  scale = tensor([0.5], { requiresGrad: true });
  constant = tensor([2]); // no gradient: not a parameter
  forward(x: Tensor): Tensor {
    let h = this.fc.call(x);
    for (const b of this.blocks) h = b.call(h);
    return x.add(h.mul(this.scale)).mul(this.constant);
  }
}

describe("modules assigned to properties", () => {
  it("are registered like PyTorch attributes, with paths and parameter names", () => {
    const m = new nn.Sequential(new Residual(), new nn.Linear(3, 1));
    const names = m.namedParameters().map(([n]) => n);
    expect(names).toEqual([
      "layers.0.scale",
      "layers.0.fc.weight",
      "layers.0.fc.bias",
      "layers.0.blocks.0.weight",
      "layers.0.blocks.0.bias",
      "layers.1.weight",
      "layers.1.bias",
    ]);
    expect(m.namedModules().map(([p]) => p)).toContain("layers.0.blocks.1");
    // Every registered parameter receives a gradient from a forward and backward.
    m.call(tensor([[1, 2, 3]])).sum().backward();
    for (const [n, p] of m.namedParameters()) expect(p.grad, n).not.toBeNull();
  });
});
