/**
 * Lecture: optimizers. One problem (spirals, a small tanh MLP, same seed and init) trained by each
 * optimizer; compare loss curves and update ratios in the report. Each is a named export:
 * `gradient-lens train examples/optimizers.ts --model adam`.
 */
import { defineModel, nn, losses, optim, data, type Tensor } from "gradient-lens";

function problem(name: string, optimizer: (params: Tensor[]) => optim.Optimizer) {
  return defineModel({
    name,
    model: () => new nn.Sequential(new nn.Linear(2, 32), new nn.Tanh(), new nn.Linear(32, 32), new nn.Tanh(), new nn.Linear(32, 3)),
    data: () => data.spirals({ n: 300, classes: 3, seed: 6 }),
    loss: losses.softmaxCrossEntropy,
    optimizer,
    batchSize: 32,
    steps: 300,
    seed: 6,
  });
}

export const sgd = problem("SGD", (p) => new optim.SGD(p, { lr: 0.1 }));
export const momentum = problem("SGD with momentum 0.9", (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }));
export const nesterov = problem("SGD with Nesterov momentum", (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }));
export const momentumWarmup = problem("SGD with momentum warm-up 0.5 → 0.9", (p) => new optim.SGD(p, { lr: 0.05, momentum: optim.momentumWarmup(0.5, 0.9, 100) }));
export const rmsprop = problem("RMSProp", (p) => new optim.RMSProp(p, { lr: 0.005, alpha: 0.9 }));
export const adam = problem("Adam", (p) => new optim.Adam(p, { lr: 0.01 }));
export const adaptiveGains = problem("Adaptive gains (delta-bar-delta)", (p) => new optim.AdaptiveGains(p, { lr: 0.02, momentum: 0.9 }));
export const adagrad = problem("AdaGrad", (p) => new optim.AdaGrad(p, { lr: 0.1 }));

export default momentum;
