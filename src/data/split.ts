/** Random train/test splits. */
import { Random } from "../engine";
import { datasetSize, take, type Dataset, type SplitDataset } from "./dataset";

/** A split whose `validation` is the test set, so it can be returned from a ModelSpec's `data()`. */
export interface TrainTestSplit extends SplitDataset {
  train: Dataset;
  test: Dataset;
  validation: Dataset;
}

/**
 * Shuffles the rows with `seed` and puts round(fraction·N) of them in `train`, the rest in `test`
 * (`fraction` is the training share, e.g. 0.8). Both sides get at least one row.
 */
export function trainTestSplit(ds: Dataset, fraction: number, seed = 0): TrainTestSplit {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`trainTestSplit: fraction (the training share) must be in (0, 1), got ${fraction}`);
  const n = datasetSize(ds);
  if (n < 2) throw new Error(`trainTestSplit: need at least 2 rows, got ${n}`);
  const nTrain = Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
  const order = new Random(seed).permutation(n);
  const train = take(ds, order.subarray(0, nTrain));
  const test = take(ds, order.subarray(nTrain));
  return { train, test, validation: test };
}
