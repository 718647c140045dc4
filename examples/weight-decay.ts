/**
 * Lecture: weight decay. A net much larger than its 60-point training set overfits; an L2 penalty
 * λ/2·Σw² (gradient λw) pulls weights toward zero. Three ways: `default` none; `l2` the penalty as a
 * loss term (`regularizer`); `sgdDecay` the same decay inside SGD (g ← g + λw, identical for SGD);
 * `adamw` decoupled decay (Loshchilov & Hutter 2019), which differs from L2 for adaptive optimizers.
 * Compare weight norms and the validation loss in the reports.
 */
import { defineModel, nn, losses, optim, data, type Tensor, type ModelSpec } from "gradient-lens";

const lambda = 1e-2;

function splitSpirals() {
  const { train, validation } = data.trainTestSplit(data.spirals({ n: 120, classes: 3, seed: 9 }), 0.5, 9);
  return { train, validation };
}

const base = {
  model: () => new nn.Sequential(new nn.Linear(2, 64), new nn.ReLU(), new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 3)),
  data: splitSpirals,
  loss: losses.softmaxCrossEntropy,
  optimizer: (params: Tensor[]) => new optim.SGD(params, { lr: 0.1, momentum: 0.9 }),
  steps: 300,
  seed: 9,
} satisfies Partial<ModelSpec>;

export default defineModel({ ...base, name: "No weight decay (overfits)" });
export const l2 = defineModel({ ...base, name: "L2 penalty as a loss term", regularizer: (m) => losses.l2Penalty(m.parameters(), lambda) });
export const sgdDecay = defineModel({ ...base, name: "SGD weightDecay", optimizer: (params) => new optim.SGD(params, { lr: 0.1, momentum: 0.9, weightDecay: lambda }) });
export const adamw = defineModel({ ...base, name: "AdamW (decoupled decay)", optimizer: (params) => new optim.AdamW(params, { lr: 0.01, weightDecay: lambda }) });
