/**
 * Lecture: initialization. The deep net of deep-sigmoid.ts with ReLU and He initialization
 * (He et al. 2015: weights ~ N(0, 2/fanIn) keep the activations' variance constant through ReLUs),
 * so the gradient reaches the first layer at a useful size. Expect no vanishing-gradient warning.
 */
import { defineModel, nn, losses, optim, data } from "gradient-lens";

const width = 32;
const he = { init: nn.init.heNormal(), biasInit: nn.init.constant(0) };

/** Hidden layers built in a loop: each Linear's location is the line inside this function. */
function hidden(depth: number): nn.Module[] {
  const layers: nn.Module[] = [];
  for (let i = 0; i < depth; i++) layers.push(new nn.Linear(width, width, he), new nn.ReLU());
  return layers;
}

export default defineModel({
  name: "Deep ReLU MLP with He init (healthy)",
  model: () => new nn.Sequential(new nn.Linear(2, width, he), new nn.ReLU(), ...hidden(6), new nn.Linear(width, 3, he)),
  data: () => data.spirals({ n: 300, classes: 3, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 0.05, momentum: 0.9 }),
  batchSize: 32,
  steps: 200,
});
