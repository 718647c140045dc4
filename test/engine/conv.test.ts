/**
 * Convolution, transposed convolution and pooling forward against naive loops written straight from the
 * definitions, and forward and gradients against TensorFlow.js (CPU backend) on identical weights.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ops, Random, Tensor } from "../../src/engine";
// @ts-expect-error an untyped ES module shared with the benchmarks
import { loadTfjs } from "../../bench/load.mjs";

const rng = new Random(77);
const randT = (shape: readonly number[], requiresGrad = false) => {
  const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape, requiresGrad);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.range(-1, 1);
  return t;
};
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  expect(worst).toBeLessThan(tol);
};

/** conv2d from the definition: out[n,o,y,x] = b[o] + Σ w[o,c,i,j]·x[n, g·cg + c, y·s − p + i·d, x·s − p + j·d]. */
function naiveConv2d(x: Tensor, w: Tensor, b: Tensor | null, s: number, p: number, d: number, groups: number): number[] {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const ho = Math.floor((h + 2 * p - d * (kh - 1) - 1) / s) + 1;
  const wo = Math.floor((wd + 2 * p - d * (kw - 1) - 1) / s) + 1;
  const og = o / groups;
  const out: number[] = [];
  for (let ni = 0; ni < n; ni++) for (let oc = 0; oc < o; oc++) for (let y = 0; y < ho; y++) for (let xx = 0; xx < wo; xx++) {
    let acc = b ? b.data[oc] : 0;
    const g = Math.floor(oc / og);
    for (let ci = 0; ci < cg; ci++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const iy = y * s - p + i * d, ix = xx * s - p + j * d;
      if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
      acc += w.data[((oc * cg + ci) * kh + i) * kw + j] * x.data[((ni * c + g * cg + ci) * h + iy) * wd + ix];
    }
    out.push(acc);
  }
  expect(c).toBe(cg * groups);
  return out;
}

/**
 * convTranspose2d from the definition: every input entry scatters x[n, c, iy, ix]·w[c, o, i, j] to
 * y[n, g·og + o, iy·s − p + i·d, ix·s − p + j·d] (c in group g), dropped where that falls outside.
 */
function naiveConvTranspose2d(x: Tensor, w: Tensor, b: Tensor | null, s: number, p: number, op: number, d: number, groups: number): { data: number[]; shape: number[] } {
  const [n, c, h, wd] = x.shape;
  const [, og, kh, kw] = w.shape;
  const o = og * groups, cg = c / groups;
  const ho = (h - 1) * s - 2 * p + d * (kh - 1) + op + 1;
  const wo = (wd - 1) * s - 2 * p + d * (kw - 1) + op + 1;
  const out = new Array<number>(n * o * ho * wo).fill(0);
  for (let ni = 0; ni < n; ni++) for (let ci = 0; ci < c; ci++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < wd; ix++) {
    const g = Math.floor(ci / cg);
    const v = x.data[((ni * c + ci) * h + iy) * wd + ix];
    for (let oc = 0; oc < og; oc++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const y = iy * s - p + i * d, xx = ix * s - p + j * d;
      if (y < 0 || y >= ho || xx < 0 || xx >= wo) continue;
      out[((ni * o + g * og + oc) * ho + y) * wo + xx] += v * w.data[((ci * og + oc) * kh + i) * kw + j];
    }
  }
  if (b) for (let i = 0; i < out.length; i++) out[i] += b.data[Math.floor(i / (ho * wo)) % o];
  return { data: out, shape: [n, o, ho, wo] };
}

/** Pooling from the definition; padded entries are −∞ (max) or zeros (average). */
function naivePool(x: Tensor, k: number, s: number, p: number, kind: "max" | "avg", includePad = true): number[] {
  const [n, c, h, w] = x.shape;
  const ho = Math.floor((h + 2 * p - k) / s) + 1, wo = Math.floor((w + 2 * p - k) / s) + 1;
  const out: number[] = [];
  for (let plane = 0; plane < n * c; plane++) for (let y = 0; y < ho; y++) for (let xx = 0; xx < wo; xx++) {
    let best = -Infinity, sum = 0, count = 0;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      const iy = y * s - p + i, ix = xx * s - p + j;
      const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
      if (inside) {
        const v = x.data[(plane * h + iy) * w + ix];
        best = Math.max(best, v);
        sum += v;
        count++;
      } else if (includePad) count++;
    }
    out.push(kind === "max" ? best : sum / count);
  }
  return out;
}

describe("conv2d and conv1d against the definition", () => {
  it("matches on shapes with stride, padding, dilation and groups (depthwise included)", () => {
    const configs = [
      { n: 2, c: 3, h: 7, w: 6, o: 4, k: 3, s: 1, p: 1, d: 1, g: 1 },
      { n: 1, c: 4, h: 9, w: 8, o: 6, k: 3, s: 2, p: 0, d: 2, g: 2 },
      { n: 2, c: 3, h: 6, w: 6, o: 3, k: 3, s: 1, p: 2, d: 1, g: 3 }, // depthwise
      { n: 1, c: 2, h: 5, w: 7, o: 2, k: 2, s: 3, p: 1, d: 1, g: 1 },
    ];
    for (const q of configs) {
      const x = randT([q.n, q.c, q.h, q.w]), w = randT([q.o, q.c / q.g, q.k, q.k]), b = randT([q.o]);
      const y = ops.conv2d(x, w, b, { stride: q.s, padding: q.p, dilation: q.d, groups: q.g });
      close(y.data, naiveConv2d(x, w, b, q.s, q.p, q.d, q.g), 1e-12);
      // float32 through the same path
      const y32 = ops.conv2d(x.cast("float32"), w.cast("float32"), b.cast("float32"), { stride: q.s, padding: q.p, dilation: q.d, groups: q.g });
      expect(y32.dtype).toBe("float32");
      close(y32.data, y.data, 1e-5);
    }
  });

  it("a batch equals its samples convolved one at a time, forward and gradients (column buffers are shared between calls)", () => {
    const n = 4, per = 2 * 32 * 32, perOut = 6 * 32 * 32;
    const x = randT([n, 2, 32, 32], true), w = randT([6, 1, 3, 3], true), b = randT([6], true);
    const options = { padding: 1, groups: 2 };
    const y = ops.conv2d(x, w, b, options);
    const r = randT(y.shape);
    y.mul(r).sum().backward();
    const gw = Float64Array.from(w.grad!.data), gb = Float64Array.from(b.grad!.data);
    w.zeroGrad();
    b.zeroGrad();
    for (let s = 0; s < n; s++) {
      const xs = new Tensor(x.data.slice(s * per, (s + 1) * per), [1, 2, 32, 32], true);
      const ys = ops.conv2d(xs, w, b, options);
      close(ys.data, y.data.subarray(s * perOut, (s + 1) * perOut), 1e-12);
      close(ys.data, naiveConv2d(xs, w, b, 1, 1, 1, 2), 1e-12);
      ys.mul(new Tensor(r.data.slice(s * perOut, (s + 1) * perOut), ys.shape)).sum().backward();
      close(xs.grad!.data, x.grad!.data.subarray(s * per, (s + 1) * per), 1e-12);
    }
    close(w.grad!.data, gw, 1e-10);
    close(b.grad!.data, gb, 1e-10);
  });

  it('padding "same" keeps the size, with the odd extra on the bottom and right (PyTorch)', () => {
    const x = randT([1, 2, 5, 6]), w = randT([3, 2, 2, 4]);
    const y = ops.conv2d(x, w, null, { padding: "same" });
    expect(y.shape).toEqual([1, 3, 5, 6]);
    // Kernel 2×4: total pad 1 (0 top, 1 bottom) and 3 (1 left, 2 right): equals a conv on the explicitly padded input.
    const padded = new Tensor(new Float64Array(2 * 6 * 9), [1, 2, 6, 9]);
    for (let c = 0; c < 2; c++) for (let i = 0; i < 5; i++) for (let j = 0; j < 6; j++) padded.data[(c * 6 + i) * 9 + j + 1] = x.data[(c * 5 + i) * 6 + j];
    close(y.data, ops.conv2d(padded, w, null).data, 1e-12);
  });

  it("conv1d is the 2-D convolution on a height of 1", () => {
    const x = randT([2, 4, 11]), w = randT([6, 2, 3]), b = randT([6]);
    const y = ops.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2, groups: 2 });
    // Compare against the 2-D conv with horizontal-only stride/padding/dilation.
    const y2 = ops.conv2d(x.reshape([2, 4, 1, 11]), w.reshape([6, 2, 1, 3]), b, { stride: [1, 2], padding: [0, 1], dilation: [1, 2], groups: 2 });
    expect(y.shape).toEqual([2, 6, 5]);
    close(y.data, y2.data, 1e-12);
  });

  it("rejects channel counts that groups do not divide", () => {
    expect(() => ops.conv2d(randT([1, 3, 4, 4]), randT([4, 1, 3, 3]), null, { groups: 2 })).toThrow(/groups/);
  });
});

describe("convTranspose2d against the definition", () => {
  it("matches with stride, padding, outputPadding, dilation and groups", () => {
    const configs = [
      { n: 2, c: 3, h: 4, w: 5, o: 2, k: 3, s: 2, p: 1, op: 1, d: 1, g: 1 },
      { n: 1, c: 4, h: 3, w: 3, o: 6, k: 2, s: 1, p: 0, op: 0, d: 2, g: 2 },
      { n: 2, c: 3, h: 5, w: 4, o: 3, k: 3, s: 3, p: 2, op: 2, d: 1, g: 3 },
      { n: 1, c: 2, h: 3, w: 6, o: 5, k: 4, s: 2, p: 1, op: 0, d: 2, g: 1 },
    ];
    for (const q of configs) {
      const x = randT([q.n, q.c, q.h, q.w]), w = randT([q.c, q.o / q.g, q.k, q.k]), b = randT([q.o]);
      const options = { stride: q.s, padding: q.p, outputPadding: q.op, dilation: q.d, groups: q.g };
      const y = ops.convTranspose2d(x, w, b, options);
      const want = naiveConvTranspose2d(x, w, b, q.s, q.p, q.op, q.d, q.g);
      expect(y.shape).toEqual(want.shape);
      close(y.data, want.data, 1e-12);
      const y32 = ops.convTranspose2d(x.cast("float32"), w.cast("float32"), b.cast("float32"), options);
      expect(y32.dtype).toBe("float32");
      close(y32.data, y.data, 1e-5);
    }
  });

  it("is the adjoint of conv2d: <convT(x, w), y> = <x, conv2d(y, w)>", () => {
    const x = randT([2, 4, 5, 5]), w = randT([4, 3, 3, 3]), y = randT([2, 3, 10, 10]);
    const options = { stride: 2, padding: 1, outputPadding: 1 };
    const left = ops.convTranspose2d(x, w, null, options).mul(y).sum().item();
    // conv2d's weight is [out, in, …]: the same array read as [4 outputs, 3 inputs].
    const right = ops.conv2d(y, w, null, { stride: 2, padding: 1 }).mul(x).sum().item();
    expect(Math.abs(left - right)).toBeLessThan(1e-10 * Math.max(1, Math.abs(left)));
  });

  it("rejects an outputPadding not below max(stride, dilation), and weights of the wrong layout", () => {
    expect(() => ops.convTranspose2d(randT([1, 2, 3, 3]), randT([2, 1, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding/);
    expect(() => ops.convTranspose2d(randT([1, 2, 3, 3]), randT([3, 2, 3, 3]))).toThrow(/input channels/);
  });
});

describe("pooling against the definition", () => {
  it("max and average pooling, with stride and padding", () => {
    for (const [k, s, p] of [[2, 2, 0], [3, 1, 1], [3, 2, 1], [2, 1, 0]]) {
      const x = randT([2, 3, 7, 6]);
      close(ops.maxPool2d(x, k, { stride: s, padding: p }).data, naivePool(x, k, s, p, "max"), 1e-12);
      close(ops.avgPool2d(x, k, { stride: s, padding: p }).data, naivePool(x, k, s, p, "avg"), 1e-12);
      close(ops.avgPool2d(x, k, { stride: s, padding: p, countIncludePad: false }).data, naivePool(x, k, s, p, "avg", false), 1e-12);
    }
  });

  it("a tie sends max pooling's gradient to the first maximal entry", () => {
    const x = new Tensor(Float64Array.from([1, 5, 5, 2, 0, 5, 5, 5]), [1, 1, 2, 4], true);
    ops.maxPool2d(x, 2).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
    const v = new Tensor(Float64Array.from([3, 3, 1, 4]), [1, 1, 4], true);
    ops.maxPool1d(v, 2).sum().backward();
    expect(Array.from(v.grad!.data)).toEqual([1, 0, 0, 1]);
  });

  it("adaptiveAvgPool2d(1) is the global mean; other sizes use PyTorch's overlapping windows", () => {
    const x = randT([2, 3, 5, 4]);
    close(ops.adaptiveAvgPool2d(x, 1).data, x.mean([2, 3]).data, 1e-12);
    // 5 → 3 rows: windows [0,2) [1,4) [3,5); 4 → 2 columns: [0,2) [2,4).
    const y = ops.adaptiveAvgPool2d(x, [3, 2]);
    const at = (r0: number, r1: number, c0: number, c1: number) => {
      let s = 0;
      for (let i = r0; i < r1; i++) for (let j = c0; j < c1; j++) s += x.data[i * 4 + j];
      return s / ((r1 - r0) * (c1 - c0));
    };
    close(Array.from(y.data.slice(0, 6)), [at(0, 2, 0, 2), at(0, 2, 2, 4), at(1, 4, 0, 2), at(1, 4, 2, 4), at(3, 5, 0, 2), at(3, 5, 2, 4)], 1e-12);
  });

  it("avgPool1d and maxPool1d match the 2-D ops on a height of 1", () => {
    const x = randT([2, 3, 9]);
    const x4 = x.reshape([2, 3, 1, 9]);
    close(ops.avgPool1d(x, 3, { stride: 2, padding: 1 }).data, ops.avgPool2d(x4, [1, 3], { stride: [1, 2], padding: [0, 1] }).data, 1e-12);
    close(ops.maxPool1d(x, 3, { stride: 2, padding: 1 }).data, ops.maxPool2d(x4, [1, 3], { stride: [1, 2], padding: [0, 1] }).data, 1e-12);
  });
});

describe("against TensorFlow.js on identical weights", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let tf: any;
  beforeAll(async () => {
    tf = await loadTfjs(process.cwd());
    await tf.setBackend("cpu");
  }, 60_000);

  /** NCHW data → a tfjs NHWC tensor. */
  const toNhwc = (t: Tensor) => tf.transpose(tf.tensor(Array.from(t.data), t.shape), [0, 2, 3, 1]);
  const fromNhwc = (t: { shape: number[]; dataSync(): Float32Array }, nchw: readonly number[]) =>
    Array.from(tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array).slice(0, nchw.reduce((a, b) => a * b, 1));

  it("conv2d forward and gradients (stride, padding, dilation)", () => {
    for (const q of [{ s: 1, p: 1, d: 1 }, { s: 2, p: 0, d: 1 }, { s: 1, p: 2, d: 2 }]) {
      const x = randT([2, 3, 8, 7], true), w = randT([4, 3, 3, 3], true);
      const y = ops.conv2d(x, w, null, { stride: q.s, padding: q.p, dilation: q.d });
      const r = randT(y.shape);
      y.mul(r).sum().backward();
      const tx = toNhwc(x);
      const tw = tf.transpose(tf.tensor(Array.from(w.data), w.shape), [2, 3, 1, 0]); // [kH, kW, in, out]
      const tr = toNhwc(r);
      const pad = [[0, 0], [q.p, q.p], [q.p, q.p], [0, 0]];
      const f = (a: unknown, b: unknown) => tf.sum(tf.mul(tf.conv2d(a, b, q.s, pad, "NHWC", q.d), tr));
      const ty = tf.conv2d(tx, tw, q.s, pad, "NHWC", q.d);
      close(y.data, fromNhwc(ty, y.shape), 1e-4);
      if (q.d > 1) continue; // tfjs has no conv2d gradient for dilation > 1 (the registry walk checks ours)
      const [gx, gw] = tf.grads(f)([tx, tw]);
      close(x.grad!.data, fromNhwc(gx, x.shape), 1e-4);
      close(w.grad!.data, Array.from(tf.transpose(gw, [3, 2, 0, 1]).dataSync() as Float32Array), 1e-4);
    }
  });

  it("depthwise conv2d (groups = channels) matches tf.depthwiseConv2d", () => {
    const x = randT([2, 3, 6, 6], true), w = randT([3, 1, 3, 3], true);
    const y = ops.conv2d(x, w, null, { padding: "same", groups: 3 });
    const r = randT(y.shape);
    y.mul(r).sum().backward();
    const tx = toNhwc(x);
    const tw = tf.transpose(tf.tensor(Array.from(w.data), w.shape), [2, 3, 0, 1]); // [kH, kW, C, 1]
    const tr = toNhwc(r);
    close(y.data, fromNhwc(tf.depthwiseConv2d(tx, tw, 1, "same"), y.shape), 1e-4);
    const [gx, gw] = tf.grads((a: unknown, b: unknown) => tf.sum(tf.mul(tf.depthwiseConv2d(a, b, 1, "same"), tr)))([tx, tw]);
    close(x.grad!.data, fromNhwc(gx, x.shape), 1e-4);
    close(w.grad!.data, Array.from(tf.transpose(gw, [2, 3, 0, 1]).dataSync() as Float32Array), 1e-4);
  });

  it("convTranspose2d forward and gradients match tf.conv2dTranspose (stride, padding, outputPadding)", () => {
    for (const q of [{ s: 1, p: 0, op: 0, k: 3 }, { s: 2, p: 1, op: 1, k: 3 }, { s: 2, p: 0, op: 0, k: 2 }, { s: 3, p: 1, op: 2, k: 4 }]) {
      const x = randT([2, 3, 5, 4], true), w = randT([3, 4, q.k, q.k], true), b = randT([4], true);
      const y = ops.convTranspose2d(x, w, b, { stride: q.s, padding: q.p, outputPadding: q.op });
      const r = randT(y.shape);
      y.mul(r).sum().backward();
      const [, o, ho, wo] = y.shape;
      const tx = toNhwc(x);
      const tw = tf.transpose(tf.tensor(Array.from(w.data), w.shape), [2, 3, 1, 0]); // [kH, kW, out, in]
      const tb = tf.tensor(Array.from(b.data));
      const tr = toNhwc(r);
      // tf.conv2dTranspose is conv2d's gradient for an image of outputShape: explicit padding p there is ours.
      const pad = [[0, 0], [q.p, q.p], [q.p, q.p], [0, 0]];
      const fwd = (a: unknown, ww: unknown, bb: unknown) => tf.add(tf.conv2dTranspose(a, ww, [2, ho, wo, o], q.s, pad), bb);
      close(y.data, fromNhwc(fwd(tx, tw, tb), y.shape), 1e-4);
      const [gx, gw, gb] = tf.grads((a: unknown, ww: unknown, bb: unknown) => tf.sum(tf.mul(fwd(a, ww, bb), tr)))([tx, tw, tb]);
      close(x.grad!.data, fromNhwc(gx, x.shape), 1e-4);
      close(w.grad!.data, Array.from(tf.transpose(gw, [3, 2, 0, 1]).dataSync() as Float32Array), 1e-4);
      close(b.grad!.data, Array.from(gb.dataSync() as Float32Array), 1e-4);
    }
  });

  it("max and average pooling forward and gradients", () => {
    for (const [k, s] of [[2, 2], [3, 1], [3, 2]]) {
      for (const kind of ["max", "avg"] as const) {
        const x = randT([2, 3, 8, 7], true);
        const y = kind === "max" ? ops.maxPool2d(x, k, { stride: s }) : ops.avgPool2d(x, k, { stride: s });
        const r = randT(y.shape);
        y.mul(r).sum().backward();
        const tx = toNhwc(x), tr = toNhwc(r);
        const pool = (a: unknown) => (kind === "max" ? tf.maxPool(a, k, s, "valid") : tf.avgPool(a, k, s, "valid"));
        close(y.data, fromNhwc(pool(tx), y.shape), 1e-5);
        const [gx] = tf.grads((a: unknown) => tf.sum(tf.mul(pool(a), tr)))([tx]);
        close(x.grad!.data, fromNhwc(gx, x.shape), 1e-5);
      }
    }
  });
});
