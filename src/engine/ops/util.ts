import type { FloatArray } from "../kernels";
import { Tensor, type DType } from "../tensor";

export type TensorLike = Tensor | number;

export function alloc(dtype: DType, n: number): FloatArray {
  return dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
}

/** float64 wins over float32 (as in PyTorch's type promotion). */
export function resultType(...ts: Tensor[]): DType {
  return ts.some((t) => t.dtype === "float64") ? "float64" : "float32";
}

/** Turns a plain number into a constant scalar tensor of the given dtype. */
export function asTensor(x: TensorLike, dtype: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== "number") throw new Error(`expected a Tensor or a number, got ${typeof x}`);
  const d = alloc(dtype, 1);
  d[0] = x;
  return new Tensor(d, []);
}

/** Resolves two operands where either may be a number: numbers take the tensor's dtype. */
export function operands(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const dtype: DType = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : "float64";
  return [asTensor(a, dtype), asTensor(b, dtype)];
}
