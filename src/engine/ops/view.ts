/**
 * The transposed view of the last two axes: what `x.transpose()` returns. Its values are written only if
 * something reads them; `matmul` instead asks `transposedSource` for the untransposed storage and hands it
 * to gemm with a transpose flag, and writes its gradient straight into the source's, so
 * `a.transpose().matmul(b)` and `q.matmul(k.transpose())` copy nothing, forward or backward.
 */
import type { FloatArray } from "../kernels";
import { gradBuffer, makeResult, Tensor } from "../tensor";
import { alloc } from "./util";

/** A view's source tensor and the storage it had when the view was taken (ops never write into inputs). */
export interface TransposedSource {
  readonly source: Tensor;
  readonly data: FloatArray;
}

const sources = new WeakMap<Tensor, TransposedSource>();

/** Whether `axes` (normalized) swaps the last two axes and keeps the others in place. */
export function swapsLastTwo(axes: readonly number[]): boolean {
  const n = axes.length;
  if (n < 2 || axes[n - 2] !== n - 1 || axes[n - 1] !== n - 2) return false;
  for (let i = 0; i < n - 2; i++) if (axes[i] !== i) return false;
  return true;
}

/**
 * out[b, j, i] = x[b, i, j] for `batch` matrices of rows×cols, in 32×32 blocks so both sides stay in
 * cache. With `accumulate`, adds instead of writing (the backward of a transpose is a transpose).
 */
export function transposeInto(x: FloatArray, out: FloatArray, batch: number, rows: number, cols: number, accumulate: boolean): void {
  const B = 32;
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += B) {
      const i1 = Math.min(rows, i0 + B);
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(cols, j0 + B);
        for (let i = i0; i < i1; i++) {
          const src = base + i * cols;
          if (accumulate) for (let j = j0; j < j1; j++) out[base + j * rows + i] += x[src + j];
          else for (let j = j0; j < j1; j++) out[base + j * rows + i] = x[src + j];
        }
      }
    }
  }
}

/** x [..., r, c] → [..., c, r] as a deferred view, recorded on the tape as `op` (the permute it is). */
export function transposedView(op: string, x: Tensor): Tensor {
  const nd = x.ndim;
  const rows = x.shape[nd - 2], cols = x.shape[nd - 1];
  const batch = rows * cols === 0 ? 0 : x.size / (rows * cols);
  const xd = x.data;
  const shape = [...x.shape.slice(0, -2), cols, rows];
  const view = makeResult(op, alloc(x.dtype, x.size), shape, [x], (g) => {
    transposeInto(g, gradBuffer(x), batch, cols, rows, true);
  }, (out) => transposeInto(xd, out, batch, rows, cols, false));
  sources.set(view, { source: x, data: xd });
  return view;
}

/** The untransposed source of a transposed view, or null for any other tensor. */
export function transposedSource(t: Tensor): TransposedSource | null {
  return sources.get(t) ?? null;
}

/**
 * Whether a consumer of view `t` may write the view's gradient straight into its source's (transposed)
 * instead of into `t`'s own buffer: only when `t` is on the tape and nothing watches its own gradient
 * (hooks, taps, retainGrad), since `t`'s gradient then never exists.
 */
export function gradientBypassesView(t: Tensor): boolean {
  const node = t._node;
  const source = sources.get(t)?.source;
  return !!node?.backward && node.inputs[0] === source && source.requiresGrad && !t._hooks?.length && !t._retainGrad;
}
