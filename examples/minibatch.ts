/**
 * Lecture: full-batch vs minibatch vs online learning. The same model and data with the whole set per
 * step, 32 examples per step, and one example per step. Full batch gives a smooth but costly gradient;
 * single examples a noisy one (the loss jumps from step to step, yet its average falls: the loss rules
 * judge it over blocks of 32 examples, so this noise is not reported as oscillation); minibatches sit
 * between.
 */
import { defineModel, nn, losses, optim, data } from "gradient-lens";

function variant(name: string, batchSize: number | undefined, lr: number) {
  return defineModel({
    name,
    model: () => new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 2)),
    data: () => data.moons({ n: 256, noise: 0.1, seed: 7 }),
    loss: losses.softmaxCrossEntropy,
    optimizer: (params) => new optim.SGD(params, { lr }),
    batchSize,
    steps: 200,
    seed: 7,
  });
}

export const fullBatch = variant("Full batch (256 per step)", undefined, 0.5);
export const minibatch = variant("Minibatch (32 per step)", 32, 0.2);
export const singleExample = variant("Online (1 example per step)", 1, 0.05);

export default minibatch;
