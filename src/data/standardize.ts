/** Feature standardization whose statistics come from the training split only. */
import { Tensor } from "../engine";
import type { Dataset } from "./dataset";

export interface Standardizer {
  /** Per-feature mean of the training inputs [features]. */
  readonly mean: Float64Array;
  /** Per-feature population std of the training inputs [features]; 1 where a feature is constant. */
  readonly std: Float64Array;
  /** (x − mean)/std with the training statistics, for any split; targets pass through. */
  transform(ds: Dataset): Dataset;
}

/**
 * Fits mean and std on `train` and returns the transform to apply to every split. Fitting on the whole
 * set would leak test statistics into training. As scikit-learn's StandardScaler: population std (ddof 0),
 * and a constant feature is scaled by 1 instead of divided by zero.
 */
export function standardize(train: Dataset): Standardizer {
  const x = train.x;
  const rows = x.shape[0];
  if (!rows) throw new Error("standardize: the training set is empty");
  const width = x.size / rows;
  const mean = new Float64Array(width);
  const std = new Float64Array(width);
  const d = x.data;
  for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) mean[j] += d[r * width + j];
  for (let j = 0; j < width; j++) mean[j] /= rows;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) {
      const c = d[r * width + j] - mean[j];
      std[j] += c * c;
    }
  }
  for (let j = 0; j < width; j++) {
    const s = Math.sqrt(std[j] / rows);
    std[j] = s > 0 ? s : 1;
  }
  return {
    mean,
    std,
    transform(ds) {
      const xs = ds.x;
      const n = xs.shape[0];
      if (n && xs.size / n !== width) throw new Error(`standardize: fitted on ${width} features, got ${xs.size / n}`);
      const out = xs.dtype === "float32" ? new Float32Array(xs.size) : new Float64Array(xs.size);
      const src = xs.data;
      for (let r = 0; r < n; r++) for (let j = 0; j < width; j++) out[r * width + j] = (src[r * width + j] - mean[j]) / std[j];
      return { ...ds, x: new Tensor(out, xs.shape) };
    },
  };
}
