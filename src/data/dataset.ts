/** Datasets as two tensors, and seeded minibatch iteration. */
import { Random, Tensor, ops } from "../engine";

/** Inputs `x` [N, ...features] and targets `y` [N] (class labels) or [N, outputs] (regression). */
export interface Dataset {
  x: Tensor;
  y: Tensor;
  /** Number of classes for a classification set (labels 0..classes−1). */
  classes?: number;
}

/** A dataset with a held-out split. */
export interface SplitDataset {
  train: Dataset;
  validation?: Dataset;
}

export function datasetSize(ds: Dataset): number {
  return ds.x.shape[0];
}

/** The rows `indices` of a dataset (a copy: no graph). */
export function take(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const idx = Array.from(indices);
  return { x: ops.gather(ds.x.detach(), idx, 0), y: ops.gather(ds.y.detach(), idx, 0), classes: ds.classes };
}

export interface BatchOptions {
  batchSize: number;
  /** Reshuffle at the start of each epoch (default true). */
  shuffle?: boolean;
  /** Keep the last smaller batch (default true) or drop it. */
  dropLast?: boolean;
  /** Generator for the shuffle; consumed, so reusing it gives a new order each epoch. Overrides `seed`/`epoch`. */
  rng?: Random;
  /** Without `rng`: the order is a function of (seed, epoch) alone (defaults 0, 0), so epoch k is reproducible on its own. */
  seed?: number;
  epoch?: number;
}

/** The generator for one epoch's shuffle; epoch 0 of seed s is `new Random(s)`. */
export function epochRandom(seed: number, epoch: number): Random {
  // Golden-ratio stride: consecutive epochs land on well-separated seeds of the splitmix expansion.
  return new Random((seed + Math.imul(epoch, 0x9e3779b9)) >>> 0);
}

/**
 * One epoch of minibatches, each row exactly once, shuffled when asked (by `rng`, or by `seed` and
 * `epoch`). The last partial batch is kept unless `dropLast`.
 */
export function* batches(ds: Dataset, options: BatchOptions): Generator<Dataset> {
  const n = datasetSize(ds);
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
    throw new Error(`batches: batchSize must be a positive integer, got ${options.batchSize}`);
  }
  // With dropLast, a batch size above the set's size yields no batch at all (as PyTorch's DataLoader).
  if (options.dropLast && options.batchSize > n) return;
  const size = Math.min(options.batchSize, n);
  const order = options.shuffle === false
    ? Int32Array.from({ length: n }, (_, i) => i)
    : (options.rng ?? epochRandom(options.seed ?? 0, options.epoch ?? 0)).permutation(n);
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    if (end - start < size && options.dropLast) break;
    yield take(ds, order.subarray(start, end));
  }
}
