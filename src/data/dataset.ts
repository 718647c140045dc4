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
  rng?: Random;
}

/** One epoch of minibatches, shuffled with `rng` when asked. The last partial batch is kept unless `dropLast`. */
export function* batches(ds: Dataset, options: BatchOptions): Generator<Dataset> {
  const n = datasetSize(ds);
  const size = Math.max(1, Math.min(options.batchSize, n));
  const order = options.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : (options.rng ?? new Random(0)).permutation(n);
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    if (end - start < size && options.dropLast) break;
    yield take(ds, order.subarray(start, end));
  }
}
