/**
 * Lecture: vanishing gradients through time. The adding problem (Hochreiter & Schmidhuber 1997): over
 * 30 steps, remember the two marked values and output their sum. Predicting 1 always scores a mean
 * squared error of 1/6 ≈ 0.167; doing better requires carrying information across the whole sequence.
 * `default` is a plain tanh RNN: ∂h_T/∂h_t is a product of T − t Jacobians W_hhᵀ·diag(tanh'), which
 * shrinks geometrically, so the loss stays at the 0.167 baseline (the RNN's weight gradient, a sum over
 * time, is dominated by the last few steps and does not look small: the loss curve shows the symptom).
 * `lstm` has an LSTM whose forget gate starts open (forgetBias 1, Jozefowicz et al. 2015): the cell state carries the gradient, and after
 * ~200 steps the loss falls two orders of magnitude below the baseline.
 */
import { defineModel, nn, losses, optim, data, ops, type Tensor } from "gradient-lens";

const length = 30;
const hidden = 16;

/** The hidden state at the last time step: (batch, time, hidden) → (batch, hidden). */
class LastStep extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.reshape(ops.slice(x, 1, -1), [x.shape[0], x.shape[2]]);
  }
}

const common = {
  data: () => data.addingProblem({ n: 2000, length, seed: 1 }),
  loss: losses.mse,
  batchSize: 32,
  steps: 300,
  optimizer: (params: Tensor[]) => new optim.Adam(params, { lr: 0.02 }),
};

export default defineModel({
  ...common,
  name: "Vanilla RNN on the adding problem (30 steps)",
  model: () => new nn.Sequential(new nn.RNN(2, hidden), new LastStep(), new nn.Linear(hidden, 1)),
});

export const lstm = defineModel({
  ...common,
  name: "LSTM (forget bias 1) on the adding problem (30 steps)",
  model: () => new nn.Sequential(new nn.LSTM(2, hidden, { forgetBias: 1 }), new LastStep(), new nn.Linear(hidden, 1)),
});
