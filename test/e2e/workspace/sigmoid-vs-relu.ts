/**
 * The lecture's argument as two runs to compare: the deep sigmoid net of examples/deep-sigmoid.ts
 * (vanishing gradients) and the same depth with ReLU and He init (examples/relu-he.ts, healthy).
 */
import { defineModel, nn, losses, optim, data } from "gradient-lens";

const width = 32;
const he = { init: nn.init.heNormal(), biasInit: nn.init.constant(0) };

function stack(act: () => nn.Module, init?: typeof he): nn.Module[] {
  const layers: nn.Module[] = [new nn.Linear(2, width, init), act()];
  for (let i = 0; i < 6; i++) layers.push(new nn.Linear(width, width, init), act());
  return [...layers, new nn.Linear(width, 3, init)];
}

export const deepSigmoid = defineModel({
  name: "Deep sigmoid MLP",
  model: () => new nn.Sequential(...stack(() => new nn.Sigmoid())),
  data: () => data.spirals({ n: 300, classes: 3, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 0.1, momentum: 0.9 }),
  batchSize: 32,
  steps: 200,
});

export const reluHe = defineModel({
  name: "Deep ReLU MLP, He init",
  model: () => new nn.Sequential(...stack(() => new nn.ReLU(), he)),
  data: () => data.spirals({ n: 300, classes: 3, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 0.05, momentum: 0.9 }),
  batchSize: 32,
  steps: 200,
});
