/**
 * Transposed 2-D convolution (PyTorch's `conv_transpose2d`): the adjoint of conv2d with respect to its
 * input, so each input entry scatters a weighted copy of the kernel into the output. Per sample and group
 * it is one gemm into column form and one col2im (conv2d's backward-to-input, run forward); its backward
 * is conv2d's forward (im2col and a gemm) for the input and one more gemm for the weight.
 */
import { kernels } from "../kernels";
import { formatShape } from "../shape";
import { gradBuffer, makeResult, Tensor } from "../tensor";
import { addChannelBias, col2im, im2col, pair, scratchBuffer, sumChannelGrad, type Geometry, type Pair } from "./conv";
import { registerOp } from "./registry";
import { alloc, resultType } from "./util";

export interface ConvTranspose2dOptions {
  stride?: Pair;
  /** Rows and columns cropped from each side of the full output: dilation·(k − 1) − padding zeros of the equivalent direct convolution. */
  padding?: Pair;
  /** Extra rows/columns added on the bottom/right only, to pick among the output sizes a strided conv2d maps to the same input size; must be below max(stride, dilation). */
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export const CONV_TRANSPOSE2D = registerOp({ name: "convTranspose2d", kind: "linalg", differentiable: true, kinks: null, nonFinite: null });

/**
 * x [N, C, H, W], weight [C, O/groups, kH, kW] (PyTorch's layout: input channels first), bias [O] or null
 * → [N, O, Ho, Wo] with Ho = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1:
 *   y[n, g·O/groups + o, iy·s − p + i·d, ix·s − p + j·d] += x[n, c, iy, ix] · w[c, o, i, j]   (c in group g).
 * With conv2d's geometry read backwards (its input is our output), per sample and group:
 *   forward   cols [O/g·kH·kW, H·W] = W_gᵀ · x_g, then col2im into y
 *   backward  dx_g = W_g · im2col(dy_g);  dW_g += x_g · im2col(dy_g)ᵀ;  db = Σ dy.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvTranspose2dOptions = {}): Tensor {
  if (x.ndim !== 4) throw new Error(`convTranspose2d: expected input [N, C, H, W], got ${formatShape(x.shape)}`);
  if (weight.ndim !== 4) throw new Error(`convTranspose2d: expected weight [in, out/groups, kH, kW], got ${formatShape(weight.shape)}`);
  const [n, c, h, w] = x.shape;
  const [cw, og, kh, kw] = weight.shape;
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new Error(`convTranspose2d: groups ${groups} must divide the input channels ${c}`);
  }
  if (cw !== c) throw new Error(`convTranspose2d: weight ${formatShape(weight.shape)} expects ${cw} input channels, input has ${c}`);
  const o = og * groups;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) throw new Error(`convTranspose2d: bias must be [${o}], got ${formatShape(bias.shape)}`);
  const [sh, sw] = pair(options.stride, 1);
  const [dh, dw] = pair(options.dilation, 1);
  const [ph, pw] = pair(options.padding, 0);
  const [oph, opw] = pair(options.outputPadding, 0);
  if (oph >= Math.max(sh, dh) || opw >= Math.max(sw, dw) || oph < 0 || opw < 0) {
    throw new Error(`convTranspose2d: outputPadding ${oph}×${opw} must be below max(stride, dilation) in each dimension (${Math.max(sh, dh)}×${Math.max(sw, dw)})`);
  }
  const ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const wo = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (ho < 1 || wo < 1) throw new Error(`convTranspose2d: padding ${ph}×${pw} leaves no output for input ${h}×${w} (output ${ho}×${wo})`);
  // conv2d's geometry with the roles swapped: its image is our output, its output grid our input.
  const g: Geometry = { h: ho, w: wo, kh, kw, sh, sw, dh, dw, pt: ph, pl: pw, ho: h, wo: w };
  const cg = c / groups;
  const kk = og * kh * kw;
  const hw = h * w;
  const ohw = ho * wo;
  const dtype = resultType(...(bias ? [x, weight, bias] : [x, weight]));
  const out = alloc(dtype, n * o * ohw);
  const cols = scratchBuffer(0, dtype, kk * hw);
  const xd = x.data, wd = weight.data;
  for (let s = 0; s < n; s++) {
    for (let gi = 0; gi < groups; gi++) {
      // cols [kk, hw] = W_gᵀ [kk, cg] · x_g [cg, hw]; W_g is stored [cg, kk].
      kernels.gemm(wd, gi * cg * kk, true, xd, (s * c + gi * cg) * hw, false, cols, 0, kk, cg, hw, false);
      col2im(cols, og, g, out, (s * o + gi * og) * ohw);
    }
  }
  if (bias) addChannelBias(out, bias.data, n, o, ohw);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return makeResult(CONV_TRANSPOSE2D, out, [n, o, ho, wo], inputs, (gout) => {
    const gx = x.requiresGrad ? gradBuffer(x) : null;
    const gw = weight.requiresGrad ? gradBuffer(weight) : null;
    if (gx || gw) {
      const gcols = scratchBuffer(0, dtype, kk * hw);
      for (let s = 0; s < n; s++) {
        for (let gi = 0; gi < groups; gi++) {
          im2col(gout, (s * o + gi * og) * ohw, og, g, gcols);
          const xOff = (s * c + gi * cg) * hw;
          // dx_g [cg, hw] += W_g [cg, kk] · gcols [kk, hw]
          if (gx) kernels.gemm(wd, gi * cg * kk, false, gcols, 0, false, gx, xOff, cg, kk, hw, true);
          // dW_g [cg, kk] += x_g [cg, hw] · gcolsᵀ [hw, kk]
          if (gw) kernels.gemm(xd, xOff, false, gcols, 0, true, gw, gi * cg * kk, cg, hw, kk, true);
        }
      }
    }
    if (bias?.requiresGrad) sumChannelGrad(gout, gradBuffer(bias), n, o, ohw);
  });
}
