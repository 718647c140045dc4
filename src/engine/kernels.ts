/**
 * The numeric kernels: the only place with hot loops over whole tensors. Ops call these through
 * `kernels` so a faster backend (WebAssembly SIMD) can be swapped in with `setKernels` without touching
 * a single op. Arrays are flat, row-major, and never allocated inside a loop.
 */

import { loadSimdTiles } from "./simd-gemm";

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

// ---- gemm ------------------------------------------------------------------------------------------
//
// The GotoBLAS / BLIS structure, in scalar JavaScript: op(A) and op(B) are copied ("packed") block by
// block into Float64Array scratch panels laid out in exactly the order a 4×4 micro-kernel reads them, so
// all four transpose variants share one inner loop that walks memory contiguously. The micro-kernel keeps
// a 4×4 tile of C in 16 locals: per step of k it loads 4 values of A and 4 of B for 16 multiply-adds,
// where a naive loop loads and stores C on every multiply-add. Blocking k by KC keeps one B micro-panel
// (KC·4 doubles = 8 KB) in L1 and a block of A panels (MC·KC doubles = 256 KB) in L2.
// Accumulation is in float64 for both dtypes; a float32 C is rounded once per KC block.
// Every product is formed, so 0·Inf and 0·NaN give NaN as IEEE (and PyTorch) say; there is no
// "skip zeros" shortcut that would hide a NaN from the debugger.

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
/** At or below this many multiply-adds, packing costs more than it saves: a plain loop is used. */
const SMALL = 256;

const packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(NR * KC * 64);

/**
 * Copies op(A)[i0 : i0+mc, p0 : p0+kc] into `dst` from index `dOff` as ⌈mc/MR⌉ panels of kc×MR (row block r, step p at
 * r·kc + p·MR), padding missing rows with zeros. op(A)[i, p] is a[i·k + p], or a[p·m + i] when transposed.
 */
function packA(
  a: FloatArray, aOff: number, transA: boolean, m: number, k: number,
  i0: number, mc: number, p0: number, kc: number, dst: FloatArray, dOff: number,
): void {
  for (let ib = 0; ib < mc; ib += MR) {
    const base = dOff + ib * kc;
    const rows = Math.min(MR, mc - ib);
    if (!transA) {
      for (let r = 0; r < MR; r++) {
        if (r < rows) {
          const src = aOff + (i0 + ib + r) * k + p0;
          for (let p = 0; p < kc; p++) dst[base + p * MR + r] = a[src + p];
        } else {
          for (let p = 0; p < kc; p++) dst[base + p * MR + r] = 0;
        }
      }
    } else if (rows === MR) {
      for (let p = 0; p < kc; p++) {
        const src = aOff + (p0 + p) * m + i0 + ib;
        const d = base + p * MR;
        dst[d] = a[src];
        dst[d + 1] = a[src + 1];
        dst[d + 2] = a[src + 2];
        dst[d + 3] = a[src + 3];
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = aOff + (p0 + p) * m + i0 + ib;
        const d = base + p * MR;
        for (let r = 0; r < MR; r++) dst[d + r] = r < rows ? a[src + r] : 0;
      }
    }
  }
}

/**
 * Copies op(B)[p0 : p0+kc, 0 : n] into `dst` from index `dOff` as ⌈n/nr⌉ panels of kc×nr (column block
 * j at j·kc + p·nr), padding missing columns with zeros. op(B)[p, j] is b[p·n + j], or b[j·k + p] when
 * transposed. nr is NR, or 8 for the float32 SIMD kernel.
 */
function packB(
  b: FloatArray, bOff: number, transB: boolean, k: number, n: number,
  p0: number, kc: number, dst: FloatArray, dOff: number, nr: number,
): void {
  for (let jb = 0; jb < n; jb += nr) {
    const base = dOff + jb * kc;
    const cols = Math.min(nr, n - jb);
    if (transB) {
      for (let c = 0; c < nr; c++) {
        if (c < cols) {
          const src = bOff + (jb + c) * k + p0;
          for (let p = 0; p < kc; p++) dst[base + p * nr + c] = b[src + p];
        } else {
          for (let p = 0; p < kc; p++) dst[base + p * nr + c] = 0;
        }
      }
    } else if (cols === nr && nr === 8) {
      // Unrolled: this copy is most of the cost of packing a wide B (conv's column matrices).
      for (let p = 0, src = bOff + p0 * n + jb, d = base; p < kc; p++, src += n, d += 8) {
        dst[d] = b[src]; dst[d + 1] = b[src + 1]; dst[d + 2] = b[src + 2]; dst[d + 3] = b[src + 3];
        dst[d + 4] = b[src + 4]; dst[d + 5] = b[src + 5]; dst[d + 6] = b[src + 6]; dst[d + 7] = b[src + 7];
      }
    } else if (cols === nr && nr === 4) {
      for (let p = 0, src = bOff + p0 * n + jb, d = base; p < kc; p++, src += n, d += 4) {
        dst[d] = b[src]; dst[d + 1] = b[src + 1]; dst[d + 2] = b[src + 2]; dst[d + 3] = b[src + 3];
      }
    } else if (cols === nr) {
      for (let p = 0; p < kc; p++) {
        const src = bOff + (p0 + p) * n + jb;
        const d = base + p * nr;
        for (let c = 0; c < nr; c++) dst[d + c] = b[src + c];
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = bOff + (p0 + p) * n + jb;
        const d = base + p * nr;
        for (let c = 0; c < nr; c++) dst[d + c] = c < cols ? b[src + c] : 0;
      }
    }
  }
}

const edgeTile = new Float64Array(MR * NR);

/** C[ci.., 4×4 at row stride ldc] += (A panel)·(B panel) over kc steps; only rows×cols of the tile are written. */
function microKernel(
  ap: Float64Array, ai: number, bp: Float64Array, bi: number, kc: number,
  c: FloatArray, ci: number, ldc: number, rows: number, cols: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[ai], a1 = ap[ai + 1], a2 = ap[ai + 2], a3 = ap[ai + 3];
    const b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  if (rows === MR && cols === NR) {
    c[ci] += c00; c[ci + 1] += c01; c[ci + 2] += c02; c[ci + 3] += c03;
    ci += ldc;
    c[ci] += c10; c[ci + 1] += c11; c[ci + 2] += c12; c[ci + 3] += c13;
    ci += ldc;
    c[ci] += c20; c[ci + 1] += c21; c[ci + 2] += c22; c[ci + 3] += c23;
    ci += ldc;
    c[ci] += c30; c[ci + 1] += c31; c[ci + 2] += c32; c[ci + 3] += c33;
    return;
  }
  const t = edgeTile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) c[ci + r * ldc + j] += t[r * NR + j];
  }
}

/**
 * Small products, and a single row times a matrix, where a 4-row tile would be mostly padding:
 * plain loops, no packing, each transpose variant with its own loop so no index arithmetic depends on a
 * flag inside the loop.
 */
function gemmSmall(
  a: FloatArray, aOff: number, transA: boolean,
  b: FloatArray, bOff: number, transB: boolean,
  c: FloatArray, cOff: number,
  m: number, k: number, n: number,
): void {
  if (!transB) {
    // i-p-j: the inner loop walks a row of B and a row of C contiguously.
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        const bRow = bOff + p * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
    return;
  }
  // B stored n×k: C[i, j] is a dot product of op(A)'s row i with B's row j.
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

/**
 * Whether gemmSmall beats packing. Measured on Node 20 (x64, SIMD kernels): packing wins from 8×8×8 up
 * in every variant, and for n = 1; a single row (m = 1, a vector times a matrix) is faster unpacked,
 * since its tiles would be three-quarters padding.
 */
function useSmall(m: number, k: number, n: number): boolean {
  return m === 1 || m * n * k <= SMALL;
}

/**
 * What every gemm does first: finish the product outright when it is empty or small enough that packing
 * does not pay (zeroing C first unless accumulating). True when nothing is left to do; otherwise C is
 * untouched, and the packed path must overwrite it when not accumulating.
 */
function gemmDirect(
  a: FloatArray, aOff: number, transA: boolean,
  b: FloatArray, bOff: number, transB: boolean,
  c: FloatArray, cOff: number,
  m: number, k: number, n: number, accumulate: boolean,
): boolean {
  if (m === 0 || n === 0) return true;
  if (k !== 0 && !useSmall(m, k, n)) return false;
  if (!accumulate) c.fill(0, cOff, cOff + m * n);
  if (k !== 0) gemmSmall(a, aOff, transA, b, bOff, transB, c, cOff, m, k, n);
  return true;
}

function gemmJs(
  a: FloatArray, aOff: number, transA: boolean,
  b: FloatArray, bOff: number, transB: boolean,
  c: FloatArray, cOff: number,
  m: number, k: number, n: number, accumulate: boolean,
): void {
  if (gemmDirect(a, aOff, transA, b, bOff, transB, c, cOff, m, k, n, accumulate)) return;
  if (!accumulate) c.fill(0, cOff, cOff + m * n);
  const nPanels = Math.ceil(n / NR);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    if (packedB.length < nPanels * NR * kc) packedB = new Float64Array(nPanels * NR * KC);
    packB(b, bOff, transB, k, n, p0, kc, packedB, 0, NR);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = Math.min(MC, m - i0);
      packA(a, aOff, transA, m, k, i0, mc, p0, kc, packedA, 0);
      for (let jb = 0; jb < n; jb += NR) {
        const cols = Math.min(NR, n - jb);
        for (let ib = 0; ib < mc; ib += MR) {
          const rows = Math.min(MR, mc - ib);
          microKernel(packedA, ib * kc, packedB, jb * kc, kc, c, cOff + (i0 + ib) * n + jb, n, rows, cols);
        }
      }
    }
  }
}

// ---- gemm with the WebAssembly SIMD micro-kernel ---------------------------------------------------

const simd = loadSimdTiles();
let heap64 = new Float64Array(0);
let heap32 = new Float32Array(0);

/**
 * Grows the kernel's linear memory to at least `bytes` and refreshes the views (growing detaches them).
 * WebAssembly memory never shrinks: it stays at the size of the largest product seen, whose whole C is
 * resident (a 4096×4096 float64 C is 128 MB).
 */
function growHeap(bytes: number): void {
  const memory = simd!.memory;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  if (heap64.buffer !== memory.buffer) {
    heap64 = new Float64Array(memory.buffer);
    heap32 = new Float32Array(memory.buffer);
  }
}

/**
 * The same blocked gemm as `gemmJs`, with the 4×4 tile loop in WebAssembly SIMD. Linear memory holds
 * [A block | B panels | C], C padded to whole tiles. When A, B and C are all float32 the panels are
 * float32 and the kernel is f32x4 on 4×8 tiles (sums round to float32, as in TF.js and sgemm);
 * otherwise everything is float64 on 4×4 tiles.
 */
function gemmSimd(
  a: FloatArray, aOff: number, transA: boolean,
  b: FloatArray, bOff: number, transB: boolean,
  c: FloatArray, cOff: number,
  m: number, k: number, n: number, accumulate: boolean,
): void {
  if (gemmDirect(a, aOff, transA, b, bOff, transB, c, cOff, m, k, n, accumulate)) return;
  // float32 tiles are 4×8 (a row is two f32x4), float64 tiles 4×4 (two f64x2): B panels are 32 bytes a step.
  const f32 = a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array;
  const w = f32 ? 4 : 8;
  const nr = f32 ? 8 : NR;
  const nPad = Math.ceil(n / nr) * nr;
  const mPad = Math.ceil(m / MR) * MR;
  const bBase = MC * KC;
  const cBase = bBase + nPad * Math.min(KC, k);
  growHeap((cBase + mPad * nPad) * w);
  const h = f32 ? heap32 : heap64;
  const tiles = f32 ? simd!.tiles32 : simd!.tiles;
  // When C's rows are already whole tiles and its dtype is the kernel's, C itself is copied in (only when
  // accumulating) and out with memcpy (TypedArray.set) and the kernel accumulates into it, in the same
  // order as gemmJs. Otherwise the kernel sums into zeros and a loop adds (or writes) the result into C.
  const direct = nPad === n && (f32 || c instanceof Float64Array);
  if (direct && accumulate) h.set(c.subarray(cOff, cOff + m * n), cBase);
  else h.fill(0, cBase, cBase + m * n);
  h.fill(0, cBase + m * n, cBase + mPad * nPad);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packB(b, bOff, transB, k, n, p0, kc, h, bBase, nr);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = Math.min(MC, m - i0);
      packA(a, aOff, transA, m, k, i0, mc, p0, kc, h, 0);
      tiles(0, bBase * w, (cBase + i0 * nPad) * w, Math.ceil(mc / MR), nPad / nr, kc, nPad * w);
    }
  }
  if (direct) {
    c.set(h.subarray(cBase, cBase + m * n), cOff);
    return;
  }
  for (let i = 0; i < m; i++) {
    const src = cBase + i * nPad;
    const dst = cOff + i * n;
    if (accumulate) for (let j = 0; j < n; j++) c[dst + j] += h[src + j];
    else for (let j = 0; j < n; j++) c[dst + j] = h[src + j];
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

/**
 * The JavaScript kernels with gemm's tile loop in WebAssembly SIMD, or null where the runtime lacks
 * WebAssembly SIMD (Node ≥ 16.4 and every current browser have it).
 */
export const simdKernels: Kernels | null = simd ? { ...jsKernels, name: "wasm-simd", gemm: gemmSimd } : null;

/** The kernels every op uses: the SIMD gemm where available, else plain JavaScript. */
export let kernels: Kernels = simdKernels ?? jsKernels;

/** Replaces the numeric kernels (e.g. with a WebAssembly SIMD build). */
export function setKernels(k: Kernels): void {
  kernels = k;
}
