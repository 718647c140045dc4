// A 12-block transformer encoder on the adding problem: 200 parameter tensors (an input Linear,
// 12 × 16 in the encoder blocks, a LayerNorm, a two-Linear head). The views test trains it briefly.
import { defineModel, nn, losses, optim, data, ops, type Tensor } from "gradient-lens";

/** Mean over the time axis: (batch, time, d) → (batch, d). */
class MeanOverTime extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.mean(x, 1);
  }
}

export default defineModel({
  name: "Transformer encoder, 12 blocks",
  model: () => new nn.Sequential(
    new nn.Linear(2, 8),
    ...Array.from({ length: 12 }, () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 })),
    new nn.LayerNorm(8),
    new MeanOverTime(),
    new nn.Linear(8, 8),
    new nn.ReLU(),
    new nn.Linear(8, 1),
  ),
  data: () => data.addingProblem({ n: 64, length: 6, seed: 1 }),
  loss: losses.mse,
  optimizer: (params) => new optim.Adam(params, { lr: 1e-3 }),
  batchSize: 8,
  steps: 60,
});
