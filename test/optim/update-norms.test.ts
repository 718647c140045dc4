/**
 * `trackUpdateNorms`: every optimizer (each branch of its rule) measures Σ(Δw)² and Σw² (before the
 * step) inside its update loop; the sums must equal a direct computation from copies of the weights,
 * and tracking must not change a single bit of the trajectory.
 */
import { describe, expect, it } from "vitest";
import { Random, Tensor } from "../../src/engine";
import { AdaGrad, Adam, AdamW, AdaptiveGains, BaseOptimizer, RMSProp, SGD, type Optimizer } from "../../src/optim";

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

describe("trackUpdateNorms", () => {
  for (const dtype of ["float64", "float32"] as const) {
    for (const [name, make] of CASES) {
      it(`${name} (${dtype}): tracked Σ(Δw)² and Σw² equal a direct computation; the trajectory is unchanged`, () => {
        const tracked = params(dtype);
        const plain = params(dtype);
        const a = make(tracked);
        const b = make(plain);
        const norms = a.trackUpdateNorms!(true)!;
        expect(norms).not.toBeNull();
        const ra = new Random(9), rb = new Random(9);
        for (let step = 0; step < 4; step++) {
          // Step 2 leaves the second tensor without a gradient: skipped, reported as not updated.
          const skip = step === 2 ? 1 : -1;
          setGrads(tracked, ra, skip);
          setGrads(plain, rb, skip);
          const before = tracked.map((p) => Float64Array.from(p.data));
          a.step();
          b.step();
          tracked.forEach((p, i) => {
            expect(Array.from(p.data), `${name} step ${step} tensor ${i}`).toEqual(Array.from(plain[i].data));
            if (i === skip) {
              expect(norms.updated[i]).toBe(0);
              return;
            }
            expect(norms.updated[i]).toBe(1);
            let d2 = 0, w2 = 0;
            for (let j = 0; j < p.size; j++) {
              const d = p.data[j] - before[i][j];
              d2 += d * d;
              w2 += before[i][j] * before[i][j];
            }
            expect(rel(norms.weight[i], w2)).toBeLessThan(1e-13);
            if (i === 0) expect(d2).toBeGreaterThan(0);
            expect(rel(norms.update[i], d2)).toBeLessThan(1e-13);
          });
        }
        expect(a.trackUpdateNorms!(false)).toBeNull();
        // Off again: the sums are left alone.
        const frozen = Float64Array.from(norms.update);
        setGrads(tracked, ra);
        a.step();
        expect(Array.from(norms.update)).toEqual(Array.from(frozen));
      });
    }
  }

  it("a subclass with its own update rule or step cannot track (callers take the snapshot path); one inheriting the rule can", () => {
    class Sign extends BaseOptimizer {
      protected update(p: Tensor, g: Float64Array | Float32Array): void {
        for (let j = 0; j < p.size; j++) p.data[j] -= this.lr * Math.sign(g[j]);
      }
    }
    class ClippedSGD extends SGD {
      override step(): void {
        super.step();
        for (const p of this.params) for (let j = 0; j < p.size; j++) p.data[j] = Math.max(-1, Math.min(1, p.data[j]));
      }
    }
    class WarmSGD extends SGD {
      override get momentum(): number {
        return Math.min(0.9, 0.1 * this.t);
      }
    }
    expect(new Sign(params("float64"), 0.1).trackUpdateNorms(true)).toBeNull();
    expect(new ClippedSGD(params("float64"), { lr: 0.1 }).trackUpdateNorms(true)).toBeNull();
    expect(new WarmSGD(params("float64"), { lr: 0.1 }).trackUpdateNorms(true)).not.toBeNull();
  });
});
