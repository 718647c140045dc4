/**
 * Every optimizer's first two steps against numbers worked from its published update rule (PyTorch's
 * torch.optim definitions), on w₀ = [1, −2] with gradients g₁ = [0.5, −1] then g₂ = [−0.5, −3]. Each
 * expected value is written as the formula's arithmetic so a reader can check it by hand.
 */
import { describe, expect, it } from "vitest";
import { Tensor } from "../../src/engine";
import { AdaGrad, Adam, AdamW, AdaptiveGains, RMSProp, SGD, momentumWarmup, type Optimizer } from "../../src/optim";

const G1 = [0.5, -1];
const G2 = [-0.5, -3];

function param(values: number[]): Tensor {
  return new Tensor(Float64Array.from(values), [values.length], true);
}

/** Runs one step per gradient and returns the weights after each step. */
function run(make: (p: Tensor) => Optimizer, grads: number[][] = [G1, G2], w0 = [1, -2]): number[][] {
  const p = param(w0);
  const opt = make(p);
  return grads.map((g) => {
    opt.zeroGrad();
    p.grad = new Tensor(Float64Array.from(g), p.shape);
    opt.step();
    return Array.from(p.data);
  });
}

function expectClose(actual: number[], expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a, `entry ${i}`).toBeCloseTo(expected[i], digits));
}

describe("SGD", () => {
  it("plain: w ← w − lr·g", () => {
    const [s1, s2] = run((p) => new SGD([p], { lr: 0.1 }));
    expectClose(s1, [1 - 0.1 * 0.5, -2 + 0.1 * 1]);
    expectClose(s2, [0.95 + 0.1 * 0.5, -1.9 + 0.1 * 3]);
  });

  it("momentum 0.9: v ← μv + g; w ← w − lr·v (v₁ = g₁)", () => {
    const [s1, s2] = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }));
    expectClose(s1, [0.95, -1.9]);
    // v₂ = 0.9·[0.5, −1] + [−0.5, −3] = [−0.05, −3.9]
    expectClose(s2, [0.95 + 0.1 * 0.05, -1.9 + 0.1 * 3.9]);
  });

  it("Nesterov: w ← w − lr·(g + μv)", () => {
    const [s1, s2] = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }));
    expectClose(s1, [1 - 0.1 * (0.5 + 0.9 * 0.5), -2 + 0.1 * (1 + 0.9 * 1)]);
    expectClose(s2, [0.905 - 0.1 * (-0.5 + 0.9 * -0.05), -1.81 - 0.1 * (-3 + 0.9 * -3.9)]);
  });

  it("weight decay adds λw to the gradient", () => {
    const [s1] = run((p) => new SGD([p], { lr: 0.1, weightDecay: 0.5 }));
    expectClose(s1, [1 - 0.1 * (0.5 + 0.5 * 1), -2 - 0.1 * (-1 + 0.5 * -2)]);
  });

  it("a momentum schedule sees the 0-based step index (momentumWarmup)", () => {
    // μ = 0 at step 0, 0.9 from step 1 on; constant gradient 1, lr 1.
    const ws = run((p) => new SGD([p], { lr: 1, momentum: momentumWarmup(0, 0.9, 1) }), [[1], [1], [1]], [0]);
    // step 0: μ=0 → w=−1; step 1: v = 0.9·0 + 1 → w=−2; step 2: v = 0.9·1 + 1 = 1.9 → w=−3.9
    expectClose(ws.map((w) => w[0]), [-1, -2, -3.9]);
  });
});

describe("AdaGrad", () => {
  it("s ← s + g²; w ← w − lr·g/(√s + eps): first step is lr·sign(g)", () => {
    const [s1, s2] = run((p) => new AdaGrad([p], { lr: 0.1 }));
    expectClose(s1, [0.9, -1.9], 9);
    expectClose(s2, [0.9 - 0.1 * -0.5 / Math.sqrt(0.25 + 0.25), -1.9 - 0.1 * -3 / Math.sqrt(1 + 9)], 9);
  });

  it("lrDecay divides lr by 1 + (t−1)·decay", () => {
    const [, s2] = run((p) => new AdaGrad([p], { lr: 0.1, lrDecay: 1 }));
    expectClose(s2, [0.9 - 0.05 * -0.5 / Math.sqrt(0.5), -1.9 - 0.05 * -3 / Math.sqrt(10)], 9);
  });
});

describe("RMSProp", () => {
  // v₁ = 0.01·g₁² = [0.0025, 0.01]; v₂ = 0.99·v₁ + 0.01·g₂² = [0.004975, 0.0999]; eps = 1e-8 added to √v.
  const E = 1e-8;
  it("v ← αv + (1−α)g²; w ← w − lr·g/(√v + eps), α = 0.99 by default", () => {
    const [s1, s2] = run((p) => new RMSProp([p], { lr: 0.01 }));
    // First step: g/√(0.01·g²) = 10·sign(g), so w moves by ≈ lr·10.
    expectClose(s1, [1 - 0.01 * 0.5 / (0.05 + E), -2 + 0.01 * 1 / (0.1 + E)]);
    expectClose(s2, [s1[0] + 0.01 * 0.5 / (Math.sqrt(0.004975) + E), s1[1] + 0.01 * 3 / (Math.sqrt(0.0999) + E)]);
  });

  it("momentum: b ← μb + g/(√v + eps); w ← w − lr·b", () => {
    const [s1, s2] = run((p) => new RMSProp([p], { lr: 0.01, momentum: 0.9 }));
    const b1 = [0.5 / (0.05 + E), -1 / (0.1 + E)];
    expectClose(s1, [1 - 0.01 * b1[0], -2 - 0.01 * b1[1]]);
    const b2 = [0.9 * b1[0] + -0.5 / (Math.sqrt(0.004975) + E), 0.9 * b1[1] + -3 / (Math.sqrt(0.0999) + E)];
    expectClose(s2, [s1[0] - 0.01 * b2[0], s1[1] - 0.01 * b2[1]]);
  });

  it("centered: divides by √(v − ḡ²)", () => {
    const [s1] = run((p) => new RMSProp([p], { lr: 0.01, centered: true }));
    // ḡ₁ = 0.01·g₁ = [0.005, −0.01]
    expectClose(s1, [1 - 0.01 * 0.5 / (Math.sqrt(0.0025 - 0.000025) + E), -2 + 0.01 * 1 / (Math.sqrt(0.01 - 0.0001) + E)]);
  });
});

// Adam's moments: m₁ = 0.1·g₁, v₁ = 0.001·g₁²; m₂ = 0.09·g₁ + 0.1·g₂ = [−0.005, −0.39];
// v₂ = 0.000999·g₁² + 0.001·g₂² = [0.00049975, 0.009999]; bias corrections 1 − 0.9² = 0.19, 1 − 0.999² = 0.001999.
const adamStep2 = (w1: number[], shrink = 1) => {
  const m = [-0.005 / 0.19, -0.39 / 0.19];
  const v = [0.00049975 / 0.001999, 0.009999 / 0.001999];
  return w1.map((w, i) => shrink * w - 0.1 * m[i] / (Math.sqrt(v[i]) + 1e-8));
};

describe("Adam", () => {
  it("first step moves each weight by ≈ lr·sign(g); second step from the bias-corrected moments", () => {
    const [s1, s2] = run((p) => new Adam([p], { lr: 0.1 }));
    expectClose(s1, [0.9, -1.9], 7);
    expectClose(s2, adamStep2(s1), 10);
  });

  it("weightDecay is L2 added to the gradient (torch.optim.Adam), so it can flip the step's sign", () => {
    // g' = g + λw = −0.2 + 1·1 = 0.8 > 0: the weight moves down although g < 0.
    const [s1] = run((p) => new Adam([p], { lr: 0.1, weightDecay: 1 }), [[-0.2]], [1]);
    expectClose(s1, [0.9], 7);
  });

  it("AMSGrad uses the running max of v", () => {
    // g₂ much smaller than g₁: v₂ < v₁·(bias), max keeps v₁'s magnitude so the step is smaller than Adam's.
    const grads = [[1], [0.01]];
    const adam = run((p) => new Adam([p], { lr: 0.1 }), grads, [0]);
    const ams = run((p) => new Adam([p], { lr: 0.1, amsgrad: true }), grads, [0]);
    const m2 = (0.09 * 1 + 0.1 * 0.01) / 0.19;
    const vMax = Math.max(0.001 * 1, 0.000999 * 1 + 0.001 * 0.0001); // v₁ vs v₂, before bias correction
    expectClose(ams[1], [ams[0][0] - 0.1 * m2 / (Math.sqrt(vMax / 0.001999) + 1e-8)], 10);
    expect(Math.abs(ams[1][0] - ams[0][0])).toBeLessThan(Math.abs(adam[1][0] - adam[0][0]));
  });
});

describe("AdamW", () => {
  it("decay is decoupled: w ← w·(1 − lr·λ) then the Adam step; λ defaults to 0.01", () => {
    const [s1, s2] = run((p) => new AdamW([p], { lr: 0.1 }));
    expectClose(s1, [1 * (1 - 0.001) - 0.1, -2 * (1 - 0.001) + 0.1], 7);
    expectClose(s2, adamStep2(s1, 1 - 0.001), 10);
  });

  it("differs from Adam's L2: the gradient's sign still decides the adaptive step", () => {
    // Adam with λ=1 moved 1 → 0.9 above; AdamW shrinks 1 → 0.9 then steps +lr·sign(−g) back to 1.0.
    const [s1] = run((p) => new AdamW([p], { lr: 0.1, weightDecay: 1 }), [[-0.2]], [1]);
    expectClose(s1, [1.0], 7);
  });
});

describe("AdaptiveGains", () => {
  it("Δw = −lr·gain·g; gains start at 1, +0.05 when the sign holds, ×0.95 when it flips", () => {
    let opt!: AdaptiveGains;
    const [s1, s2] = run((p) => (opt = new AdaptiveGains([p], { lr: 0.1 })));
    expectClose(s1, [1 - 0.1 * 0.5, -2 + 0.1 * 1]);
    // entry 0 flipped (0.5 → −0.5): gain 0.95; entry 1 held (−1 → −3): gain 1.05
    expectClose(Array.from(opt.gains(0)), [0.95, 1.05]);
    expectClose(s2, [0.95 + 0.1 * 0.95 * 0.5, -1.9 + 0.1 * 1.05 * 3]);
  });

  it("with momentum: v ← μv − lr·gain·g; w ← w + v", () => {
    const [s1, s2] = run((p) => new AdaptiveGains([p], { lr: 0.1, momentum: 0.9 }));
    expectClose(s1, [0.95, -1.9]);
    expectClose(s2, [0.95 + (0.9 * -0.05 + 0.1 * 0.95 * 0.5), -1.9 + (0.9 * 0.1 + 0.1 * 1.05 * 3)]);
  });

  it("gains grow additively while the sign holds and are clipped to [0.01, 100]", () => {
    const p = param([0, 0]);
    const opt = new AdaptiveGains([p], { lr: 1e-9 });
    const stepWith = (g: number[]) => {
      p.grad = new Tensor(Float64Array.from(g), [2]);
      opt.step();
    };
    // Entry 0 always +1 (sign holds), entry 1 alternates (sign flips every step).
    for (let k = 0; k < 10; k++) stepWith([1, k % 2 ? -1 : 1]);
    expectClose(Array.from(opt.gains(0)), [1 + 0.05 * 9, Math.pow(0.95, 9)]);
    for (let k = 10; k < 3000; k++) stepWith([1, k % 2 ? -1 : 1]);
    expectClose(Array.from(opt.gains(0)), [100, 0.01]);
  });

  it("a zero gradient (no sign) leaves the gain unchanged", () => {
    let opt!: AdaptiveGains;
    // Entry 0 holds its sign then sees 0; entry 1 starts at 0, then its first sign.
    run((p) => (opt = new AdaptiveGains([p], { lr: 0.1 })), [[1, 0], [1, 1]]);
    expectClose(Array.from(opt.gains(0)), [1.05, 1]);
    opt.params[0].grad = new Tensor(Float64Array.of(0, 1), [2]);
    opt.step();
    expectClose(Array.from(opt.gains(0)), [1.05, 1.05]);
  });

  it("rejects a gain range that excludes the starting gain of 1", () => {
    expect(() => new AdaptiveGains([param([0])], { lr: 0.1, minGain: 2 })).toThrow(/minGain/);
  });
});

describe("all optimizers", () => {
  it("skip parameters without a gradient and count their steps separately (bias correction)", () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = new Tensor(Float64Array.of(1), [1]);
    opt.step();
    expect(b.data[0]).toBe(1);
    b.grad = new Tensor(Float64Array.of(1), [1]);
    opt.step();
    // b's first update, so its bias correction is the first step's: a move of ≈ lr.
    expect(b.data[0]).toBeCloseTo(0.9, 7);
  });

  it("update float32 parameters in place", () => {
    const p = new Tensor(Float32Array.of(1, -2), [2], true);
    const opt = new Adam([p], { lr: 0.1 });
    p.grad = new Tensor(Float32Array.of(0.5, -1), [2]);
    opt.step();
    expect(p.data).toBeInstanceOf(Float32Array);
    expect(Array.from(p.data)).toEqual([Math.fround(0.9), Math.fround(-1.9)]);
  });
});

describe("hyperparameter validation", () => {
  it("names the optimizer and the bad value", () => {
    const p = () => [param([0])];
    expect(() => new Adam(p(), { betas: [0.9, 1] })).toThrow(/^Adam: betas must be in \[0, 1\), got \[0.9, 1\]/);
    expect(() => new AdamW(p(), { eps: -1 })).toThrow(/^AdamW: eps/);
    expect(() => new RMSProp(p(), { alpha: 2 })).toThrow(/^RMSProp: alpha/);
    expect(() => new AdaGrad(p(), { lrDecay: -1 })).toThrow(/^AdaGrad: lrDecay/);
    expect(() => new SGD(p(), { lr: 0.1, nesterov: true })).toThrow(/^SGD: Nesterov/);
    expect(() => new SGD(p(), { lr: -1 })).toThrow(/^SGD: learning rate/);
    expect(() => new AdaptiveGains(p(), { lr: 0.1, decrease: 1.5 })).toThrow(/^AdaptiveGains: .*decrease/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/no parameters/);
  });
});
