/**
 * Lecture: vanishing gradients in a deep CNN. Twelve 3×3 convolutions with sigmoids and no normalization
 * on 8×8 digits: each sigmoid passes back at most 1/4 of the gradient, so the first convolutions get
 * gradients orders of magnitude smaller than the last and barely move (`vanishing-gradient` at the first
 * Conv2d lines), while the loss creeps. `bnResidual` keeps the depth (twelve convolutions) but uses ReLU,
 * BatchNorm2d after each convolution and residual blocks (He et al. 2016): each block adds its input to
 * its output, so the gradient reaches the first convolution undiminished, and the loss falls fast.
 */
import { defineModel, nn, losses, optim, data, type Tensor } from "gradient-lens";

const channels = 4;

const common = {
  data: () => data.digits({ n: 512, nTest: 128, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params: Tensor[]) => new optim.SGD(params, { lr: 0.05, momentum: 0.9 }),
  batchSize: 16,
  steps: 40,
};

/** Conv(3×3, same size) then sigmoid, `depth` times. */
function plainSigmoidStack(depth: number): nn.Module[] {
  const layers: nn.Module[] = [];
  for (let i = 0; i < depth; i++) layers.push(new nn.Conv2d(i === 0 ? 1 : channels, channels, 3, { padding: 1 }), new nn.Sigmoid());
  return layers;
}

export default defineModel({
  ...common,
  name: "Deep plain CNN, 12 sigmoid convolutions (vanishing gradients)",
  model: () => new nn.Sequential(...plainSigmoidStack(12), new nn.Flatten(), new nn.Linear(channels * 64, 10)),
});

/** x + BN(conv(ReLU(conv(x)))), then ReLU: two convolutions per block, normalized where they join the sum. */
function residualBlock(): nn.Module {
  return new nn.Sequential(
    new nn.Residual(new nn.Sequential(
      new nn.Conv2d(channels, channels, 3, { padding: 1 }), new nn.ReLU(),
      new nn.Conv2d(channels, channels, 3, { padding: 1 }), new nn.BatchNorm2d(channels),
    )),
    new nn.ReLU(),
  );
}

export const bnResidual = defineModel({
  ...common,
  name: "The same depth with ReLU, BatchNorm2d and residual blocks",
  model: () => new nn.Sequential(
    new nn.Conv2d(1, channels, 3, { padding: 1 }), new nn.BatchNorm2d(channels), new nn.ReLU(),
    ...Array.from({ length: 5 }, residualBlock),
    new nn.Conv2d(channels, channels, 3, { padding: 1 }), new nn.BatchNorm2d(channels), new nn.ReLU(),
    new nn.Flatten(), new nn.Linear(channels * 64, 10),
  ),
});
