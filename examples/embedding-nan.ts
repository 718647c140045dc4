/**
 * Lecture: sparse gradients and a NaN that starts in the embedding table. Bracket strings, as token ids,
 * go through nn.Embedding (with a padding row, paddingIdx 0) into a small MLP that says whether they are
 * balanced. An embedding's gradient is sparse: a row gets gradient only from the tokens in the batch, and
 * the padding row never gets any. `default` uses Adam with eps 0: where a weight's gradient has been
 * exactly 0 so far, both moment estimates are 0 and Adam's step m̂/(√v̂ + eps) is 0/0 — so after the very
 * first update the padding row of `layers.0.weight` is NaN, and so are the rows of "[" and "]" (ids 3 and
 * 4), which these one-kind bracket strings never use: the first string with a rare token would predict
 * NaN. `nan-or-inf` names the optimizer step, the parameter and the step (0), and the run stops there.
 * `fixed` keeps Adam's default eps 1e-8 (PyTorch's), which turns 0/0 into 0: the untouched rows stay as
 * they are and the loss falls.
 */
import { defineModel, nn, losses, optim, data, type Tensor } from "gradient-lens";

const length = 8;
const dim = 4;

const common = {
  model: () => new nn.Sequential(
    new nn.Embedding(5, dim, { paddingIdx: 0 }),
    new nn.Flatten(),
    new nn.Linear(length * dim, 32),
    new nn.ReLU(),
    new nn.Linear(32, 2),
  ),
  data: () => data.brackets({ n: 1000, length, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  batchSize: 32,
  steps: 150,
};

export default defineModel({
  ...common,
  name: "Embedding model, Adam with eps 0 (NaN from the padding row)",
  optimizer: (params: Tensor[]) => new optim.Adam(params, { lr: 0.01, eps: 0 }),
});

export const fixed = defineModel({
  ...common,
  name: "The same model with Adam's default eps",
  optimizer: (params: Tensor[]) => new optim.Adam(params, { lr: 0.01 }),
});
