/**
 * Lecture: transformers and learning-rate warm-up (Vaswani et al. 2017; Xiong et al. 2020, "On Layer
 * Normalization in the Transformer Architecture"). A 2-layer post-LN encoder, x = LN(x + f(x)) as in the
 * original transformer, classifies bracket strings as balanced or not (token ids through nn.Embedding plus
 * learned positions, mean over time, a linear head). `default` runs Adam at lr 0.03 from the first step:
 * its first updates, taken while Adam's moment estimates still rest on a handful of gradients (Liu et al.
 * 2020's explanation of why warm-up helps), knock the attention and feed-forward weights far from where
 * they started, and the loss stalls near chance (ln 2 ≈ 0.69) — `loss-not-decreasing`. `warmup` is the same model and peak lr with the learning rate ramped up
 * linearly from 1% over the first 50 steps (`optim.linearWarmup`): the loss falls to ~0.4. Pre-LN
 * (`normFirst: true`, x = x + f(LN(x))) is the other published fix; at this lr and size it did not train
 * without warm-up in our runs, so it is not shown here.
 */
import { defineModel, nn, losses, optim, data, ops, arange, type Tensor } from "gradient-lens";

const length = 8;
const dModel = 16;
const layers = 2;
const lr = 0.03;

/** Token ids (batch, time) → token embeddings plus a learned embedding per position: (batch, time, dModel). */
class TokensAndPositions extends nn.Module {
  readonly tokens = new nn.Embedding(5, dModel, { paddingIdx: 0 });
  readonly positions = new nn.Embedding(length, dModel);
  readonly positionIds = arange(length).reshape([1, length]);
  forward(ids: Tensor): Tensor {
    return ops.add(this.tokens.call(ids), this.positions.call(this.positionIds));
  }
}

/** The mean over time of the encoder's outputs: (batch, time, dModel) → (batch, dModel). */
class MeanOverTime extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.mean(x, 1);
  }
}

function encoder(normFirst: boolean): nn.Module {
  return new nn.Sequential(
    new TokensAndPositions(),
    ...Array.from({ length: layers }, () => new nn.TransformerEncoderLayer(dModel, 2, { dimFeedforward: 32, dropout: 0, normFirst })),
    new MeanOverTime(),
    new nn.Linear(dModel, 2),
  );
}

const common = {
  data: () => data.brackets({ n: 1000, length, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params: Tensor[]) => new optim.Adam(params, { lr }),
  batchSize: 16,
  steps: 100,
};

export default defineModel({ ...common, name: "Post-LN transformer, Adam lr 0.03 from step 0", model: () => encoder(false) });

export const warmup = defineModel({
  ...common,
  name: "Post-LN transformer with 50 steps of linear warm-up",
  model: () => encoder(false),
  schedule: optim.linearWarmup(50, lr, { startFactor: 0.01 }),
});
