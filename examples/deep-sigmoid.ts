/**
 * Lecture: vanishing gradients. Eight sigmoid layers with small (PyTorch-default) weights: the
 * sigmoid's derivative is at most 1/4, so each layer shrinks the backward signal and the first layers
 * barely learn. Gradient Lens flags `vanishing-gradient` on the first Linear layers, at these lines.
 * Compare relu-he.ts: the same net with ReLU and He init is healthy.
 */
import { defineModel, nn, losses, optim, data } from "gradient-lens";

const width = 32;

export default defineModel({
  name: "Deep sigmoid MLP (vanishing gradients)",
  model: () =>
    new nn.Sequential(
      new nn.Linear(2, width),
      new nn.Sigmoid(),
      new nn.Linear(width, width),
      new nn.Sigmoid(),
      new nn.Linear(width, width),
      new nn.Sigmoid(),
      new nn.Linear(width, width),
      new nn.Sigmoid(),
      new nn.Linear(width, width),
      new nn.Sigmoid(),
      new nn.Linear(width, width),
      new nn.Sigmoid(),
      new nn.Linear(width, width),
      new nn.Sigmoid(),
      new nn.Linear(width, 3),
    ),
  data: () => data.spirals({ n: 300, classes: 3, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 0.1, momentum: 0.9 }),
  batchSize: 32,
  steps: 200,
});
