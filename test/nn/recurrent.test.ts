/**
 * Recurrent layers against the cell equations written out by hand with plain arrays (PyTorch's gate
 * order and layout), gradients through time against central differences in float64, and the LSTM's
 * forward against TensorFlow.js on identical weights.
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { Random, Tensor, nn, ops, tensor } from "../../src";
import { checkAgainstNumeric } from "../helpers/numeric";

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function randomInput(batch: number, time: number, features: number, seed = 1): Tensor {
  const rng = new Random(seed);
  const data = new Float64Array(batch * time * features).map(() => rng.normal());
  return new Tensor(data, [batch, time, features]);
}

/** Plain arrays of one layer's parameters: W[in][gates·H] etc. */
function arrays(m: nn.Module, l: number) {
  const p = new Map(m.namedParameters());
  const mat = (name: string) => {
    const t = p.get(name)!;
    return Array.from({ length: t.shape[0] }, (_, i) => Array.from(t.data.slice(i * t.shape[1], (i + 1) * t.shape[1])));
  };
  return { wih: mat(`weightIhL${l}`), whh: mat(`weightHhL${l}`), bih: Array.from(p.get(`biasIhL${l}`)!.data), bhh: Array.from(p.get(`biasHhL${l}`)!.data) };
}

/** x·W + b for one row: column j of the gate block. */
function affine(x: number[], w: number[][], b: number[], j: number): number {
  let s = b[j];
  for (let k = 0; k < x.length; k++) s += x[k] * w[k][j];
  return s;
}

/** Runs a hand-written cell over (batch, time, features) arrays for every layer; returns outputs and final states. */
function reference(x: Tensor, m: nn.Module, numLayers: number, H: number, step: (xt: number[], h: number[], c: number[], p: ReturnType<typeof arrays>) => [number[], number[]]) {
  const [B, T, F] = x.shape;
  let seq = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from(x.data.slice((b * T + t) * F, (b * T + t + 1) * F))));
  const finalH: number[][] = [];
  const finalC: number[][] = [];
  for (let l = 0; l < numLayers; l++) {
    const p = arrays(m, l);
    seq = seq.map((rows, b) => {
      let h = new Array(H).fill(0);
      let c = new Array(H).fill(0);
      const out = rows.map((xt) => { [h, c] = step(xt, h, c, p); return h; });
      finalH[l * B + b] = h;
      finalC[l * B + b] = c;
      return out;
    });
  }
  return { out: seq.flat(2), h: finalH.flat(), c: finalC.flat() };
}

const lstmStep = (H: number) => (xt: number[], h: number[], c: number[], p: ReturnType<typeof arrays>): [number[], number[]] => {
  const z = (j: number) => affine(xt, p.wih, p.bih, j) + affine(h, p.whh, p.bhh, j);
  const c2 = c.map((cj, j) => sigmoid(z(H + j)) * cj + sigmoid(z(j)) * Math.tanh(z(2 * H + j)));
  return [c2.map((cj, j) => sigmoid(z(3 * H + j)) * Math.tanh(cj)), c2];
};

const gruStep = (H: number) => (xt: number[], h: number[], c: number[], p: ReturnType<typeof arrays>): [number[], number[]] => {
  const gi = (j: number) => affine(xt, p.wih, p.bih, j);
  const gh = (j: number) => affine(h, p.whh, p.bhh, j);
  const h2 = h.map((hj, j) => {
    const r = sigmoid(gi(j) + gh(j));
    const z = sigmoid(gi(H + j) + gh(H + j));
    const n = Math.tanh(gi(2 * H + j) + r * gh(2 * H + j));
    return (1 - z) * n + z * hj;
  });
  return [h2, c];
};

const rnnStep = (act: (v: number) => number) => (xt: number[], h: number[], c: number[], p: ReturnType<typeof arrays>): [number[], number[]] =>
  [h.map((_, j) => act(affine(xt, p.wih, p.bih, j) + affine(h, p.whh, p.bhh, j))), c];

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol);
};

describe("recurrent layers against the cell equations by hand", () => {
  const B = 2, T = 4, F = 3, H = 5;

  it("LSTM (2 layers): outputs (batch, time, hidden) and final h, c", () => {
    const m = new nn.LSTM(F, H, { numLayers: 2, rng: new Random(3) });
    const x = randomInput(B, T, F);
    const y = m.call(x);
    expect(y.shape).toEqual([B, T, H]);
    const ref = reference(x, m, 2, H, lstmStep(H));
    close(y.data, ref.out);
    expect(m.state!.h.shape).toEqual([2, B, H]);
    close(m.state!.h.data, ref.h);
    close(m.state!.c.data, ref.c);
  });

  it("GRU (2 layers): PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))", () => {
    const m = new nn.GRU(F, H, { numLayers: 2, rng: new Random(4) });
    const x = randomInput(B, T, F);
    const y = m.call(x);
    const ref = reference(x, m, 2, H, gruStep(H));
    close(y.data, ref.out);
    close(m.state!.data, ref.h);
  });

  it.each(["tanh", "relu"] as const)("RNN (%s)", (nonlinearity) => {
    const m = new nn.RNN(F, H, { nonlinearity, rng: new Random(5) });
    const x = randomInput(B, T, F);
    const ref = reference(x, m, 1, H, rnnStep(nonlinearity === "tanh" ? Math.tanh : (v) => Math.max(0, v)));
    close(m.call(x).data, ref.out);
    close(m.state!.data, ref.h);
  });

  it("batchFirst: false reads and writes (time, batch, features)", () => {
    const a = new nn.GRU(F, H, { rng: new Random(6) });
    const b = new nn.GRU(F, H, { rng: new Random(6), batchFirst: false });
    const x = randomInput(B, T, F);
    const ya = a.call(x);
    const yb = b.call(ops.transpose(x, 0, 1));
    expect(yb.shape).toEqual([T, B, H]);
    close(ops.transpose(yb, 0, 1).data, ya.data);
  });

  it("an initial state continues a sequence: two halves equal the whole", () => {
    const m = new nn.LSTM(F, H, { numLayers: 2, rng: new Random(7) });
    const x = randomInput(B, 6, F);
    const whole = m.call(x);
    const first = m.call(ops.slice(x, 1, 0, 3));
    const { h, c } = m.state!;
    const second = m.call(ops.slice(x, 1, 3), h, c);
    close(ops.concat([first, second], 1).data, whole.data);
  });

  it("PyTorch's default init: every weight and bias in U(±1/√hidden); forgetBias shifts only b_ih's f block", () => {
    const hidden = 16;
    const m = new nn.LSTM(10, hidden, { forgetBias: 1, rng: new Random(8) });
    const a = 1 / Math.sqrt(hidden);
    for (const [name, p] of m.namedParameters()) {
      if (name === "biasIhL0") {
        p.data.forEach((v, i) => (i >= hidden && i < 2 * hidden ? expect(Math.abs(v - 1)).toBeLessThanOrEqual(a) : expect(Math.abs(v)).toBeLessThanOrEqual(a)));
      } else {
        p.data.forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(a));
        expect(Math.max(...Array.from(p.data, Math.abs))).toBeGreaterThan(0.8 * a);
      }
    }
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ["weightIhL0", [10, 64]], ["weightHhL0", [16, 64]], ["biasIhL0", [64]], ["biasHhL0", [64]],
    ]);
  });

  it("float32 weights and inputs give float32 outputs close to float64; bias: false has weights only", () => {
    const m64 = new nn.GRU(F, H, { rng: new Random(9) });
    const m32 = new nn.GRU(F, H, { rng: new Random(9), dtype: "float32" });
    const x = randomInput(B, T, F);
    const y32 = m32.call(ops.cast(x, "float32"));
    expect(y32.dtype).toBe("float32");
    close(y32.data, m64.call(x).data, 1e-5);
    expect(new nn.LSTM(F, H, { bias: false }).namedParameters().map(([n]) => n)).toEqual(["weightIhL0", "weightHhL0"]);
  });

  it("rejects inputs with the wrong rank or feature count", () => {
    const m = new nn.RNN(3, 4);
    expect(() => m.call(tensor([[1, 2, 3]]))).toThrow(/3-D/);
    expect(() => m.call(randomInput(1, 2, 5))).toThrow(/5 features, expected 3/);
  });
});

describe("backpropagation through time is exact (float64 central differences)", () => {
  const cases: Array<[string, () => nn.Module]> = [
    ["RNN tanh", () => new nn.RNN(2, 3, { numLayers: 2, rng: new Random(11) })],
    ["RNN relu", () => new nn.RNN(2, 3, { nonlinearity: "relu", rng: new Random(12) })],
    ["LSTM", () => new nn.LSTM(2, 3, { numLayers: 2, forgetBias: 1, rng: new Random(13) })],
    ["GRU", () => new nn.GRU(2, 3, { numLayers: 2, rng: new Random(14) })],
  ];
  it.each(cases)("%s: input, initial state and every parameter", (_name, make) => {
    const m = make();
    const x = randomInput(2, 5, 2, 21);
    const layers = (m as nn.RNN).numLayers;
    const h0 = randomInput(layers, 2, 3, 22);
    const params = m.parameters();
    const f = (xi: Tensor, hi: Tensor) => {
      const y = m.call(xi, hi);
      const state = m instanceof nn.LSTM ? m.state!.c : (m as nn.RNN).state!;
      return ops.concat([ops.reshape(y, [-1]), ops.reshape(state, [-1])], 0);
    };
    const check = checkAgainstNumeric((xi, hi, ...ps) => {
      ps.forEach((p, i) => { params[i].data.set(p.data); });
      return f(xi, hi);
    }, [x, h0, ...params.map((p) => p)]);
    expect(check.worstExcess).toBeLessThanOrEqual(0);
    expect(check.maxRelError).toBeLessThan(1e-5);
  });
});

describe("LSTM against TensorFlow.js on identical weights", () => {
  it("matches a cell written with tf ops (gate order i, f, g, o)", async () => {
    await tf.setBackend("cpu");
    const [B, T, F, H] = [3, 6, 4, 5];
    const m = new nn.LSTM(F, H, { forgetBias: 1, rng: new Random(31) });
    const x = randomInput(B, T, F, 32);
    const ours = m.call(x);
    const p = new Map(m.namedParameters());
    const w = (n: string) => tf.tensor(Array.from(p.get(n)!.data), [...p.get(n)!.shape]);
    // One kernel [F + H, 4H] and one bias, as tf.basicLSTMCell takes them; TF's gate order is i, j(=g), f, o.
    const kernel = tf.concat([w("weightIhL0"), w("weightHhL0")], 0);
    const bias = tf.add(w("biasIhL0"), w("biasHhL0"));
    const reorder = (t: tf.Tensor) => {
      const [i, f, g, o] = tf.split(t, 4, -1);
      return tf.concat([i, g, f, o], -1);
    };
    const tfKernel = reorder(kernel) as tf.Tensor2D;
    const tfBias = reorder(bias) as tf.Tensor1D;
    const xs = tf.tensor(Array.from(x.data), [B, T, F]);
    let c: tf.Tensor2D = tf.zeros([B, H]);
    let h: tf.Tensor2D = tf.zeros([B, H]);
    const outs: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const xt = tf.reshape(tf.slice(xs, [0, t, 0], [B, 1, F]), [B, F]) as tf.Tensor2D;
      [c, h] = tf.basicLSTMCell(tf.scalar(0), tfKernel, tfBias, xt, c, h) as [tf.Tensor2D, tf.Tensor2D];
      outs.push(tf.reshape(h, [B, 1, H]));
    }
    const theirs = await tf.concat(outs, 1).data();
    close(ours.data, theirs, 2e-6);
  });
});
