/**
 * Lecture: exploding gradients through time (Pascanu et al. 2013). A ReLU RNN on the adding problem whose
 * recurrent weights start 3.5× larger than PyTorch's default: ∂L/∂h_t is multiplied by W_hhᵀ (masked by
 * the ReLU) at each of the 20 steps back, so the gradient is large, and a plain SGD step along it makes
 * W_hh larger still — the next gradient is larger again. `default` feeds that loop: the gradient norm
 * grows ~1e87× in 5 steps and the forward pass overflows at step 6 (`exploding-gradient`, then
 * `nan-or-inf` at the RNN's matmul). `clipped` is the same model, init and optimizer with
 * `clipGradNorm: 1` (the paper's fix): every step moves the weights at most lr·1 along the gradient's
 * direction, the loop never starts, and the loss falls to the adding problem's 1/6 baseline.
 */
import { defineModel, nn, losses, optim, data, ops, type Tensor } from "gradient-lens";

const length = 20;
const hidden = 16;
const recurrentScale = 3.5;

/** The hidden state at the last time step: (batch, time, hidden) → (batch, hidden). */
class LastStep extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.reshape(ops.slice(x, 1, -1), [x.shape[0], x.shape[2]]);
  }
}

/** A ReLU RNN whose recurrent weights W_hh are `recurrentScale` × PyTorch's default U(±1/√hidden). */
function largeInitRNN(): nn.RNN {
  const rnn = new nn.RNN(2, hidden, { nonlinearity: "relu" });
  for (const [name, p] of rnn.namedParameters()) if (name.startsWith("weightHh")) for (let i = 0; i < p.size; i++) p.data[i] *= recurrentScale;
  return rnn;
}

const common = {
  model: () => new nn.Sequential(largeInitRNN(), new LastStep(), new nn.Linear(hidden, 1)),
  data: () => data.addingProblem({ n: 1000, length, seed: 1 }),
  loss: losses.mse,
  optimizer: (params: Tensor[]) => new optim.SGD(params, { lr: 0.03 }),
  batchSize: 32,
  steps: 150,
};

export default defineModel({ ...common, name: "ReLU RNN, large recurrent init, no clipping (exploding gradients)" });

export const clipped = defineModel({ ...common, name: "The same RNN with clipGradNorm: 1", clipGradNorm: 1 });
