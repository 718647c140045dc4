/**
 * Lecture: batch normalization. The deep sigmoid net of deep-sigmoid.ts, with BatchNorm1d before each
 * sigmoid: normalizing each unit's pre-activation over the batch keeps it in the sigmoid's steep
 * region, so the gradient reaches the first layers (Ioffe & Szegedy 2015). `default` has batch norm;
 * `without` is the vanishing baseline.
 */
import { defineModel, nn, losses, optim, data } from "gradient-lens";

const width = 32;
const depth = 7;

function deepSigmoid(batchNorm: boolean): nn.Module {
  const layers: nn.Module[] = [];
  let inputs = 2;
  for (let i = 0; i < depth; i++) {
    layers.push(new nn.Linear(inputs, width));
    if (batchNorm) layers.push(new nn.BatchNorm1d(width));
    layers.push(new nn.Sigmoid());
    inputs = width;
  }
  layers.push(new nn.Linear(width, 3));
  return new nn.Sequential(...layers);
}

const common = {
  data: () => data.spirals({ n: 300, classes: 3, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  batchSize: 32,
  steps: 200,
};

export default defineModel({
  ...common,
  name: "Deep sigmoid MLP with batch norm",
  model: () => deepSigmoid(true),
  optimizer: (params) => new optim.SGD(params, { lr: 0.1, momentum: 0.9 }),
});

export const without = defineModel({
  ...common,
  name: "Deep sigmoid MLP without batch norm",
  model: () => deepSigmoid(false),
  optimizer: (params) => new optim.SGD(params, { lr: 0.1, momentum: 0.9 }),
});
