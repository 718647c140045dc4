import { defineModel, nn, losses, optim, data } from "gradient-lens";

export default defineModel({
  name: "MLP on spirals",
  model: () => new nn.Sequential(new nn.Linear(2, 32), new nn.ReLU(), new nn.Linear(32, 3)),
  data: () => data.spirals({ n: 300, classes: 3, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.Adam(params, { lr: 0.01 }),
  batchSize: 32,
  steps: 100,
});
