/**
 * Lecture: preparing the data. Four variants of one classifier:
 * - `unshuffled`: the spirals set is stored class by class; without shuffling each minibatch holds one
 *   class and the loss swings from batch to batch (`loss-oscillating`);
 * - `default` (shuffled): the fix;
 * - `unscaled` vs `standardized`: features on scales 1000× apart make the error surface a long thin
 *   valley (update ratios differ wildly between weights); standardizing with statistics from the
 *   training split only (never the whole set: that leaks the test set) fixes it;
 * - `augmented`: Gaussian input noise on each training batch (off during gradient checks).
 */
import { defineModel, nn, losses, optim, data, Tensor, type ModelSpec } from "gradient-lens";

/** Spirals with the two features on very different scales. */
function unscaledSpirals(): data.Dataset {
  const ds = data.spirals({ n: 300, classes: 3, seed: 8 });
  const x = Float64Array.from(ds.x.data, (v, i) => (i % 2 === 0 ? v * 1000 : v * 0.5));
  return { ...ds, x: new Tensor(x, [...ds.x.shape]) };
}

function split(ds: data.Dataset): data.SplitDataset {
  const { train, validation } = data.trainTestSplit(ds, 0.8, 8);
  return { train, validation };
}

function standardized(): data.SplitDataset {
  const { train, validation } = data.trainTestSplit(unscaledSpirals(), 0.8, 8);
  const scaler = data.standardize(train); // fitted on the training split only
  return { train: scaler.transform(train), validation: scaler.transform(validation) };
}

const base = {
  model: () => new nn.Sequential(new nn.Linear(2, 32), new nn.ReLU(), new nn.Linear(32, 3)),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params: Tensor[]) => new optim.SGD(params, { lr: 0.05, momentum: 0.9 }),
  batchSize: 30,
  steps: 200,
  seed: 8,
} satisfies Partial<ModelSpec>;

export default defineModel({ ...base, name: "Shuffled minibatches", data: () => split(data.spirals({ n: 300, classes: 3, seed: 8 })) });
export const unshuffled = defineModel({ ...base, name: "Unshuffled (class-sorted) minibatches", shuffle: false, data: () => data.spirals({ n: 300, classes: 3, seed: 8 }) });
export const unscaled = defineModel({ ...base, name: "Unscaled features", data: () => split(unscaledSpirals()), optimizer: (params) => new optim.SGD(params, { lr: 1e-6, momentum: 0.9 }) });
export const standardizedInputs = defineModel({ ...base, name: "Standardized features (train statistics)", data: standardized });
export const augmented = defineModel({ ...base, name: "Gaussian-noise augmentation", data: () => split(data.spirals({ n: 300, classes: 3, seed: 8 })), augment: data.gaussianNoise(0.05, { seed: 8 }) });
