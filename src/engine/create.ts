/** Ways to make tensors. */
import type { FloatArray } from "./kernels";
import { globalRandom, type Random } from "./random";
import { formatShape, sizeOf, type Shape } from "./shape";
import { Tensor, type DType } from "./tensor";
import { alloc } from "./ops/util";

export interface TensorOptions {
  requiresGrad?: boolean;
  /** float64 by default; float32 halves memory and speeds up large models. */
  dtype?: DType;
}

type Nested = number | readonly Nested[];

function inferShape(values: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = (v as readonly Nested[])[0];
  }
  return shape;
}

/**
 * A tensor from a number, nested arrays, or a flat typed array with a shape:
 * `tensor([[1, 2], [3, 4]], { requiresGrad: true })`.
 */
export function tensor(values: Nested | FloatArray | readonly number[], options: TensorOptions & { shape?: Shape } = {}): Tensor {
  const dtype = options.dtype ?? (values instanceof Float32Array ? "float32" : "float64");
  if (values instanceof Float64Array || values instanceof Float32Array) {
    const shape = options.shape ?? [values.length];
    const data = alloc(dtype, values.length);
    data.set(values);
    return new Tensor(data, shape, options.requiresGrad ?? false);
  }
  const shape = options.shape ?? inferShape(values as Nested);
  const data = alloc(dtype, sizeOf(shape));
  let p = 0;
  const fill = (v: Nested, depth: number) => {
    if (Array.isArray(v)) {
      if (depth >= shape.length || v.length !== shape[depth]) {
        if (!options.shape) throw new Error(`tensor: ragged nested array (expected length ${shape[depth]} at depth ${depth}, got ${v.length})`);
      }
      for (const x of v as readonly Nested[]) fill(x, depth + 1);
    } else {
      if (typeof v !== "number") throw new Error(`tensor: expected numbers, got ${typeof v}`);
      data[p++] = v;
    }
  };
  fill(values as Nested, 0);
  if (p !== data.length) throw new Error(`tensor: ${p} values do not fill shape ${formatShape(shape)}`);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  const data = alloc(options.dtype ?? "float64", sizeOf(shape)).fill(value);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

export const zeros = (shape: Shape, options: TensorOptions = {}) => full(shape, 0, options);
export const ones = (shape: Shape, options: TensorOptions = {}) => full(shape, 1, options);

/** Standard normal samples scaled by `std` (seeded: pass a generator or use the global one). */
export function randn(shape: Shape, options: TensorOptions & { std?: number; mean?: number; rng?: Random } = {}): Tensor {
  const rng = options.rng ?? globalRandom;
  const data = alloc(options.dtype ?? "float64", sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(options.mean ?? 0, options.std ?? 1);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

/** Uniform samples in [low, high). */
export function rand(shape: Shape, options: TensorOptions & { low?: number; high?: number; rng?: Random } = {}): Tensor {
  const rng = options.rng ?? globalRandom;
  const data = alloc(options.dtype ?? "float64", sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.range(options.low ?? 0, options.high ?? 1);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

/** 0, 1, …, n−1. */
export function arange(n: number, options: TensorOptions = {}): Tensor {
  const data = alloc(options.dtype ?? "float64", n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new Tensor(data, [n], options.requiresGrad ?? false);
}
