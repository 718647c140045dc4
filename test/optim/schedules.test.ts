/** Schedules' values at chosen steps, from PyTorch's closed forms. */
import { describe, expect, it } from "vitest";
import { cosineLR, exponentialLR, linearWarmup, momentumWarmup, stepLR } from "../../src/optim";

describe("schedules", () => {
  it("stepLR: lr·γ^⌊step/stepSize⌋", () => {
    const s = stepLR(0.1, 10, 0.5);
    expect([0, 9, 10, 19, 25].map(s)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    expect(stepLR(1, 3)(3)).toBeCloseTo(0.1, 15); // γ defaults to 0.1
  });

  it("exponentialLR: lr·γ^step", () => {
    const s = exponentialLR(1, 0.9);
    expect(s(0)).toBe(1);
    expect(s(3)).toBeCloseTo(0.729, 15);
  });

  it("cosineLR: half a cosine from lr to minLr, held at minLr afterwards", () => {
    const s = cosineLR(1, 10);
    expect(s(0)).toBe(1);
    expect(s(5)).toBeCloseTo(0.5, 15);
    expect(s(2)).toBeCloseTo((1 + Math.cos(Math.PI / 5)) / 2, 15);
    expect(s(10)).toBe(0);
    expect(s(20)).toBe(0);
    expect(cosineLR(1, 10, 0.1)(5)).toBeCloseTo(0.55, 15);
  });

  it("linearWarmup: from startFactor·target to target, then the next schedule from its own step 0", () => {
    const w = linearWarmup(4, 0.8);
    expect(w(0)).toBeCloseTo(0.8 / 3, 15); // PyTorch LinearLR's start_factor 1/3
    expect(w(2)).toBeCloseTo(0.8 * (1 / 3 + (2 / 3) * 0.5), 15);
    expect(w(4)).toBe(0.8);
    expect(w(100)).toBe(0.8);
    const c = linearWarmup(2, cosineLR(1, 10), { startFactor: 0 });
    expect([0, 1, 2].map(c)).toEqual([0, 0.5, 1]);
    expect(c(7)).toBeCloseTo(0.5, 15);
    expect(c(12)).toBe(0);
  });

  it("momentumWarmup: linear from → to over the given steps, then constant", () => {
    const m = momentumWarmup(0.5, 0.9, 4);
    expect([0, 2, 4, 100].map(m).map((v) => +v.toFixed(12))).toEqual([0.5, 0.7, 0.9, 0.9]);
  });

  it("reject invalid arguments", () => {
    expect(() => stepLR(0.1, 0)).toThrow(/stepSize/);
    expect(() => cosineLR(0.1, 0)).toThrow(/totalSteps/);
    expect(() => linearWarmup(2, 1, { startFactor: 2 })).toThrow(/startFactor/);
  });
});
