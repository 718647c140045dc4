/**
 * Lecture: numerically stable softmax. Cross-entropy written naively, log(exp(x_y) / Σ exp(x)),
 * overflows once logits reach ~710 (exp → Inf, Inf/Inf → NaN) and underflows to log(0) = −Inf for
 * very negative ones. The log-sum-exp form −x_y + max + log Σ exp(x − max) is exact and finite.
 * Both exports train the same net whose logits are scaled up to the hundreds:
 * `default` (naive) gets a `nan-or-inf` warning naming the first op that produced NaN/Inf;
 * `stable` (losses.softmaxCrossEntropy, log-sum-exp) trains normally.
 */
import { defineModel, nn, losses, optim, data, ops, type Tensor } from "gradient-lens";

/** softmax then log, the textbook way: the bug this example is about. */
function naiveCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const e = logits.exp();
  const p = e.div(e.sum(1, true));
  const picked = ops.takeAlong(p, labels.reshape([labels.shape[0], 1]), 1);
  return picked.log().neg().mean();
}

/** Multiplies its input by a constant: stands in for a net whose logits grew large. */
class Scale extends nn.Module {
  constructor(readonly factor: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.mul(this.factor);
  }
}

const net = () => new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 3), new Scale(10_000));

export default defineModel({
  name: "Naive softmax cross-entropy on large logits",
  model: net,
  data: () => data.spirals({ n: 150, classes: 3, seed: 4 }),
  loss: naiveCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 1e-7 }),
  batchSize: 50,
  steps: 30,
});

export const stable = defineModel({
  name: "Log-sum-exp cross-entropy on large logits",
  model: net,
  data: () => data.spirals({ n: 150, classes: 3, seed: 4 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 1e-7 }),
  batchSize: 50,
  steps: 30,
});
