/**
 * Residual, multi-head attention against softmax(QKᵀ/√d)V written out with plain arrays, the causal and
 * key padding masks, gradients against central differences, and the encoder layer's two orders.
 */
import { describe, expect, it } from "vitest";
import { Random, Tensor, nn, ops } from "../../src";
import { checkAgainstNumeric } from "../helpers/numeric";

function randomInput(shape: number[], seed: number): Tensor {
  const rng = new Random(seed);
  return new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.normal()), shape);
}

/** rows of x·W + b for a (batch, time, E) input and a Linear layer. */
function project(x: Tensor, l: nn.Linear): number[][][] {
  const [B, T, E] = x.shape;
  const O = l.outFeatures;
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from({ length: O }, (_, o) => {
    let s = l.bias ? l.bias.data[o] : 0;
    for (let e = 0; e < E; e++) s += x.data[(b * T + t) * E + e] * l.weight.data[e * O + o];
    return s;
  })));
}

/** Hand-written multi-head attention: per head softmax(q·kᵀ/√d)·v, concatenated, through outProj. */
function referenceAttention(m: nn.MultiheadAttention, q: Tensor, k: Tensor, v: Tensor, allowed: (b: number, i: number, j: number) => boolean): number[] {
  const [Q, K, V] = [project(q, m.qProj), project(k, m.kProj), project(v, m.vProj)];
  const d = m.headDim;
  const out: number[] = [];
  for (let b = 0; b < Q.length; b++) {
    for (let i = 0; i < Q[b].length; i++) {
      const concat: number[] = [];
      for (let h = 0; h < m.numHeads; h++) {
        const scores = K[b].map((kj, j) => {
          if (!allowed(b, i, j)) return -Infinity;
          let s = 0;
          for (let c = 0; c < d; c++) s += Q[b][i][h * d + c] * kj[h * d + c];
          return s / Math.sqrt(d);
        });
        const mx = Math.max(...scores);
        const w = scores.map((s) => Math.exp(s - mx));
        const z = w.reduce((a, c) => a + c, 0);
        for (let c = 0; c < d; c++) concat.push(w.reduce((a, wj, j) => a + (wj / z) * V[b][j][h * d + c], 0));
      }
      const E = m.embedDim;
      for (let o = 0; o < E; o++) {
        let s = m.outProj.bias!.data[o];
        for (let e = 0; e < E; e++) s += concat[e] * m.outProj.weight.data[e * E + o];
        out.push(s);
      }
    }
  }
  return out;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol);
};

/** Nonzero biases so the reference exercises them (the init zeroes them). */
function jitterBiases(m: nn.Module, seed: number): void {
  const rng = new Random(seed);
  for (const [name, p] of m.namedParameters()) if (name.endsWith("bias")) p.data.forEach((_, i) => { p.data[i] = rng.normal(0, 0.3); });
}

describe("MultiheadAttention", () => {
  const [B, T, S, E, H] = [2, 4, 5, 6, 3];

  it("cross-attention equals softmax(QKᵀ/√d)V per head by hand", () => {
    const m = new nn.MultiheadAttention(E, H, { rng: new Random(1) });
    jitterBiases(m, 2);
    const [q, k, v] = [randomInput([B, T, E], 3), randomInput([B, S, E], 4), randomInput([B, S, E], 5)];
    const y = m.call(q, k, v);
    expect(y.shape).toEqual([B, T, E]);
    close(y.data, referenceAttention(m, q, k, v, () => true));
  });

  it("key padding mask: masked keys get no weight", () => {
    const m = new nn.MultiheadAttention(E, H, { rng: new Random(6) });
    const [q, k] = [randomInput([B, T, E], 7), randomInput([B, S, E], 8)];
    const pad = new Tensor(Float64Array.from([0, 0, 0, 1, 1, 0, 1, 0, 0, 0]), [B, S]);
    const y = m.call(q, k, k, { keyPaddingMask: pad });
    close(y.data, referenceAttention(m, q, k, k, (b, _i, j) => pad.data[b * S + j] === 0));
    // Changing a padded key changes nothing.
    const moved = new Tensor(Float64Array.from(k.data), k.shape);
    for (let e = 0; e < E; e++) moved.data[(0 * S + 3) * E + e] += 10;
    close(m.call(q, moved, moved, { keyPaddingMask: pad }).data, y.data);
  });

  it("causal: the output at t is independent of inputs after t, and matches the masked reference", () => {
    const m = new nn.MultiheadAttention(E, H, { causal: true, rng: new Random(9) });
    jitterBiases(m, 10);
    const x = randomInput([B, T, E], 11);
    const y = m.call(x);
    close(y.data, referenceAttention(m, x, x, x, (_b, i, j) => j <= i));
    for (let t = 0; t < T - 1; t++) {
      const changed = new Tensor(Float64Array.from(x.data), x.shape);
      for (let b = 0; b < B; b++) for (let u = t + 1; u < T; u++) for (let e = 0; e < E; e++) changed.data[(b * T + u) * E + e] = 5 * Math.sin(b + u + e);
      const y2 = m.call(changed);
      for (let b = 0; b < B; b++) for (let u = 0; u < T; u++) for (let e = 0; e < E; e++) {
        const i = (b * T + u) * E + e;
        if (u <= t) expect(Math.abs(y2.data[i] - y.data[i])).toBeLessThan(1e-12);
      }
      // And a later output does change (the mask is not hiding everything).
      expect(Math.abs(y2.data[(T - 1) * E] - y.data[(T - 1) * E])).toBeGreaterThan(1e-6);
    }
  });

  it("gradients to inputs and every parameter match central differences, with both masks", () => {
    const m = new nn.MultiheadAttention(4, 2, { causal: true, rng: new Random(12) });
    jitterBiases(m, 13);
    const x = randomInput([2, 3, 4], 14);
    const pad = new Tensor(Float64Array.from([0, 0, 1, 0, 0, 0]), [2, 3]);
    const params = m.parameters();
    const check = checkAgainstNumeric((xi) => m.call(xi, xi, xi, { keyPaddingMask: pad }), [x, ...params]);
    expect(check.worstExcess).toBeLessThanOrEqual(0);
    // Relative error is meaningless on the masked entries (both ~0); the absolute one is not.
    expect(check.maxAbsError).toBeLessThan(1e-7);
  });

  it("rejects an embedDim not divisible by numHeads", () => {
    expect(() => new nn.MultiheadAttention(6, 4)).toThrow(/divisible/);
  });
});

describe("Residual and TransformerEncoderLayer", () => {
  it("Residual adds its input: x + f(x), and refuses shape changes", () => {
    const f = new nn.Linear(3, 3, { rng: new Random(1) });
    const x = randomInput([2, 3], 2);
    close(new nn.Residual(f).call(x).data, ops.add(x, f.call(x)).data);
    expect(() => new nn.Residual(new nn.Linear(3, 2)).call(x)).toThrow(/same shape/);
  });

  it.each([false, true])("normFirst %s: the layer equals its blocks composed in that order", (normFirst) => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, normFirst, rng: new Random(3) });
    const x = randomInput([2, 3, 4], 4);
    const attn = (h: Tensor) => layer.selfAttn.call(h);
    const ff = (h: Tensor) => layer.linear2.call(ops.relu(layer.linear1.call(h)));
    let want: Tensor;
    if (normFirst) {
      const h = ops.add(x, attn(layer.norm1.call(x)));
      want = ops.add(h, ff(layer.norm2.call(h)));
    } else {
      const h = layer.norm1.call(ops.add(x, attn(x)));
      want = layer.norm2.call(ops.add(h, ff(h)));
    }
    const y = layer.call(x);
    expect(y.shape).toEqual([2, 3, 4]);
    close(y.data, want.data);
    const check = checkAgainstNumeric((xi) => layer.call(xi), [x, ...layer.parameters()]);
    expect(check.worstExcess).toBeLessThanOrEqual(0);
  });
});
