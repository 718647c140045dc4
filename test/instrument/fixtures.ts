/** Models and data shared by the debugger's tests: each one a case from the lecture that must (or must not) trigger a rule. */
import { Random, Tensor, defineModel, nn, optim, losses, ops, type ModelSpec } from "../../src";

/** Two-class spirals generated here (seeded), so the tests do not depend on data/ growing synthetic sets. */
export function spirals(n = 200, seed = 1, classes = 2): { x: Tensor; y: Tensor; classes: number } {
  const rng = new Random(seed);
  const x = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const r = (i / n) * 4 + 0.2;
    const t = r * 1.8 + (2 * Math.PI * c) / classes + rng.normal(0, 0.15);
    x[2 * i] = r * Math.cos(t) * 0.5;
    x[2 * i + 1] = r * Math.sin(t) * 0.5;
    y[i] = c;
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n]), classes };
}

/** A linear regression set: y = x·w* + noise. */
export function regression(n = 64, features = 4, seed = 2, noise = 0.05): { x: Tensor; y: Tensor } {
  const rng = new Random(seed);
  const w = Array.from({ length: features }, () => rng.normal());
  const x = new Float64Array(n * features);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < features; j++) {
      x[i * features + j] = rng.normal();
      s += x[i * features + j] * w[j];
    }
    y[i] = s + rng.normal(0, noise);
  }
  return { x: new Tensor(x, [n, features]), y: new Tensor(y, [n, 1]) };
}

type Act = () => nn.Module;

/** depth Linear layers of `width` with `act` between them: 2 → width → … → classes. */
export function mlp(depth: number, width: number, act: Act | null, init: nn.Initializer, biasInit = nn.init.constant(0), inputs = 2, outputs = 2): nn.Sequential {
  const layers: nn.Module[] = [];
  for (let i = 0; i < depth; i++) {
    const fin = i === 0 ? inputs : width;
    const fout = i === depth - 1 ? outputs : width;
    layers.push(new nn.Linear(fin, fout, { init, biasInit }));
    if (i < depth - 1 && act) layers.push(act());
  }
  return new nn.Sequential(...layers);
}

export function classifier(name: string, model: () => nn.Module, lr = 0.1, extra: Partial<ModelSpec> = {}): ModelSpec {
  return defineModel({
    name,
    model,
    data: () => spirals(),
    loss: losses.softmaxCrossEntropy,
    optimizer: (p) => new optim.SGD(p, { lr }),
    batchSize: 32,
    steps: 30,
    seed: 3,
    ...extra,
  });
}

/** The lecture's vanishing case: 9 sigmoid layers with small init. */
export const deepSigmoid = () => classifier("deep sigmoid", () => mlp(9, 32, () => new nn.Sigmoid(), nn.init.normal(0.1)));
/** Same depth with ReLU and He init: healthy gradient flow. */
export const deepReluHe = () => classifier("deep relu he", () => mlp(9, 32, () => new nn.ReLU(), nn.init.heNormal()), 0.05);
/** A deep linear stack with large init: each layer multiplies the gradient by ~√width. */
export const deepLinearLarge = () => classifier("deep linear large", () => mlp(8, 32, null, nn.init.normal(1)), 1e-6);

/** exp, then divide by the sum, then log: overflows on logits ≳ 710. */
export class NaiveSoftmax extends nn.Module {
  forward(x: Tensor): Tensor {
    const e = ops.exp(x);
    return ops.log(ops.div(e, ops.sum(e, 1, true)));
  }
}

/** Negative log-likelihood of log-probabilities (pairs with NaiveSoftmax). */
export const nll = (logp: Tensor, labels: Tensor) => ops.neg(ops.mean(ops.takeAlong(logp, labels.reshape([labels.size, 1]), 1)));
