/**
 * MultiheadAttention's per-head entropy (recorded while a step is recorded): uniform attention gives
 * log(keys) exactly, one-hot attention 0, a hand-computed distribution its value; masks change the
 * uniform reference; rows with every key masked are left out.
 */
import { describe, expect, it } from "vitest";
import { Tensor, nn } from "../../src";
import { attentionEntropy } from "../../src/nn/attention";
import { recordStep } from "../helpers/taps";

/** Runs `fn` as a recorded step's forward pass and returns the step's attention statistics. */
const recorded = (fn: () => void) => recordStep(fn).step?.attention;

const seq = (b: number, t: number, e: number) => new Tensor(Float64Array.from({ length: b * t * e }, (_, i) => Math.cos(1.3 * i + 0.4)), [b, t, e]);

describe("attention entropy", () => {
  it("uniform attention (zero query projection): every head's entropy is log(T)", () => {
    const T = 5;
    const m = new nn.MultiheadAttention(4, 2);
    m.qProj.weight.data.fill(0);
    const a = recorded(() => m.call(seq(3, T, 4)));
    expect(a).toHaveLength(1);
    expect(a![0].layer).toBe("model");
    expect(a![0].entropy).toHaveLength(2);
    for (const e of a![0].entropy) expect(e).toBeCloseTo(Math.log(T), 13);
    expect(a![0].uniformEntropy).toBeCloseTo(Math.log(T), 13);
  });

  it("one-hot attention (each query matches only its own key, scores 5000 apart): entropy 0", () => {
    const m = new nn.MultiheadAttention(4, 1);
    for (const p of [m.qProj, m.kProj]) {
      p.weight.data.fill(0);
      for (let i = 0; i < 4; i++) p.weight.data[i * 4 + i] = 100;
    }
    // x_t = e_t: q_i·k_j = 10⁴·δ_ij, over √4.
    const x = new Tensor(new Float64Array(16), [1, 4, 4]);
    for (let t = 0; t < 4; t++) x.data[t * 4 + t] = 1;
    const a = recorded(() => m.call(x));
    expect(a![0].entropy[0]).toBeLessThan(1e-12);
    expect(a![0].uniformEntropy).toBeCloseTo(Math.log(4), 13);
  });

  it("causal and padding masks: uniform attention over the keys each query may see", () => {
    const causal = new nn.MultiheadAttention(2, 1, { causal: true });
    causal.qProj.weight.data.fill(0);
    const a = recorded(() => causal.call(seq(2, 4, 2)));
    const expected = (Math.log(1) + Math.log(2) + Math.log(3) + Math.log(4)) / 4;
    expect(a![0].entropy[0]).toBeCloseTo(expected, 13);
    expect(a![0].uniformEntropy).toBeCloseTo(expected, 13);

    const padded = new nn.MultiheadAttention(2, 1);
    padded.qProj.weight.data.fill(0);
    // Batch 0 pads its last key; batch 1 none.
    const mask = new Tensor(Float64Array.from([0, 0, 1, 0, 0, 0]), [2, 3]);
    const b = recorded(() => padded.call(seq(2, 3, 2), undefined, undefined, { keyPaddingMask: mask }));
    expect(b![0].entropy[0]).toBeCloseTo((Math.log(2) + Math.log(3)) / 2, 13);
  });

  it("attentionEntropy on given weights: −Σ p log p per row, means over rows; NaN rows left out", () => {
    const w = new Tensor(Float64Array.from([0.5, 0.25, 0.25, 0, 1, 0, NaN, NaN, NaN]), [1, 1, 3, 3]);
    const { entropy, uniform, rows } = attentionEntropy(w, null);
    expect(rows).toBe(2);
    expect(entropy[0]).toBeCloseTo((1.5 * Math.LN2 + 0) / 2, 15);
    expect(uniform).toBeCloseTo(Math.log(3), 15);
  });

  it("averages a layer called twice in a step, weighted by rows", () => {
    const m = new nn.MultiheadAttention(2, 1);
    m.qProj.weight.data.fill(0);
    const a = recorded(() => {
      m.call(seq(1, 2, 2));
      m.call(seq(1, 4, 2));
    });
    // Rows weigh: 2 queries with log 2 and 4 with log 4.
    expect(a![0].entropy[0]).toBeCloseTo((2 * Math.log(2) + 4 * Math.log(4)) / 6, 13);
  });
});
