/**
 * Every optimizer, in a real training loop, recovers the weights of a seeded linear regression
 * (y = x·w + b + noise, 3 features) within a stated number of full-batch steps.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../../src/engine";
import { Linear } from "../../src/nn";
import { mse } from "../../src/nn/losses";
import { AdaGrad, Adam, AdamW, AdaptiveGains, RMSProp, SGD, type Optimizer } from "../../src/optim";
import { linearRegression } from "../../src/data";
import type { Tensor } from "../../src/engine";

const ds = linearRegression({ n: 200, features: 3, noise: 0.1, seed: 11 });

const cases: Array<[string, (p: Tensor[]) => Optimizer, number]> = [
  ["SGD", (p) => new SGD(p, { lr: 0.1 }), 100],
  ["SGD + Nesterov momentum", (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }), 100],
  ["AdaGrad", (p) => new AdaGrad(p, { lr: 0.5 }), 200],
  ["RMSProp", (p) => new RMSProp(p, { lr: 0.01 }), 400],
  ["RMSProp + momentum", (p) => new RMSProp(p, { lr: 0.002, momentum: 0.9 }), 400],
  ["Adam", (p) => new Adam(p, { lr: 0.1 }), 300],
  ["AdamW (λ = 0: decay would bias the fit)", (p) => new AdamW(p, { lr: 0.1, weightDecay: 0 }), 300],
  ["AdaptiveGains", (p) => new AdaptiveGains(p, { lr: 0.05 }), 200],
  ["AdaptiveGains + momentum", (p) => new AdaptiveGains(p, { lr: 0.02, momentum: 0.9 }), 200],
];

describe("optimizers converge", () => {
  for (const [name, make, budget] of cases) {
    it(`${name} recovers w and b to ±0.02 within ${budget} steps`, () => {
      const layer = new Linear(3, 1, { rng: new Random(2) });
      const opt = make(layer.parameters());
      for (let i = 0; i < budget; i++) {
        opt.zeroGrad();
        mse(layer.call(ds.x), ds.y).backward();
        opt.step();
      }
      Array.from(layer.weight.data).forEach((w, j) => expect(Math.abs(w - ds.weights[j]), `w[${j}]`).toBeLessThan(0.02));
      expect(Math.abs(layer.bias!.data[0] - ds.bias)).toBeLessThan(0.02);
    });
  }
});
