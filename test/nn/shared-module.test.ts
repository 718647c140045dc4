import { describe, expect, it } from "vitest";
import { nn, optim, tensor } from "../../src";

describe("a module used twice (weight tying)", () => {
  it("lists its parameters once and is stepped once per optimizer step", () => {
    const l = new nn.Linear(2, 2);
    const m = new nn.Sequential(l, new nn.Tanh(), l);
    expect(m.parameters()).toHaveLength(2);
    expect(m.parameterCount()).toBe(6);
    const before = Float64Array.from(l.weight.data);
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    m.call(tensor([[1, -1]])).sum().backward();
    const g = Float64Array.from(l.weight.grad!.data);
    opt.step();
    l.weight.data.forEach((w, i) => expect(w).toBeCloseTo(before[i] - 0.1 * g[i], 12));
  });
});
