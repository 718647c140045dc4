/** Synthetic sets: shapes, labels, the defining geometry, and seeding. */
import { describe, expect, it } from "vitest";
import { linearRegression, moons, spirals, xor } from "../../src/data";

describe("synthetic datasets", () => {
  it("xor: exactly the four corners without n; noisy corners cycling with n", () => {
    const d = xor();
    expect(d.x.toArray()).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    expect(Array.from(d.y.data)).toEqual([0, 1, 1, 0]);
    expect(d.classes).toBe(2);
    const n = xor({ n: 400, noise: 0.1, seed: 2 });
    expect(n.x.shape).toEqual([400, 2]);
    for (let i = 0; i < 400; i++) {
      const [a, b] = [Math.round(n.x.data[2 * i]), Math.round(n.x.data[2 * i + 1])];
      // Noise of std 0.1 rarely (p ≈ 6e-7 per coordinate) moves a point past 0.5.
      expect(n.y.data[i]).toBe(a ^ b);
    }
    expect(Array.from(xor({ n: 8, seed: 2 }).x.data)).toEqual(Array.from(xor({ n: 8, seed: 2 }).x.data));
    expect(Array.from(xor({ n: 8, seed: 2 }).x.data)).not.toEqual(Array.from(xor({ n: 8, seed: 3 }).x.data));
  });

  it("spirals: n points split between classes, radius growing from 0 to 1 along each arm", () => {
    const d = spirals({ n: 301, classes: 3, noise: 0, seed: 0 });
    expect(d.x.shape).toEqual([301, 2]);
    expect(d.classes).toBe(3);
    const counts = [0, 0, 0];
    for (const c of d.y.data) counts[c]++;
    expect(counts).toEqual([101, 100, 100]);
    const r = (i: number) => Math.hypot(d.x.data[2 * i], d.x.data[2 * i + 1]);
    expect(r(0)).toBe(0);
    expect(r(100)).toBeCloseTo(1, 14);
    // Without noise, arm k's end point is at angle 4(k+1): (sin t, cos t).
    expect(d.x.data[2 * 100]).toBeCloseTo(Math.sin(4), 14);
    expect(d.x.data[2 * 100 + 1]).toBeCloseTo(Math.cos(4), 14);
    const noisy = spirals({ n: 300, seed: 5 });
    expect(Array.from(noisy.x.data)).toEqual(Array.from(spirals({ n: 300, seed: 5 }).x.data));
    expect(Array.from(noisy.x.data)).not.toEqual(Array.from(spirals({ n: 300, seed: 6 }).x.data));
  });

  it("moons: two half circles (scikit-learn's make_moons geometry)", () => {
    const d = moons({ n: 11 });
    expect(d.x.shape).toEqual([11, 2]);
    expect(Array.from(d.y.data).filter((v) => v === 0)).toHaveLength(6);
    for (let i = 0; i < 11; i++) {
      const [x, y] = [d.x.data[2 * i], d.x.data[2 * i + 1]];
      // Class 0 lies on the unit circle's upper half; class 1 on the circle of radius 1 around (1, 0.5), lower half.
      if (d.y.data[i] === 0) { expect(Math.hypot(x, y)).toBeCloseTo(1, 14); expect(y).toBeGreaterThanOrEqual(0); }
      else { expect(Math.hypot(x - 1, y - 0.5)).toBeCloseTo(1, 14); expect(y).toBeLessThanOrEqual(0.5); }
    }
    expect(Array.from(moons({ n: 10, noise: 0.1, seed: 1 }).x.data)).not.toEqual(Array.from(moons({ n: 10 }).x.data));
  });

  it("linearRegression: y = x·w + b + noise, with the truth returned", () => {
    const d = linearRegression({ n: 50, features: 3, noise: 0, seed: 4 });
    expect(d.x.shape).toEqual([50, 3]);
    expect(d.y.shape).toEqual([50, 1]);
    for (let i = 0; i < 50; i++) {
      let s = d.bias;
      for (let j = 0; j < 3; j++) s += d.x.data[3 * i + j] * d.weights[j];
      expect(d.y.data[i]).toBeCloseTo(s, 12);
    }
    const noisy = linearRegression({ n: 2000, features: 3, noise: 0.5, seed: 4 });
    let ss = 0;
    for (let i = 0; i < 2000; i++) {
      let s = noisy.bias;
      for (let j = 0; j < 3; j++) s += noisy.x.data[3 * i + j] * noisy.weights[j];
      ss += (noisy.y.data[i] - s) ** 2;
    }
    expect(Math.sqrt(ss / 2000)).toBeGreaterThan(0.45);
    expect(Math.sqrt(ss / 2000)).toBeLessThan(0.55);
  });
});
