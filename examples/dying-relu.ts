/**
 * Lecture: dying ReLUs. A large negative bias init (and a high learning rate) pushes most hidden
 * pre-activations below zero for every input: those units output 0, get 0 gradient and never recover.
 * Expect `dead-relu` on the ReLU layers. The `leaky` export keeps a small slope below zero and lives.
 */
import { defineModel, nn, losses, optim, data } from "gradient-lens";

const deadBias = { init: nn.init.heNormal(), biasInit: nn.init.constant(-3) };

export default defineModel({
  name: "ReLU net with negative bias (dying ReLUs)",
  model: () =>
    new nn.Sequential(
      new nn.Linear(2, 32, deadBias),
      new nn.ReLU(),
      new nn.Linear(32, 32, deadBias),
      new nn.ReLU(),
      new nn.Linear(32, 2),
    ),
  data: () => data.moons({ n: 200, noise: 0.1, seed: 3 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 0.5 }),
  batchSize: 32,
  steps: 100,
});

export const leaky = defineModel({
  name: "LeakyReLU net with the same init",
  model: () =>
    new nn.Sequential(
      new nn.Linear(2, 32, deadBias),
      new nn.LeakyReLU(0.1),
      new nn.Linear(32, 32, deadBias),
      new nn.LeakyReLU(0.1),
      new nn.Linear(32, 2),
    ),
  data: () => data.moons({ n: 200, noise: 0.1, seed: 3 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 0.1 }),
  batchSize: 32,
  steps: 100,
});
