/**
 * Lecture: exploding gradients. A deep stack of linear layers (no non-linearity, like an unrolled
 * linear RNN) initialized with weights too large (std 1 instead of ~1/√fanIn): the backward signal
 * is multiplied by ‖W‖ ≈ √width at every layer, so the first layer's gradient is orders of magnitude
 * larger than the last's, and the loss blows up. Expect `exploding-gradient` (and likely `nan-or-inf`).
 */
import { defineModel, nn, losses, optim, data } from "gradient-lens";

const big = { init: nn.init.normal(1.0) };

export default defineModel({
  name: "Deep linear net with large init (exploding gradients)",
  model: () =>
    new nn.Sequential(
      new nn.Linear(4, 16, big),
      new nn.Linear(16, 16, big),
      new nn.Linear(16, 16, big),
      new nn.Linear(16, 16, big),
      new nn.Linear(16, 16, big),
      new nn.Linear(16, 1, big),
    ),
  data: () => data.linearRegression({ n: 128, features: 4, seed: 2 }),
  loss: losses.mse,
  optimizer: (params) => new optim.SGD(params, { lr: 0.01 }),
  batchSize: 32,
  steps: 60,
});

/** The fix: the default init (U(±1/√fanIn)) keeps each layer's gain near 1. */
export const fixed = defineModel({
  name: "Deep linear net with default init",
  model: () =>
    new nn.Sequential(
      new nn.Linear(4, 16),
      new nn.Linear(16, 16),
      new nn.Linear(16, 16),
      new nn.Linear(16, 16),
      new nn.Linear(16, 16),
      new nn.Linear(16, 1),
    ),
  data: () => data.linearRegression({ n: 128, features: 4, seed: 2 }),
  loss: losses.mse,
  optimizer: (params) => new optim.SGD(params, { lr: 0.01 }),
  batchSize: 32,
  steps: 60,
});
