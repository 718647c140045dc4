/**
 * Augmentations as batch transforms `(batch, step) => batch` (a ModelSpec's `augment`). Each derives its
 * randomness from (seed, step) alone, so step k's augmentation is the same whatever ran before it: a run
 * resumed or replayed at step k sees the same batch. Only inputs change; targets pass through.
 * Images (randomCrop, horizontalFlip) are NCHW batches; gaussianNoise and jitter add noise to any shape.
 */
import { Random, Tensor } from "../engine";
import type { Dataset } from "./dataset";

/** A training-batch transform, a ModelSpec's `augment`: it must not modify its input batch. */
export type BatchTransform = (batch: Dataset, step: number) => Dataset;

export interface AugmentOptions {
  /** Seed of the transform's randomness (default 0); step k of seed s always draws the same values. */
  seed?: number;
}

function stepRandom(seed: number, step: number): Random {
  return new Random((Math.imul(seed, 0x85ebca6b) + Math.imul(step + 1, 0x9e3779b9)) >>> 0);
}

function mapInputs(batch: Dataset, fill: (out: Float64Array | Float32Array, x: Float64Array | Float32Array) => void): Dataset {
  const x = batch.x;
  const out = x.dtype === "float32" ? new Float32Array(x.size) : new Float64Array(x.size);
  fill(out, x.data);
  return { ...batch, x: new Tensor(out, x.shape) };
}

/** Adds N(0, std²) noise to every input value. */
export function gaussianNoise(std: number, options: AugmentOptions = {}): BatchTransform {
  if (!(std >= 0)) throw new Error(`gaussianNoise: std must be ≥ 0, got ${std}`);
  const seed = options.seed ?? 0;
  return (batch, step) => {
    const rng = stepRandom(seed, step);
    return mapInputs(batch, (out, x) => {
      for (let i = 0; i < x.length; i++) out[i] = x[i] + rng.normal(0, std);
    });
  };
}

/**
 * Bounded noise: adds U(−scale, scale) to every input value. Unlike Gaussian noise it never moves a
 * point further than `scale`, which keeps labels valid near a known class margin.
 */
export function jitter(scale: number, options: AugmentOptions = {}): BatchTransform {
  if (!(scale >= 0)) throw new Error(`jitter: scale must be ≥ 0, got ${scale}`);
  const seed = options.seed ?? 0;
  return (batch, step) => {
    const rng = stepRandom(seed, step);
    return mapInputs(batch, (out, x) => {
      for (let i = 0; i < x.length; i++) out[i] = x[i] + rng.range(-scale, scale);
    });
  };
}

/**
 * Negates whole feature columns at random, per example, each with probability `p` (default 0.5): a flip,
 * for data whose label is symmetric under x_j → −x_j. `columns` picks which features may flip (default all).
 */
export function randomFlip(options: AugmentOptions & { p?: number; columns?: readonly number[] } = {}): BatchTransform {
  const seed = options.seed ?? 0;
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new Error(`randomFlip: p must be in [0, 1], got ${p}`);
  return (batch, step) => {
    const rng = stepRandom(seed, step);
    const rows = batch.x.shape[0];
    const width = rows ? batch.x.size / rows : 0;
    const cols = options.columns ?? Array.from({ length: width }, (_, j) => j);
    for (const c of cols) if (!(Number.isInteger(c) && c >= 0 && c < width)) throw new Error(`randomFlip: column ${c} is out of range for ${width} features`);
    return mapInputs(batch, (out, x) => {
      out.set(x);
      for (let r = 0; r < rows; r++) for (const c of cols) if (rng.uniform() < p) out[r * width + c] = -out[r * width + c];
    });
  };
}

/** The [N, C, H, W] of an image batch, or an error naming the transform. */
function imageShape(name: string, x: Tensor): [number, number, number, number] {
  if (x.ndim !== 4) throw new Error(`${name}: expects an NCHW image batch [N, C, H, W], got shape [${x.shape.join(", ")}]`);
  return [x.shape[0], x.shape[1], x.shape[2], x.shape[3]];
}

/**
 * Random crop of NCHW images (the CIFAR recipe of He et al. 2016): each image is padded with `padding`
 * zeros on every side and an H×W window is cut at a random offset, one offset per image, the same for all
 * its channels. The output keeps the input's shape; an offset of `padding` in both axes is the identity.
 */
export function randomCrop(padding: number, options: AugmentOptions = {}): BatchTransform {
  if (!(Number.isInteger(padding) && padding >= 0)) throw new Error(`randomCrop: padding must be an integer ≥ 0, got ${padding}`);
  const seed = options.seed ?? 0;
  return (batch, step) => {
    const [n, c, h, w] = imageShape("randomCrop", batch.x);
    const rng = stepRandom(seed, step);
    return mapInputs(batch, (out, x) => {
      for (let i = 0; i < n; i++) {
        // Output pixel (r, q) reads padded pixel (r + dy, q + dx), i.e. input (r + dy − padding, q + dx − padding).
        const dy = rng.int(2 * padding + 1) - padding, dx = rng.int(2 * padding + 1) - padding;
        for (let ch = 0; ch < c; ch++) {
          const base = (i * c + ch) * h * w;
          for (let r = 0; r < h; r++) {
            const sr = r + dy;
            for (let q = 0; q < w; q++) {
              const sq = q + dx;
              out[base + r * w + q] = sr >= 0 && sr < h && sq >= 0 && sq < w ? x[base + sr * w + sq] : 0;
            }
          }
        }
      }
    });
  };
}

/** Mirrors each NCHW image left to right with probability `p` (default 0.5), all its channels together. */
export function horizontalFlip(options: AugmentOptions & { p?: number } = {}): BatchTransform {
  const seed = options.seed ?? 0;
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new Error(`horizontalFlip: p must be in [0, 1], got ${p}`);
  return (batch, step) => {
    const [n, c, h, w] = imageShape("horizontalFlip", batch.x);
    const rng = stepRandom(seed, step);
    return mapInputs(batch, (out, x) => {
      out.set(x);
      for (let i = 0; i < n; i++) {
        if (!(rng.uniform() < p)) continue;
        for (let row = (i * c) * h; row < (i * c + c) * h; row++) {
          for (let q = 0; q < w; q++) out[row * w + q] = x[row * w + (w - 1 - q)];
        }
      }
    });
  };
}

/** Applies transforms left to right. */
export function composeTransforms(...transforms: BatchTransform[]): BatchTransform {
  return (batch, step) => transforms.reduce((b, t) => t(b, step), batch);
}
