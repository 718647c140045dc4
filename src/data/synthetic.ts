/** Small synthetic datasets generated in code (no downloads), each seeded so a run is repeatable. */
import { Random, Tensor } from "../engine";
import type { Dataset } from "./dataset";

function matrix(rows: number, cols: number): Tensor {
  return new Tensor(new Float64Array(rows * cols), [rows, cols]);
}

function checkCount(name: string, n: number, min: number): void {
  if (!(Number.isInteger(n) && n >= min)) throw new Error(`${name}: n must be an integer ≥ ${min}, got ${n}`);
}

export interface SpiralsOptions {
  /** Total number of points, split as evenly as possible between the classes (default 300). */
  n?: number;
  /** Number of interleaved arms, one per class (default 3). */
  classes?: number;
  /** Std of the Gaussian noise on each point's angle (default 0.2, CS231n's). */
  noise?: number;
  seed?: number;
}

/**
 * Interleaved spiral arms in 2-D, the CS231n "neural networks case study" set: class k has radii
 * evenly spaced in [0, 1] and angles evenly spaced in [4k, 4(k+1)] plus noise. Not linearly separable.
 * Rows are grouped by class; `batches` shuffles.
 */
export function spirals(options: SpiralsOptions = {}): Dataset {
  const n = options.n ?? 300;
  const classes = options.classes ?? 3;
  const noise = options.noise ?? 0.2;
  checkCount("spirals", n, 1);
  checkCount("spirals: classes", classes, 1);
  const rng = new Random(options.seed ?? 0);
  const x = matrix(n, 2);
  const y = new Tensor(new Float64Array(n), [n]);
  let row = 0;
  for (let k = 0; k < classes; k++) {
    const count = Math.floor(n / classes) + (k < n % classes ? 1 : 0);
    for (let i = 0; i < count; i++, row++) {
      const frac = count > 1 ? i / (count - 1) : 0;
      const r = frac;
      const t = 4 * k + 4 * frac + noise * rng.normal();
      x.data[2 * row] = r * Math.sin(t);
      x.data[2 * row + 1] = r * Math.cos(t);
      y.data[row] = k;
    }
  }
  return { x, y, classes };
}

export interface MoonsOptions {
  /** Total number of points; the upper moon gets the extra one when odd (default 200). */
  n?: number;
  /** Std of Gaussian noise added to each coordinate (default 0, scikit-learn's). */
  noise?: number;
  seed?: number;
}

/**
 * Two interleaving half circles, scikit-learn's `make_moons` (without its shuffle): class 0 on
 * (cos θ, sin θ), class 1 on (1 − cos θ, 0.5 − sin θ), θ evenly spaced in [0, π].
 */
export function moons(options: MoonsOptions = {}): Dataset {
  const n = options.n ?? 200;
  const noise = options.noise ?? 0;
  checkCount("moons", n, 2);
  const rng = new Random(options.seed ?? 0);
  const nOut = Math.ceil(n / 2);
  const nIn = n - nOut;
  const x = matrix(n, 2);
  const y = new Tensor(new Float64Array(n), [n]);
  for (let i = 0; i < n; i++) {
    const inner = i >= nOut;
    const count = inner ? nIn : nOut;
    const k = inner ? i - nOut : i;
    const theta = count > 1 ? (Math.PI * k) / (count - 1) : 0;
    x.data[2 * i] = (inner ? 1 - Math.cos(theta) : Math.cos(theta)) + noise * rng.normal();
    x.data[2 * i + 1] = (inner ? 0.5 - Math.sin(theta) : Math.sin(theta)) + noise * rng.normal();
    y.data[i] = inner ? 1 : 0;
  }
  return { x, y, classes: 2 };
}

export interface XorOptions {
  /** Number of points, cycling through the four corners; omit it for exactly the four corners. */
  n?: number;
  /** Std of Gaussian noise on each coordinate (default 0 for the four corners, 0.1 with `n`). */
  noise?: number;
  seed?: number;
}

const XOR_CORNERS = [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]] as const;

/**
 * The XOR problem, the classic set a single linear layer cannot fit (Minsky & Papert 1969): inputs in
 * {0, 1}², label a XOR b, as classes 0/1.
 */
export function xor(options: XorOptions = {}): Dataset {
  const n = options.n ?? 4;
  checkCount("xor", n, 1);
  const noise = options.noise ?? (options.n === undefined ? 0 : 0.1);
  const rng = new Random(options.seed ?? 0);
  const x = matrix(n, 2);
  const y = new Tensor(new Float64Array(n), [n]);
  for (let i = 0; i < n; i++) {
    const [a, b, label] = XOR_CORNERS[i % 4];
    x.data[2 * i] = a + (noise ? noise * rng.normal() : 0);
    x.data[2 * i + 1] = b + (noise ? noise * rng.normal() : 0);
    y.data[i] = label;
  }
  return { x, y, classes: 2 };
}

export interface LinearRegressionOptions {
  /** Number of rows (default 100). */
  n?: number;
  /** Number of input features (default 1). */
  features?: number;
  /** Std of the Gaussian noise added to each target (default 0.1). */
  noise?: number;
  seed?: number;
}

/** A regression set plus the truth it was drawn from, so a test can check what a model recovered. */
export interface RegressionDataset extends Dataset {
  /** The true weights [features]. */
  weights: Float64Array;
  /** The true bias. */
  bias: number;
}

/** y = x·w + b + noise with x, w, b standard normal; targets are [n, 1]. */
export function linearRegression(options: LinearRegressionOptions = {}): RegressionDataset {
  const n = options.n ?? 100;
  const features = options.features ?? 1;
  const noise = options.noise ?? 0.1;
  checkCount("linearRegression", n, 1);
  checkCount("linearRegression: features", features, 1);
  const rng = new Random(options.seed ?? 0);
  const weights = new Float64Array(features);
  for (let j = 0; j < features; j++) weights[j] = rng.normal();
  const bias = rng.normal();
  const x = matrix(n, features);
  const y = matrix(n, 1);
  for (let i = 0; i < n; i++) {
    let s = bias;
    for (let j = 0; j < features; j++) {
      const v = rng.normal();
      x.data[i * features + j] = v;
      s += v * weights[j];
    }
    y.data[i] = s + noise * rng.normal();
  }
  return { x, y, weights, bias };
}
