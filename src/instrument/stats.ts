/**
 * The statistics behind every recorded step, as single passes over typed arrays: no allocation per
 * element, one accumulator per layer that each of its parameter tensors adds into.
 */
import type { FloatArray } from "../engine";
import type { Histogram } from "../report";

/**
 * The histogram's bins are two binary orders of magnitude wide (0.602 decades): bin j covers
 * |g| ∈ [2^(MIN_EXP + 2j), 2^(MIN_EXP + 2j + 2)), and its edges are reported on log10|g|. Aligning edges
 * to powers of two lets the recorder bin by the float's exponent bits instead of a logarithm per element
 * (a 5× cheaper pass), and the bins are still exact. Range: 2^-48 ≈ 3.6e-15 … 2^16 ≈ 6.6e4; values outside
 * fall into the first or last bin; zeros (exponent field 0: exact zeros and subnormals) are counted apart.
 */
export const HISTOGRAM_BINS = 32;
export const HISTOGRAM_MIN_EXP = -48;
const BINADES_PER_BIN = 2;
export const HISTOGRAM_LOG10_MIN = HISTOGRAM_MIN_EXP * Math.LOG10E * Math.LN2;
export const HISTOGRAM_LOG10_MAX = (HISTOGRAM_MIN_EXP + BINADES_PER_BIN * HISTOGRAM_BINS) * Math.LOG10E * Math.LN2;

/** The fixed bin edges (log10|g|) every histogram shares. */
export function histogramEdges(): number[] {
  const edges: number[] = [];
  for (let j = 0; j <= HISTOGRAM_BINS; j++) edges.push(Math.log10(2 ** (HISTOGRAM_MIN_EXP + BINADES_PER_BIN * j)));
  return edges;
}

/** For each biased float64 exponent (2048 codes, sign stripped), its histogram bin; −1 for zero/subnormal, −2 for Inf/NaN. */
const BIN_OF_CODE = (() => {
  const t = new Int32Array(2048);
  for (let code = 0; code < 2048; code++) {
    const e = code & 0x7ff;
    if (e === 0) t[code] = -1;
    else if (e === 0x7ff) t[code] = -2;
    else t[code] = Math.max(0, Math.min(HISTOGRAM_BINS - 1, Math.floor((e - 1023 - HISTOGRAM_MIN_EXP) / BINADES_PER_BIN)));
  }
  return t;
})();

/** The same for float32's biased exponent (256 codes), mapped onto float64's bins. */
const BIN_OF_CODE32 = (() => {
  const t = new Int32Array(256);
  for (let code = 0; code < 256; code++) {
    const e = code & 0xff;
    t[code] = e === 0 ? -1 : e === 0xff ? -2 : BIN_OF_CODE[e - 127 + 1023];
  }
  return t;
})();

const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const scratch64 = new Float64Array(1);
const scratchWords = new Uint32Array(scratch64.buffer);

/**
 * Running sums for one layer's gradient (over all its tensors). "Zero" means an exponent field of 0:
 * exact zeros and subnormals (|g| < 2.2e-308 in float64, < 1.2e-38 in float32), which are numerically
 * zero for any statistic here. Counting them from the exponent histogram, not with a comparison per
 * element, is what keeps the pass branch-free: ReLU gradients scatter zeros unpredictably, and a
 * mispredicted `a === 0` per element made the pass 2–3× slower.
 */
export class GradAccumulator {
  sumSq = 0;
  sumAbs = 0;
  maxAbs = 0;
  zeros = 0;
  count = 0;
  nonFinite = 0;
  readonly counts = new Int32Array(HISTOGRAM_BINS);
  /** Scratch: counts per (sign, exponent) code of one `add`, folded into `counts` at its end. */
  private readonly codes = new Int32Array(2048);

  reset(): void {
    this.sumSq = this.sumAbs = this.maxAbs = 0;
    this.zeros = this.count = this.nonFinite = 0;
    this.counts.fill(0);
  }

  /**
   * Adds a gradient buffer (or `size` zeros when the tensor got no gradient). With `weights` (same
   * length) it also returns Σw², fused into the same pass; otherwise returns 0. One pass, no branch
   * per element: Σg², Σ|g|, max|g| and the exponent histogram (zeros and non-finite counts come from it).
   */
  add(g: FloatArray | null, size: number, weights?: FloatArray): number {
    this.count += size;
    if (!g) {
      this.zeros += size;
      return weights ? sumSquares(weights) : 0;
    }
    const n = g.length;
    const w = weights && weights.length === n ? weights : null;
    const f64 = g instanceof Float64Array;
    const codes = this.codes;
    const ncodes = f64 ? 2048 : 256;
    codes.fill(0, 0, ncodes);
    let sumSq = 0, sumAbs = 0, maxAbs = this.maxAbs, wSq = 0;
    if (f64 && (g.byteOffset & 7) === 0) {
      // The high 32-bit word of element i holds its sign and exponent: one integer load per element.
      const words = new Uint32Array(g.buffer, g.byteOffset, n * 2);
      const hi = HI;
      if (w) {
        for (let i = 0; i < n; i++) {
          const a = Math.abs(g[i]);
          const x = w[i];
          wSq += x * x;
          sumSq += a * a;
          sumAbs += a;
          maxAbs = a > maxAbs ? a : maxAbs;
          codes[(words[2 * i + hi] >>> 20) & 0x7ff]++;
        }
      } else {
        // Two elements per iteration into two sets of sums: halves the loop-carried add chains (V8 does
        // not reassociate floating-point sums); ~25% faster than one element per iteration.
        let sumSq1 = 0, sumAbs1 = 0, maxAbs1 = 0;
        const h = n - (n & 1);
        for (let i = 0; i < h; i += 2) {
          const a = Math.abs(g[i]);
          const b = Math.abs(g[i + 1]);
          sumSq += a * a;
          sumSq1 += b * b;
          sumAbs += a;
          sumAbs1 += b;
          maxAbs = a > maxAbs ? a : maxAbs;
          maxAbs1 = b > maxAbs1 ? b : maxAbs1;
          codes[(words[2 * i + hi] >>> 20) & 0x7ff]++;
          codes[(words[2 * i + 2 + hi] >>> 20) & 0x7ff]++;
        }
        if (h < n) {
          const a = Math.abs(g[h]);
          sumSq += a * a;
          sumAbs += a;
          maxAbs = a > maxAbs ? a : maxAbs;
          codes[(words[2 * h + hi] >>> 20) & 0x7ff]++;
        }
        sumSq += sumSq1;
        sumAbs += sumAbs1;
        maxAbs = maxAbs1 > maxAbs ? maxAbs1 : maxAbs;
      }
    } else if (!f64 && (g.byteOffset & 3) === 0) {
      // float32: the whole element is one word; bits 23…31 are sign and exponent.
      const words = new Uint32Array(g.buffer, g.byteOffset, n);
      for (let i = 0; i < n; i++) {
        const a = Math.abs(g[i]);
        if (w) wSq += w[i] * w[i];
        sumSq += a * a;
        sumAbs += a;
        maxAbs = a > maxAbs ? a : maxAbs;
        codes[(words[i] >>> 23) & 0xff]++;
      }
    } else {
      // Unaligned views (not produced by the engine): copy once, then the aligned path.
      const copy = f64 ? new Float64Array(g) : new Float32Array(g);
      this.count -= size;
      return this.add(copy, size, weights);
    }
    // Fold the exponent counts into bins: only exponents up to max|g|'s can be non-zero (plus the
    // Inf/NaN code), which keeps this O(range) rather than O(2048) per tensor.
    const table = f64 ? BIN_OF_CODE : BIN_OF_CODE32;
    const top = ncodes - 1;
    const nonFinite = codes[top];
    const zeros = codes[0];
    let hiCode = top - 1;
    if (maxAbs === maxAbs && maxAbs < Infinity) {
      scratch64[0] = maxAbs;
      hiCode = Math.min(top - 1, f64 ? (scratchWords[HI] >>> 20) & 0x7ff : ((scratchWords[HI] >>> 20) & 0x7ff) - 1023 + 127 + 1);
    }
    const counts = this.counts;
    for (let code = 1; code <= hiCode; code++) {
      const c = codes[code];
      if (c) counts[table[code]] += c;
    }
    this.sumSq += sumSq;
    this.sumAbs += sumAbs;
    this.maxAbs = maxAbs;
    this.zeros += zeros;
    this.nonFinite += nonFinite;
    return w ? wSq : weights ? sumSquares(weights) : 0;
  }

  /** Adds another accumulator's sums (a layer is the sum of its tensors). */
  merge(o: GradAccumulator): void {
    this.sumSq += o.sumSq;
    this.sumAbs += o.sumAbs;
    if (o.maxAbs > this.maxAbs) this.maxAbs = o.maxAbs;
    this.zeros += o.zeros;
    this.count += o.count;
    this.nonFinite += o.nonFinite;
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += o.counts[i];
  }

  get norm(): number {
    return this.nonFinite ? NaN : Math.sqrt(this.sumSq);
  }
  get rms(): number {
    return this.nonFinite ? NaN : Math.sqrt(this.sumSq / Math.max(1, this.count));
  }
  get meanAbs(): number {
    return this.nonFinite ? NaN : this.sumAbs / Math.max(1, this.count);
  }
  get zeroFraction(): number {
    return this.zeros / Math.max(1, this.count);
  }

  histogram(edges: number[]): Histogram {
    return { edges, counts: Array.from(this.counts), zeros: this.zeros };
  }
}

/** Σ x² of a buffer. */
export function sumSquares(x: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** Σ (a − b)² of two equal-length buffers: the squared size of an optimizer update. */
export function sumSquaredDiff(a: FloatArray, b: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/**
 * One pass over a parameter's new values `a` and its values before the optimizer step `b`: returns
 * Σ(a − b)² (the squared update) and writes Σb² (the squared weight norm before the step) to `out[0]`.
 */
export function updateAndWeightSquares(a: FloatArray, b: FloatArray, out: Float64Array): number {
  // Two elements per iteration into two sets of sums (shorter add chains: ~20% faster).
  let d2 = 0, w2 = 0, e2 = 0, v2 = 0;
  const n = Math.min(a.length, b.length);
  const h = n - (n & 1);
  for (let i = 0; i < h; i += 2) {
    const x = b[i];
    const y = b[i + 1];
    const d = a[i] - x;
    const e = a[i + 1] - y;
    d2 += d * d;
    e2 += e * e;
    w2 += x * x;
    v2 += y * y;
  }
  if (h < n) {
    const x = b[h];
    const d = a[h] - x;
    d2 += d * d;
    w2 += x * x;
  }
  out[0] = w2 + v2;
  return d2 + e2;
}

/**
 * True when every value is finite. v − v is NaN exactly for NaN and ±Inf; summing 8 values first and
 * testing the sum (non-finite if any term is, or if finite terms overflow, which is then re-checked
 * element by element) takes one test per 8 elements: ~2.7× faster than a test per element. NaN
 * tracking runs this over every op's output and every gradient.
 */
export function allFinite(x: FloatArray): boolean {
  const n = x.length;
  let i = 0;
  for (; i + 7 < n; i += 8) {
    const s = (x[i] + x[i + 1]) + (x[i + 2] + x[i + 3]) + ((x[i + 4] + x[i + 5]) + (x[i + 6] + x[i + 7]));
    if (s - s !== 0) {
      for (let j = i; j < i + 8; j++) {
        const v = x[j];
        if (v - v !== 0) return false;
      }
    }
  }
  for (; i < n; i++) {
    const v = x[i];
    if (v - v !== 0) return false;
  }
  return true;
}

/** Min and max, ignoring nothing (NaN shows up as NaN). */
export function range(x: FloatArray): { min: number; max: number } {
  let min = Infinity, max = -Infinity, nan = false;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v !== v) nan = true;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return nan ? { min: NaN, max: NaN } : { min, max };
}

/** The value at quantile q ∈ [0, 1] of a small list (sorts a copy). */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
