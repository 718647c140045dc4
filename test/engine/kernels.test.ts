/**
 * The numeric kernels against naive loops. The gemm is blocked and packed, with separate paths for small
 * products, edge tiles and k-blocks, so it is checked in every transpose variant, with and without
 * accumulation, at offsets into larger buffers, and at sizes that hit each edge (1, 3, 4, 5, 8, 17, 65, and
 * k past one 256-wide k-block), in float64 and float32, for the JavaScript kernels and the WebAssembly
 * SIMD ones (which Node 20 always has: their absence here would be a bug, not a fallback).
 */
import { describe, expect, it } from "vitest";
import { Random, type FloatArray } from "../../src/engine";
import { jsKernels, simdKernels, type Kernels } from "../../src/engine/kernels";

const rng = new Random(99);

function randomArray(n: number, f32: boolean): FloatArray {
  const d = f32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.range(-1, 1);
  return d;
}

/** C (+)= op(A)·op(B) by the definition, in float64. */
function naiveGemm(
  a: FloatArray, aOff: number, transA: boolean, b: FloatArray, bOff: number, transB: boolean,
  c: Float64Array, cOff: number, m: number, k: number, n: number, accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        const bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
        s += av * bv;
      }
      c[cOff + i * n + j] = (accumulate ? c[cOff + i * n + j] : 0) + s;
    }
  }
}

const sizes = [1, 3, 4, 5, 8, 17, 65];
const variants = [
  [false, false], [false, true], [true, false], [true, true],
] as const;

it("the WebAssembly SIMD kernels load and are the default", async () => {
  expect(simdKernels).not.toBeNull();
  const { kernels } = await import("../../src/engine/kernels");
  expect(kernels.name).toBe("wasm-simd");
});

const kernelSets: Array<[string, Kernels]> = [["js", jsKernels], ...(simdKernels ? [["wasm-simd", simdKernels] as [string, Kernels]] : [])];

for (const [setName, K] of kernelSets) describe(`${setName} gemm`, () => {
  for (const f32 of [false, true]) {
    for (const [transA, transB] of variants) {
      it(`${f32 ? "float32" : "float64"} ${transA ? "Aᵀ" : "A"}·${transB ? "Bᵀ" : "B"} matches the naive product`, () => {
        const tol = f32 ? 1e-4 : 1e-12;
        for (const m of sizes) {
          for (const k of sizes) {
            for (const n of sizes) {
              for (const accumulate of [false, true]) {
                const aOff = rng.int(5);
                const bOff = rng.int(5);
                const cOff = rng.int(5);
                const a = randomArray(aOff + m * k + 3, f32);
                const b = randomArray(bOff + k * n + 3, f32);
                const c = randomArray(cOff + m * n + 3, f32);
                const expected = Float64Array.from(c);
                naiveGemm(a, aOff, transA, b, bOff, transB, expected, cOff, m, k, n, accumulate);
                K.gemm(a, aOff, transA, b, bOff, transB, c, cOff, m, k, n, accumulate);
                for (let i = 0; i < c.length; i++) {
                  if (Math.abs(c[i] - expected[i]) > tol * (1 + Math.abs(expected[i]))) {
                    throw new Error(`m=${m} k=${k} n=${n} acc=${accumulate} offsets ${aOff},${bOff},${cOff}: c[${i}] = ${c[i]}, expected ${expected[i]}`);
                  }
                }
              }
            }
          }
        }
      });
    }
  }

  it("handles k longer than one k-block and m longer than one m-block", () => {
    for (const f32 of [false, true]) {
      for (const [transA, transB] of variants) {
        const [m, k, n] = [131, 600, 9];
        const a = randomArray(m * k, f32);
        const b = randomArray(k * n, f32);
        const c = f32 ? new Float32Array(m * n) : new Float64Array(m * n);
        const expected = new Float64Array(m * n);
        naiveGemm(a, 0, transA, b, 0, transB, expected, 0, m, k, n, false);
        K.gemm(a, 0, transA, b, 0, transB, c, 0, m, k, n, false);
        // float32 sums of 600 terms of size ≤ 1: a few ulps of the running sum (≤ ~25) each.
        const tol = f32 ? 1e-3 : 1e-10;
        for (let i = 0; i < c.length; i++) expect(Math.abs(c[i] - expected[i])).toBeLessThan(tol);
      }
    }
  });

  it("mixed dtypes (float32 A, float64 B and C) compute in float64", () => {
    const [m, k, n] = [9, 70, 11];
    const a = randomArray(m * k, true);
    const b = randomArray(k * n, false);
    const c = new Float64Array(m * n);
    const expected = new Float64Array(m * n);
    naiveGemm(a, 0, false, b, 0, false, expected, 0, m, k, n, false);
    K.gemm(a, 0, false, b, 0, false, c, 0, m, k, n, false);
    for (let i = 0; i < c.length; i++) expect(c[i]).toBeCloseTo(expected[i], 12);
  });

  it("handles empty dimensions (k = 0 clears C unless accumulating)", () => {
    const c = new Float64Array([5, 6, 7, 8]);
    K.gemm(new Float64Array(0), 0, false, new Float64Array(0), 0, false, c, 0, 2, 0, 2, true);
    expect([...c]).toEqual([5, 6, 7, 8]);
    K.gemm(new Float64Array(0), 0, false, new Float64Array(0), 0, false, c, 0, 2, 0, 2, false);
    expect([...c]).toEqual([0, 0, 0, 0]);
  });

  it("propagates NaN and Inf through zeros, as IEEE multiplication does", () => {
    for (const [m, k, n] of [[2, 2, 3], [40, 40, 40]]) {
      const a = new Float64Array(m * k); // all zeros
      const b = new Float64Array(k * n).fill(1);
      b[0] = NaN;
      b[1] = Infinity;
      const c = new Float64Array(m * n);
      K.gemm(a, 0, false, b, 0, false, c, 0, m, k, n, false);
      // b[0] and b[1] are B[0, 0] and B[0, 1]: columns 0 and 1 of every row of C see them.
      for (let i = 0; i < m; i++) {
        expect(Number.isNaN(c[i * n])).toBe(true);
        expect(Number.isNaN(c[i * n + 1])).toBe(true);
        expect(c[i * n + 2]).toBe(0);
      }
    }
  });

  it("leaves C outside its m×n window untouched", () => {
    const [m, k, n] = [17, 33, 18];
    const a = randomArray(m * k, false);
    const b = randomArray(k * n, false);
    const c = new Float64Array(m * n + 20).fill(7);
    K.gemm(a, 0, false, b, 0, true, c, 10, m, k, n, false);
    for (let i = 0; i < 10; i++) expect(c[i]).toBe(7);
    for (let i = 10 + m * n; i < c.length; i++) expect(c[i]).toBe(7);
  });
});

describe("elementwise kernels", () => {
  for (const f32 of [false, true]) {
    it(`${f32 ? "float32" : "float64"}: add, mul, accumulate, axpy, addRow, sumRowsInto match plain loops`, () => {
      for (const [rows, cols] of [[1, 1], [3, 5], [17, 65], [2, 4099]]) {
        const n = rows * cols;
        const a = randomArray(n, f32);
        const b = randomArray(n, f32);
        const row = randomArray(cols, f32);
        const out = f32 ? new Float32Array(n) : new Float64Array(n);
        const close = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThanOrEqual((f32 ? 1e-5 : 1e-12) * (1 + Math.abs(y)));
        jsKernels.add(a, b, out);
        for (let i = 0; i < n; i++) close(out[i], a[i] + b[i]);
        jsKernels.mul(a, b, out);
        for (let i = 0; i < n; i++) close(out[i], a[i] * b[i]);
        const acc = Float64Array.from(a);
        jsKernels.accumulate(acc, b);
        for (let i = 0; i < n; i++) close(acc[i], a[i] + b[i]);
        const acc2 = Float64Array.from(a);
        jsKernels.axpy(0.3, b, acc2);
        for (let i = 0; i < n; i++) close(acc2[i], a[i] + 0.3 * b[i]);
        jsKernels.addRow(a, row, out, rows, cols);
        for (let i = 0; i < n; i++) close(out[i], a[i] + row[i % cols]);
        const sums = new Float64Array(cols).fill(1);
        jsKernels.sumRowsInto(a, sums, rows, cols);
        for (let j = 0; j < cols; j++) {
          let s = 1;
          for (let r = 0; r < rows; r++) s += a[r * cols + j];
          close(sums[j], s);
        }
      }
    });
  }
});
