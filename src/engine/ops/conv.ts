/**
 * Convolution and pooling over NCHW images (PyTorch's conventions). Convolution lowers each sample and
 * group to one gemm on an im2col matrix [C/g·kH·kW, Ho·Wo]; its backward runs the two transposed gemms
 * and scatters the column gradient back (col2im). The 1-D ops are the 2-D ops on a height of 1.
 */
import { kernels, type FloatArray } from "../kernels";
import { formatShape } from "../shape";
import { gradBuffer, makeResult, Tensor } from "../tensor";
import { reshape } from "./layout";
import { registerOp, type KinkSides } from "./registry";
import { alloc, resultType } from "./util";

export type Pair = number | readonly [number, number];
export interface Conv2dOptions {
  stride?: Pair;
  /** Zeros added on each side; "same" keeps the size (stride 1 only; an odd total puts the extra on the bottom/right, as PyTorch). */
  padding?: Pair | "same";
  dilation?: Pair;
  groups?: number;
}
export interface Conv1dOptions {
  stride?: number;
  padding?: number | "same";
  dilation?: number;
  groups?: number;
}

export const pair = (v: Pair | undefined, dflt: number): [number, number] =>
  v === undefined ? [dflt, dflt] : typeof v === "number" ? [v, v] : [v[0], v[1]];

/** One image's geometry: input and output sizes, kernel, stride, dilation, padding at the top and left. */
export interface Geometry {
  h: number; w: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number;
  pt: number; pl: number; ho: number; wo: number;
}

/** The output columns ox whose input column ox·s − p + j·d lies inside [0, w): [first, end). */
function validRange(j: number, w: number, wo: number, s: number, p: number, d: number): [number, number] {
  const off = j * d - p; // ix = ox·s + off
  const first = off >= 0 ? 0 : Math.ceil(-off / s);
  const end = Math.min(wo, Math.floor((w - 1 - off) / s) + 1);
  return [Math.min(first, wo), Math.max(end, Math.min(first, wo))];
}

/**
 * cols[((c·kh + i)·kw + j), oy·wo + ox] = x[c, oy·sh − pt + i·dh, ox·sw − pl + j·dw] (0 outside), for
 * `channels` channels of x starting at xOff. Each row copies its in-range columns without a bounds check.
 */
export function im2col(x: FloatArray, xOff: number, channels: number, g: Geometry, cols: FloatArray): void {
  const { h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo } = g;
  let r = 0;
  for (let c = 0; c < channels; c++) {
    const base = xOff + c * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const row = r * ho * wo;
        const [ox0, ox1] = validRange(j, w, wo, sw, pl, dw);
        const off = j * dw - pl;
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh - pt + i * dh;
          const dst = row + oy * wo;
          if (iy < 0 || iy >= h) {
            cols.fill(0, dst, dst + wo);
            continue;
          }
          const src = base + iy * w + off;
          for (let ox = 0; ox < ox0; ox++) cols[dst + ox] = 0;
          if (sw === 1) for (let ox = ox0; ox < ox1; ox++) cols[dst + ox] = x[src + ox];
          else for (let ox = ox0; ox < ox1; ox++) cols[dst + ox] = x[src + ox * sw];
          for (let ox = ox1; ox < wo; ox++) cols[dst + ox] = 0;
        }
      }
    }
  }
}

/** The adjoint of im2col: gx[c, iy, ix] += cols[row, col] for every place im2col read x[c, iy, ix]. */
export function col2im(cols: FloatArray, channels: number, g: Geometry, gx: FloatArray, xOff: number): void {
  const { h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo } = g;
  let r = 0;
  for (let c = 0; c < channels; c++) {
    const base = xOff + c * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const row = r * ho * wo;
        const [ox0, ox1] = validRange(j, w, wo, sw, pl, dw);
        const off = j * dw - pl;
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh - pt + i * dh;
          if (iy < 0 || iy >= h) continue;
          const src = row + oy * wo;
          const dst = base + iy * w + off;
          if (sw === 1) for (let ox = ox0; ox < ox1; ox++) gx[dst + ox] += cols[src + ox];
          else for (let ox = ox0; ox < ox1; ox++) gx[dst + ox * sw] += cols[src + ox];
        }
      }
    }
  }
}

/**
 * Column matrices live in scratch buffers shared by every convolution (ops run one at a time, and a
 * backward rule runs to completion before the next), so a training step allocates none.
 */
const scratch: Record<"float32" | "float64", FloatArray[]> = { float32: [], float64: [] };
export function scratchBuffer(slot: number, dtype: "float32" | "float64", n: number): FloatArray {
  const pool = scratch[dtype];
  if (!pool[slot] || pool[slot].length < n) pool[slot] = alloc(dtype, Math.max(n, 2 * (pool[slot]?.length ?? 0)));
  return pool[slot];
}


/** out[s, ch, p] += bias[ch] for n samples of `channels` planes of `hw` entries. */
export function addChannelBias(out: FloatArray, bias: FloatArray, n: number, channels: number, hw: number): void {
  for (let s = 0; s < n; s++) {
    for (let ch = 0; ch < channels; ch++) {
      const v = bias[ch], base = (s * channels + ch) * hw;
      for (let p = 0; p < hw; p++) out[base + p] += v;
    }
  }
}

/** The bias's gradient: gb[ch] += Σ over samples and positions of gout[s, ch, p]. */
export function sumChannelGrad(gout: FloatArray, gb: FloatArray, n: number, channels: number, hw: number): void {
  for (let s = 0; s < n; s++) {
    for (let ch = 0; ch < channels; ch++) {
      const base = (s * channels + ch) * hw;
      let acc = 0;
      for (let p = 0; p < hw; p++) acc += gout[base + p];
      gb[ch] += acc;
    }
  }
}

function outSize(op: string, size: number, k: number, s: number, d: number, padBefore: number, padAfter: number): number {
  const o = Math.floor((size + padBefore + padAfter - d * (k - 1) - 1) / s) + 1;
  if (o < 1) throw new Error(`${op}: the (dilated) kernel ${d * (k - 1) + 1} does not fit in input size ${size} with padding ${padBefore}+${padAfter}`);
  return o;
}

export const CONV2D = registerOp({ name: "conv2d", kind: "linalg", differentiable: true, kinks: null, nonFinite: null });

/**
 * 2-D convolution (cross-correlation, as PyTorch): x [N, C, H, W], weight [O, C/groups, kH, kW],
 * bias [O] or null → [N, O, Ho, Wo] with Ho = ⌊(H + 2·pad − dilation·(kH − 1) − 1) / stride⌋ + 1.
 * `groups: C` with O a multiple of C is a depthwise convolution.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  if (x.ndim !== 4) throw new Error(`conv2d: expected input [N, C, H, W], got ${formatShape(x.shape)}`);
  if (weight.ndim !== 4) throw new Error(`conv2d: expected weight [out, in/groups, kH, kW], got ${formatShape(weight.shape)}`);
  const [n, c, h, w] = x.shape;
  const [o, cg, kh, kw] = weight.shape;
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || o % groups !== 0) {
    throw new Error(`conv2d: groups ${groups} must divide both the input channels ${c} and the output channels ${o}`);
  }
  if (cg !== c / groups) throw new Error(`conv2d: weight ${formatShape(weight.shape)} expects ${cg * groups} input channels with groups ${groups}, input has ${c}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) throw new Error(`conv2d: bias must be [${o}], got ${formatShape(bias.shape)}`);
  const [sh, sw] = pair(options.stride, 1);
  const [dh, dw] = pair(options.dilation, 1);
  let pt: number, pb: number, pl: number, pr: number;
  if (options.padding === "same") {
    if (sh !== 1 || sw !== 1) throw new Error(`conv2d: padding "same" needs stride 1, got stride ${sh}×${sw}`);
    const th = dh * (kh - 1), tw = dw * (kw - 1);
    pt = Math.floor(th / 2); pb = th - pt; pl = Math.floor(tw / 2); pr = tw - pl;
  } else {
    [pt, pl] = pair(options.padding, 0);
    pb = pt; pr = pl;
  }
  const ho = outSize("conv2d", h, kh, sh, dh, pt, pb);
  const wo = outSize("conv2d", w, kw, sw, dw, pl, pr);
  const g: Geometry = { h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo };
  const og = o / groups;
  const kk = cg * kh * kw;
  const hw = ho * wo;
  const dtype = resultType(...(bias ? [x, weight, bias] : [x, weight]));
  const out = alloc(dtype, n * o * hw);
  const xd = x.data, wd = weight.data;
  // One product per sample and group: its column matrix [kk, hw] stays in cache for gemm (and, in the
  // backward, for col2im). Several samples side by side in one wider product measured slower on the CNN
  // benchmark's layers (bench/ab.mjs: 0.7–0.9×), the extra copies costing more than the larger gemm saved.
  for (let s = 0; s < n; s++) {
    for (let gi = 0; gi < groups; gi++) {
      const cols = scratchBuffer(0, dtype, kk * hw);
      im2col(xd, (s * c + gi * cg) * h * w, cg, g, cols);
      kernels.gemm(wd, gi * og * kk, false, cols, 0, false, out, (s * o + gi * og) * hw, og, kk, hw, false);
    }
  }
  if (bias) addChannelBias(out, bias.data, n, o, hw);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return makeResult(CONV2D, out, [n, o, ho, wo], inputs, (gout) => {
    const gw = weight.requiresGrad ? gradBuffer(weight) : null;
    const gx = x.requiresGrad ? gradBuffer(x) : null;
    for (let s = 0; s < n && (gw || gx); s++) {
      for (let gi = 0; gi < groups; gi++) {
        const gOff = (s * o + gi * og) * hw;
        const xOff = (s * c + gi * cg) * h * w;
        if (gw) {
          const cols = scratchBuffer(0, dtype, kk * hw);
          im2col(xd, xOff, cg, g, cols);
          // dW_g += dOut_g [og, hw] · colsᵀ [hw, kk]
          kernels.gemm(gout, gOff, false, cols, 0, true, gw, gi * og * kk, og, hw, kk, true);
        }
        if (gx) {
          // dCols = W_gᵀ [kk, og] · dOut_g [og, hw], scattered back onto the image
          const gcols = scratchBuffer(0, dtype, kk * hw);
          kernels.gemm(wd, gi * og * kk, true, gout, gOff, false, gcols, 0, kk, og, hw, false);
          col2im(gcols, cg, g, gx, xOff);
        }
      }
    }
    if (bias?.requiresGrad) sumChannelGrad(gout, gradBuffer(bias), n, o, hw);
  });
}

export const CONV1D = registerOp({ name: "conv1d", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/** 1-D convolution: x [N, C, L], weight [O, C/groups, k], bias [O] or null → [N, O, Lo] (conv2d on a height of 1). */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv1dOptions = {}): Tensor {
  if (x.ndim !== 3) throw new Error(`conv1d: expected input [N, C, L], got ${formatShape(x.shape)}`);
  if (weight.ndim !== 3) throw new Error(`conv1d: expected weight [out, in/groups, k], got ${formatShape(weight.shape)}`);
  const [n, c, l] = x.shape;
  const [o, cg, k] = weight.shape;
  const padding = options.padding === "same" ? "same" : ([0, options.padding ?? 0] as const);
  const y = conv2d(reshape(x, [n, c, 1, l]), reshape(weight, [o, cg, 1, k]), bias, {
    stride: [1, options.stride ?? 1], dilation: [1, options.dilation ?? 1], padding, groups: options.groups,
  });
  return reshape(y, [n, o, y.shape[3]]);
}

// ---- pooling -----------------------------------------------------------------------------------------

export interface Pool2dOptions {
  /** Default: the kernel size (non-overlapping windows), as PyTorch. */
  stride?: Pair;
  /** Implicit padding on each side: −∞ for max pooling, zeros for average pooling. At most half the kernel. */
  padding?: Pair;
}
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Divide by the whole window, padded zeros included (default true, PyTorch's), or by the real entries only. */
  countIncludePad?: boolean;
}
export interface Pool1dOptions { stride?: number; padding?: number }
export interface AvgPool1dOptions extends Pool1dOptions { countIncludePad?: boolean }

function poolGeometry(op: string, x: Tensor, kernel: Pair, options: Pool2dOptions): Geometry & { n: number; c: number } {
  if (x.ndim !== 4 && !(x.ndim === 3 && op.endsWith("1d"))) throw new Error(`${op}: expected input [N, C, H, W], got ${formatShape(x.shape)}`);
  const [n, c, h, w] = x.ndim === 4 ? x.shape : [x.shape[0], x.shape[1], 1, x.shape[2]];
  const [kh, kw] = pair(kernel, 1);
  const [sh, sw] = pair(options.stride ?? kernel, 1);
  const [pt, pl] = pair(options.padding, 0);
  if (pt > kh / 2 || pl > kw / 2) throw new Error(`${op}: padding ${pt}×${pl} must be at most half the kernel ${kh}×${kw}`);
  const ho = outSize(op, h, kh, sh, 1, pt, pt);
  const wo = outSize(op, w, kw, sw, 1, pl, pl);
  return { n, c, h, w, kh, kw, sh, sw, dh: 1, dw: 1, pt, pl, ho, wo };
}

/** For each max-pooling output, the flat input index of its window's maximum (kept for the op's kinks). */
const argmaxOf = new WeakMap<FloatArray, Int32Array>();

/** Max pooling's kinks are ties: each input entry's code is how many windows it is the maximum of. */
const poolSides: KinkSides = ([x], output) => {
  const codes = new Int8Array(x.size);
  const arg = argmaxOf.get(output.data);
  if (arg) for (let i = 0; i < arg.length; i++) codes[arg[i]] = Math.min(127, codes[arg[i]] + 1);
  return codes;
};

export const MAXPOOL2D = registerOp({ name: "maxPool2d", kind: "reduction", differentiable: true, kinks: poolSides, nonFinite: null });
/**
 * Max pooling over kH×kW windows of x [N, C, H, W]. The gradient goes to the first maximal entry of
 * each window (row-major order), as in `max`; a tie is a kink.
 */
export function maxPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  return maxPool(MAXPOOL2D, x, poolGeometry(MAXPOOL2D, x, kernel, options));
}

export const MAXPOOL1D = registerOp({ name: "maxPool1d", kind: "reduction", differentiable: true, kinks: poolSides, nonFinite: null });
/** Max pooling over windows of x [N, C, L]; ties as in maxPool2d. */
export function maxPool1d(x: Tensor, kernel: number, options: Pool1dOptions = {}): Tensor {
  if (x.ndim !== 3) throw new Error(`maxPool1d: expected input [N, C, L], got ${formatShape(x.shape)}`);
  const g = poolGeometry(MAXPOOL1D, x, [1, kernel], { stride: [1, options.stride ?? kernel], padding: [0, options.padding ?? 0] });
  return maxPool(MAXPOOL1D, x, g);
}

function maxPool(op: string, x: Tensor, g: Geometry & { n: number; c: number }): Tensor {
  const { n, c, h, w, kh, kw, sh, sw, pt, pl, ho, wo } = g;
  const out = alloc(x.dtype, n * c * ho * wo);
  const arg = new Int32Array(out.length);
  const xd = x.data;
  let q = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      const y0 = Math.max(0, oy * sh - pt), y1 = Math.min(h, oy * sh - pt + kh);
      for (let ox = 0; ox < wo; ox++, q++) {
        const x0 = Math.max(0, ox * sw - pl), x1 = Math.min(w, ox * sw - pl + kw);
        let best = -Infinity, at = base + y0 * w + x0;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const v = xd[base + iy * w + ix];
            // NaN wins (and stays), so a NaN in a window is never hidden from the debugger.
            if (v > best || (v !== v && best === best)) { best = v; at = base + iy * w + ix; }
          }
        }
        out[q] = best;
        arg[q] = at;
      }
    }
  }
  const shape = x.ndim === 4 ? [n, c, ho, wo] : [n, c, wo];
  argmaxOf.set(out, arg);
  return makeResult(op, out, shape, [x], (gout) => {
    const gx = gradBuffer(x);
    for (let i = 0; i < arg.length; i++) gx[arg[i]] += gout[i];
  });
}

export const AVGPOOL2D = registerOp({ name: "avgPool2d", kind: "reduction", differentiable: true, kinks: null, nonFinite: null });
/** Average pooling over kH×kW windows of x [N, C, H, W]; padded zeros count unless `countIncludePad: false`. */
export function avgPool2d(x: Tensor, kernel: Pair, options: AvgPool2dOptions = {}): Tensor {
  const { n, c, h, w, kh, kw, sh, sw, pt, pl, ho, wo } = poolGeometry("avgPool2d", x, kernel, options);
  const includePad = options.countIncludePad ?? true;
  const out = alloc(x.dtype, n * c * ho * wo);
  // Each window's bounds and divisor are the same for every plane.
  const win = new Int32Array(ho * wo * 4);
  const scale = new Float64Array(ho * wo);
  for (let oy = 0, p = 0; oy < ho; oy++) {
    const ya = oy * sh - pt, yb = Math.min(ya + kh, h + pt);
    for (let ox = 0; ox < wo; ox++, p++) {
      const xa = ox * sw - pl, xb = Math.min(xa + kw, w + pl);
      const y0 = Math.max(0, ya), y1 = Math.min(h, yb), x0 = Math.max(0, xa), x1 = Math.min(w, xb);
      win.set([y0, y1, x0, x1], p * 4);
      scale[p] = 1 / (includePad ? (yb - ya) * (xb - xa) : (y1 - y0) * (x1 - x0));
    }
  }
  const xd = x.data;
  const hw = ho * wo;
  for (let plane = 0, q = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let p = 0; p < hw; p++, q++) {
      let acc = 0;
      for (let iy = win[p * 4]; iy < win[p * 4 + 1]; iy++) {
        for (let ix = win[p * 4 + 2]; ix < win[p * 4 + 3]; ix++) acc += xd[base + iy * w + ix];
      }
      out[q] = acc * scale[p];
    }
  }
  return makeResult(AVGPOOL2D, out, [n, c, ho, wo], [x], (gout) => {
    const gx = gradBuffer(x);
    for (let plane = 0, q = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let p = 0; p < hw; p++, q++) {
        const v = gout[q] * scale[p];
        for (let iy = win[p * 4]; iy < win[p * 4 + 1]; iy++) {
          for (let ix = win[p * 4 + 2]; ix < win[p * 4 + 3]; ix++) gx[base + iy * w + ix] += v;
        }
      }
    }
  });
}

export const ADAPTIVEAVGPOOL2D = registerOp({ name: "adaptiveAvgPool2d", kind: "reduction", differentiable: true, kinks: null, nonFinite: null });
/**
 * Average pooling to a fixed output size [oH, oW] (PyTorch's windows: rows ⌊i·H/oH⌋ to ⌈(i+1)·H/oH⌉).
 * `adaptiveAvgPool2d(x, 1)` is global average pooling.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  if (x.ndim !== 4) throw new Error(`adaptiveAvgPool2d: expected input [N, C, H, W], got ${formatShape(x.shape)}`);
  const [n, c, h, w] = x.shape;
  const [ho, wo] = pair(outputSize, 1);
  if (!(ho >= 1 && wo >= 1)) throw new Error(`adaptiveAvgPool2d: output size must be positive, got ${ho}×${wo}`);
  const hw = ho * wo;
  const win = new Int32Array(hw * 4);
  const scale = new Float64Array(hw);
  for (let oy = 0, p = 0; oy < ho; oy++) {
    const y0 = Math.floor((oy * h) / ho), y1 = Math.ceil(((oy + 1) * h) / ho);
    for (let ox = 0; ox < wo; ox++, p++) {
      const x0 = Math.floor((ox * w) / wo), x1 = Math.ceil(((ox + 1) * w) / wo);
      win.set([y0, y1, x0, x1], p * 4);
      scale[p] = 1 / ((y1 - y0) * (x1 - x0));
    }
  }
  const xd = x.data;
  const out = alloc(x.dtype, n * c * hw);
  for (let plane = 0, q = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let p = 0; p < hw; p++, q++) {
      let acc = 0;
      for (let iy = win[p * 4]; iy < win[p * 4 + 1]; iy++) {
        for (let ix = win[p * 4 + 2]; ix < win[p * 4 + 3]; ix++) acc += xd[base + iy * w + ix];
      }
      out[q] = acc * scale[p];
    }
  }
  return makeResult(ADAPTIVEAVGPOOL2D, out, [n, c, ho, wo], [x], (gout) => {
    const gx = gradBuffer(x);
    for (let plane = 0, q = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let p = 0; p < hw; p++, q++) {
        const v = gout[q] * scale[p];
        for (let iy = win[p * 4]; iy < win[p * 4 + 1]; iy++) {
          for (let ix = win[p * 4 + 2]; ix < win[p * 4 + 3]; ix++) gx[base + iy * w + ix] += v;
        }
      }
    }
  });
}

function as2d(op: string, x: Tensor): Tensor {
  if (x.ndim !== 3) throw new Error(`${op}: expected input [N, C, L], got ${formatShape(x.shape)}`);
  return reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]);
}
const drop2d = (y: Tensor) => reshape(y, [y.shape[0], y.shape[1], y.shape[3]]);

export const AVGPOOL1D = registerOp({ name: "avgPool1d", kind: "composite", differentiable: true, kinks: null, nonFinite: null });
/** Average pooling over windows of x [N, C, L] (avgPool2d on a height of 1). */
export function avgPool1d(x: Tensor, kernel: number, options: AvgPool1dOptions = {}): Tensor {
  return drop2d(avgPool2d(as2d("avgPool1d", x), [1, kernel], {
    stride: [1, options.stride ?? kernel], padding: [0, options.padding ?? 0], countIncludePad: options.countIncludePad,
  }));
}
