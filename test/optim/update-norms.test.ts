/**
 * Update events: while an observer listens, every optimizer (each branch of its rule) measures Σ(Δw)²
 * and Σw² (before the step) inside its one update loop and reports them per tensor; the sums must equal
 * a direct computation from copies of the weights, and observing must not change a single bit of the
 * trajectory.
 */
import { describe, expect, it } from "vitest";
import { observe, Random, Tensor, type FloatArray, type UpdateEvent } from "../../src/engine";
import { AdaGrad, Adam, AdamW, AdaptiveGains, BaseOptimizer, RMSProp, SGD, stepReporting, type Optimizer } from "../../src/optim";

type Make = (ps: Tensor[]) => Optimizer;

const CASES: Array<[string, Make]> = [
  ["SGD", (p) => new SGD(p, { lr: 0.1 })],
  ["SGD weight decay", (p) => new SGD(p, { lr: 0.1, weightDecay: 0.3 })],
  ["SGD momentum", (p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.1 })],
  ["SGD Nesterov", (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ["AdaGrad", (p) => new AdaGrad(p, { lr: 0.05, weightDecay: 0.1, lrDecay: 0.01 })],
  ["RMSProp", (p) => new RMSProp(p, { lr: 0.01 })],
  ["RMSProp centered + momentum", (p) => new RMSProp(p, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 })],
  ["Adam", (p) => new Adam(p, { lr: 0.01, weightDecay: 0.1 })],
  ["Adam AMSGrad", (p) => new Adam(p, { lr: 0.01, amsgrad: true })],
  ["AdamW", (p) => new AdamW(p, { lr: 0.01 })],
  ["AdaptiveGains", (p) => new AdaptiveGains(p, { lr: 0.05 })],
  ["AdaptiveGains momentum", (p) => new AdaptiveGains(p, { lr: 0.05, momentum: 0.8 })],
];

function params(dtype: "float64" | "float32", seed = 1): Tensor[] {
  const r = new Random(seed);
  return [37, 8, 1].map((n) => {
    const v = Array.from({ length: n }, () => r.normal());
    return new Tensor(dtype === "float32" ? Float32Array.from(v) : Float64Array.from(v), [n], true);
  });
}

function setGrads(ps: Tensor[], r: Random, skip = -1): void {
  ps.forEach((p, i) => {
    p.zeroGrad();
    if (i === skip) return;
    const v = Array.from({ length: p.size }, () => (r.uniform() < 0.2 ? 0 : r.normal()));
    p.grad = new Tensor(p.data instanceof Float32Array ? Float32Array.from(v) : Float64Array.from(v), p.shape);
  });
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

/** Runs `fn` with an observer attached; returns the update events it saw, by tensor. */
function observed(fn: () => void): Map<Tensor, UpdateEvent> {
  const events = new Map<Tensor, UpdateEvent>();
  const detach = observe({ update: (e) => void events.set(e.param, e) });
  try {
    fn();
  } finally {
    detach();
  }
  return events;
}

/** Σ(after − before)² and Σ before², computed directly. */
function direct(after: FloatArray, before: Float64Array): { d2: number; w2: number } {
  let d2 = 0, w2 = 0;
  for (let j = 0; j < after.length; j++) {
    const d = after[j] - before[j];
    d2 += d * d;
    w2 += before[j] * before[j];
  }
  return { d2, w2 };
}

describe("update events", () => {
  for (const dtype of ["float64", "float32"] as const) {
    for (const [name, make] of CASES) {
      it(`${name} (${dtype}): reported Σ(Δw)² and Σw² equal a direct computation; the trajectory is unchanged`, () => {
        const tracked = params(dtype);
        const plain = params(dtype);
        const a = make(tracked);
        const b = make(plain);
        const ra = new Random(9), rb = new Random(9);
        for (let step = 0; step < 4; step++) {
          // Step 2 leaves the second tensor without a gradient: skipped, no event.
          const skip = step === 2 ? 1 : -1;
          setGrads(tracked, ra, skip);
          setGrads(plain, rb, skip);
          const before = tracked.map((p) => Float64Array.from(p.data));
          const events = observed(() => a.step());
          b.step();
          expect(events.size).toBe(skip >= 0 ? 2 : 3);
          tracked.forEach((p, i) => {
            expect(Array.from(p.data), `${name} step ${step} tensor ${i}`).toEqual(Array.from(plain[i].data));
            const e = events.get(p);
            if (i === skip) {
              expect(e).toBeUndefined();
              return;
            }
            expect(e).toMatchObject({ optimizer: a, param: p, grad: p._g });
            const { d2, w2 } = direct(p.data, before[i]);
            expect(rel(e!.weightSq, w2)).toBeLessThan(1e-13);
            if (i === 0) expect(d2).toBeGreaterThan(0);
            expect(rel(e!.updateSq, d2)).toBeLessThan(1e-13);
          });
        }
      });
    }
  }

  it("a subclass with its own rule, a rule wrapped by a subclass, and an optimizer that is not a BaseOptimizer report exact sums too", () => {
    class Sign extends BaseOptimizer {
      protected update(p: Tensor, g: FloatArray): void {
        for (let j = 0; j < p.size; j++) p.data[j] -= this.lr * Math.sign(g[j]);
      }
    }
    class WarmSGD extends SGD {
      override get momentum(): number {
        return Math.min(0.9, 0.1 * this.t);
      }
    }
    /** Not a BaseOptimizer: measured against copies by `stepReporting`. */
    const halve = (ps: Tensor[]): Optimizer => ({
      params: ps, lr: 0.5,
      step() { for (const p of ps) if (p._g) for (let j = 0; j < p.size; j++) p.data[j] -= 0.5 * p._g[j]; },
      zeroGrad() { for (const p of ps) p.zeroGrad(); },
    });
    for (const make of [(p: Tensor[]) => new Sign(p, 0.1), (p: Tensor[]) => new WarmSGD(p, { lr: 0.1 }), halve]) {
      const ps = params("float32");
      const opt = make(ps);
      const r = new Random(3);
      for (let step = 0; step < 3; step++) {
        setGrads(ps, r);
        const before = ps.map((p) => Float64Array.from(p.data));
        const events = observed(() => stepReporting(opt));
        expect(events.size).toBe(3);
        ps.forEach((p, i) => {
          const { d2, w2 } = direct(p.data, before[i]);
          expect(rel(events.get(p)!.updateSq, d2)).toBeLessThan(1e-13);
          expect(rel(events.get(p)!.weightSq, w2)).toBeLessThan(1e-13);
        });
      }
    }
  });
});
