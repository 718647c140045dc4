/** Dropout: inverted scaling, seeded masks, exact gradient (the mask), identity in eval mode. */
import { describe, expect, it } from "vitest";
import { Random, Tensor, ones, manualSeed } from "../../src/engine";
import { Dropout, Linear, Sequential } from "../../src/nn";
import { checkAgainstNumeric } from "../helpers/numeric";

describe("Dropout", () => {
  it("zeroes a fraction ≈ p and scales survivors by 1/(1−p), preserving the mean", () => {
    const d = new Dropout(0.3, { rng: new Random(1) });
    const y = d.call(ones([100, 100]));
    let zeros = 0;
    let sum = 0;
    for (const v of y.data) {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(1 / 0.7, 14);
      sum += v;
    }
    // Binomial(10000, 0.3): std ≈ 46, so ±250 is > 5σ.
    expect(Math.abs(zeros - 3000)).toBeLessThan(250);
    expect(sum / 10000).toBeGreaterThan(0.95);
    expect(sum / 10000).toBeLessThan(1.05);
  });

  it("is seeded: the same generator state gives the same mask; the global generator follows manualSeed", () => {
    const a = new Dropout(0.5, { rng: new Random(42) }).call(ones([64]));
    const b = new Dropout(0.5, { rng: new Random(42) }).call(ones([64]));
    const c = new Dropout(0.5, { rng: new Random(43) }).call(ones([64]));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    manualSeed(5);
    const g1 = new Dropout(0.5).call(ones([64]));
    manualSeed(5);
    const g2 = new Dropout(0.5).call(ones([64]));
    expect(Array.from(g1.data)).toEqual(Array.from(g2.data));
  });

  it("gradient is the mask: matches central differences with the mask held fixed", () => {
    const rng = new Random(9);
    const d = new Dropout(0.4, { rng });
    const x = new Tensor(Float64Array.from({ length: 12 }, (_, i) => Math.sin(i) * 2), [3, 4]);
    // Re-seed per call so every evaluation of f draws the same mask.
    const f = () => { rng.seed(9); return d.call(x); };
    expect(checkAgainstNumeric(f, [x]).worstExcess).toBeLessThanOrEqual(0);
    rng.seed(9);
    x.zeroGrad();
    d.call(x).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual(Array.from(d.lastMask!.data));
  });

  it("is the identity in eval mode (the same tensor) and with p = 0; p = 1 drops everything", () => {
    const x = ones([4, 3]);
    const model = new Sequential(new Linear(3, 3), new Dropout(0.5));
    model.eval();
    const layer = model.layers[1];
    expect(layer.call(x)).toBe(x);
    expect(new Dropout(0).call(x)).toBe(x);
    expect(Array.from(new Dropout(1).call(x).data)).toEqual(new Array(12).fill(0));
    expect(() => new Dropout(1.5)).toThrow(/p must be in \[0, 1\]/);
  });
});
