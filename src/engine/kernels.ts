/**
 * The numeric kernels: the only place with hot loops over whole tensors. Ops call these through
 * `kernels` so a faster backend (WebAssembly SIMD) can be swapped in with `setKernels` without touching
 * a single op. Arrays are flat, row-major, and never allocated inside a loop.
 */

export type FloatArray = Float64Array | Float32Array;

export interface Kernels {
  readonly name: string;
  /**
   * C (+)= op(A) · op(B) where op(A) is m×k and op(B) is k×n. With `transA`, A is stored k×m;
   * with `transB`, B is stored n×k. Offsets let batched matmul address one matrix of a batch.
   */
  gemm(
    a: FloatArray, aOff: number, transA: boolean,
    b: FloatArray, bOff: number, transB: boolean,
    c: FloatArray, cOff: number,
    m: number, k: number, n: number, accumulate: boolean,
  ): void;
  /** out[i] = a[i] + b[i] (equal sizes). */
  add(a: FloatArray, b: FloatArray, out: FloatArray): void;
  /** out[i] = a[i] * b[i] (equal sizes). */
  mul(a: FloatArray, b: FloatArray, out: FloatArray): void;
  /** acc[i] += src[i]. */
  accumulate(acc: FloatArray, src: FloatArray): void;
  /** acc[i] += alpha * src[i]. */
  axpy(alpha: number, src: FloatArray, acc: FloatArray): void;
  /** Row-broadcast add: out[r, c] = a[r, c] + row[c], for a of `rows`×`cols`. */
  addRow(a: FloatArray, row: FloatArray, out: FloatArray, rows: number, cols: number): void;
  /** acc[c] += sum over rows of g[r, c]: the gradient of a row-broadcast add. */
  sumRowsInto(g: FloatArray, acc: FloatArray, rows: number, cols: number): void;
}

function gemmJs(
  a: FloatArray, aOff: number, transA: boolean,
  b: FloatArray, bOff: number, transB: boolean,
  c: FloatArray, cOff: number,
  m: number, k: number, n: number, accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, cOff, cOff + m * n);
  if (!transB) {
    // i-p-j order: the inner loop walks rows of B and C contiguously.
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        if (av === 0) continue;
        const bRow = bOff + p * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
    return;
  }
  // B stored n×k: C[i,j] = dot(A row i, B row j), both contiguous when A is not transposed.
  for (let i = 0; i < m; i++) {
    const cRow = cOff + i * n;
    for (let j = 0; j < n; j++) {
      const bRow = bOff + j * k;
      let s = 0;
      if (!transA) {
        const aRow = aOff + i * k;
        for (let p = 0; p < k; p++) s += a[aRow + p] * b[bRow + p];
      } else {
        for (let p = 0; p < k; p++) s += a[aOff + p * m + i] * b[bRow + p];
      }
      c[cRow + j] += s;
    }
  }
}

/** Plain JavaScript kernels; V8 compiles these loops to tight machine code. */
export const jsKernels: Kernels = {
  name: "js",
  gemm: gemmJs,
  add(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
  },
  mul(a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i];
  },
  accumulate(acc, src) {
    for (let i = 0; i < acc.length; i++) acc[i] += src[i];
  },
  axpy(alpha, src, acc) {
    for (let i = 0; i < acc.length; i++) acc[i] += alpha * src[i];
  },
  addRow(a, row, out, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) out[o + c] = a[o + c] + row[c];
    }
  },
  sumRowsInto(g, acc, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) acc[c] += g[o + c];
    }
  },
};

/** The kernels every op uses. */
export let kernels: Kernels = jsKernels;

/** Replaces the numeric kernels (e.g. with a WebAssembly SIMD build). */
export function setKernels(k: Kernels): void {
  kernels = k;
}
