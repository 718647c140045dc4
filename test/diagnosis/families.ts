/**
 * Diagnosis cases for the model families (recurrent, convolutional, transformer), ground truth by
 * construction as in corpus.ts: a recurrence whose weights start 3.5× PyTorch's scale under plain SGD must
 * explode, the same model with gradient clipping must not; twelve sigmoid convolutions must vanish, the
 * same depth with ReLU, BatchNorm2d and residual blocks must not; a post-LN transformer run at a learning
 * rate it cannot follow from step 0 must show it in the loss, a pre-LN one at a moderate rate must be clean.
 * Sizes are the smallest that keep each case's symptom (the examples of the same names show them at length).
 */
import { arange, data, defineModel, losses, nn, ops, optim, type ModelSpec, type Tensor } from "../../src";
import type { DiagnosisCase } from "./corpus";

const ALARMS = ["gradcheck-failed", "vanishing-gradient", "exploding-gradient", "dead-relu", "nan-or-inf", "saturated-activation"];

class LastStep extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.reshape(ops.slice(x, 1, -1), [x.shape[0], x.shape[2]]);
  }
}

function reluRNN(scale: number, extra: Partial<ModelSpec>): () => ModelSpec {
  return () => defineModel({
    name: `relu rnn ×${scale}`,
    model: () => {
      const rnn = new nn.RNN(2, 16, { nonlinearity: "relu" });
      for (const [name, p] of rnn.namedParameters()) if (name.startsWith("weightHh")) for (let i = 0; i < p.size; i++) p.data[i] *= scale;
      return new nn.Sequential(rnn, new LastStep(), new nn.Linear(16, 1));
    },
    data: () => data.addingProblem({ n: 1000, length: 20, seed: 1 }),
    loss: losses.mse,
    optimizer: (p) => new optim.SGD(p, { lr: 0.03 }),
    batchSize: 32, steps: 30, seed: 0, ...extra,
  });
}

const digits = () => data.digits({ n: 128, nTest: 32, seed: 1 });
const conv = (i: number, o: number) => new nn.Conv2d(i, o, 3, { padding: 1 });

function cnn(name: string, model: () => nn.Module): () => ModelSpec {
  return () => defineModel({
    name, model, data: digits, loss: losses.softmaxCrossEntropy,
    optimizer: (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }), batchSize: 16, steps: 12, seed: 0,
  });
}

const plainSigmoidCNN = () => new nn.Sequential(
  ...Array.from({ length: 12 }, (_, i) => [conv(i ? 4 : 1, 4), new nn.Sigmoid()]).flat(), new nn.Flatten(), new nn.Linear(256, 10),
);

const residualCNN = () => new nn.Sequential(
  conv(1, 4), new nn.BatchNorm2d(4), new nn.ReLU(),
  ...Array.from({ length: 5 }, () => new nn.Sequential(new nn.Residual(new nn.Sequential(conv(4, 4), new nn.ReLU(), conv(4, 4), new nn.BatchNorm2d(4))), new nn.ReLU())),
  conv(4, 4), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Linear(256, 10),
);

class TokensAndPositions extends nn.Module {
  readonly tokens = new nn.Embedding(5, 16, { paddingIdx: 0 });
  readonly positions = new nn.Embedding(8, 16);
  readonly ids = arange(8).reshape([1, 8]);
  forward(x: Tensor): Tensor {
    return ops.add(this.tokens.call(x), this.positions.call(this.ids));
  }
}
class MeanOverTime extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.mean(x, 1);
  }
}

function transformer(name: string, normFirst: boolean, lr: number): () => ModelSpec {
  return () => defineModel({
    name,
    model: () => new nn.Sequential(
      new TokensAndPositions(),
      ...Array.from({ length: 2 }, () => new nn.TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, normFirst })),
      new MeanOverTime(), new nn.Linear(16, 2),
    ),
    data: () => data.brackets({ n: 1000, length: 8, seed: 1 }),
    loss: losses.softmaxCrossEntropy,
    optimizer: (p) => new optim.Adam(p, { lr }),
    batchSize: 16, steps: 100, seed: 0,
  });
}

export const FAMILY_CASES: DiagnosisCase[] = [
  { name: "healthy: relu rnn, large recurrent init, clipGradNorm 1", spec: reluRNN(3.5, { clipGradNorm: 1 }), fire: [], silent: ALARMS, gradcheck: true },
  // No gradient check on these two: it would take most of the benchmark's time (the examples' templates
  // run it: test/templates checks the same layer types); every other alarm is watched.
  { name: "healthy: 12-conv relu + batchnorm2d + residual cnn", spec: cnn("bn residual cnn", residualCNN), fire: [], silent: ALARMS },
  { name: "healthy: pre-LN transformer, adam 0.01", spec: transformer("pre-LN transformer", true, 0.01), fire: [], silent: ALARMS },
  { name: "exploding: relu rnn, large recurrent init, no clipping", spec: reluRNN(3.5, {}), fire: ["exploding-gradient", "nan-or-inf"], silent: ["vanishing-gradient", "gradcheck-failed"] },
  { name: "vanishing: 12 sigmoid convolutions, no normalization", spec: cnn("plain sigmoid cnn", plainSigmoidCNN), fire: ["vanishing-gradient"], silent: ["exploding-gradient", "gradcheck-failed"] },
  { name: "diverging: post-LN transformer, adam 0.03 without warm-up", spec: transformer("post-LN transformer", false, 0.03), fire: ["loss-not-decreasing", "loss-oscillating"], silent: ["gradcheck-failed"] },
];
