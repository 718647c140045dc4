/** The statistics kernels against direct (slow, obvious) computations. */
import { describe, expect, it } from "vitest";
import { Random, Tensor } from "../../src/engine";
import { allFinite, GradAccumulator, HISTOGRAM_BINS, HISTOGRAM_LOG10_MAX, HISTOGRAM_LOG10_MIN, HISTOGRAM_MIN_EXP, histogramEdges } from "../../src/instrument/stats";
import { recordedSteps } from "../../src/instrument/recorder";

describe("GradAccumulator", () => {
  it("matches a direct computation, histogram bins included (log10 binning without a log per element)", () => {
    const rng = new Random(7);
    const g = new Float64Array(20000);
    for (let i = 0; i < g.length; i++) {
      // Magnitudes spread over 1e-16 … 1e6, both signs, some exact zeros and some exact bin edges.
      g[i] = i % 97 === 0 ? 0 : i % 89 === 0 ? 2 ** (-50 + (i % 70)) : i % 83 === 0 ? -(2 ** (-50 + (i % 70))) * (1 - 1e-16) : (rng.uniform() < 0.5 ? -1 : 1) * 10 ** rng.range(-16, 6);
    }
    const acc = new GradAccumulator();
    const w = new Float64Array(g.length).map((_, i) => Math.sin(i));
    // Two calls (a layer of two tensors); the first also fuses Σw² into the pass.
    const wSq = acc.add(g.subarray(0, 7000), 7000, w.subarray(0, 7000));
    acc.add(g.subarray(7000), 13000);
    let direct = 0;
    for (let i = 0; i < 7000; i++) direct += w[i] * w[i];
    expect(Math.abs(wSq / direct - 1)).toBeLessThan(1e-12);
    const edges = histogramEdges();
    expect(edges.length).toBe(HISTOGRAM_BINS + 1);
    expect(edges[0]).toBeCloseTo(HISTOGRAM_LOG10_MIN, 12);
    expect(edges[HISTOGRAM_BINS]).toBeCloseTo(HISTOGRAM_LOG10_MAX, 12);
    // Edges are increasing log10 values of powers of two.
    for (let k = 1; k < edges.length; k++) expect(edges[k]).toBeGreaterThan(edges[k - 1]);
    const counts = new Array(HISTOGRAM_BINS).fill(0);
    let sumSq = 0, sumAbs = 0, max = 0, zeros = 0;
    for (const v of g) {
      const a = Math.abs(v);
      if (a === 0) { zeros++; continue; }
      sumSq += a * a; sumAbs += a; max = Math.max(max, a);
      // The exact bin: the largest k with 2^(MIN_EXP + 2k) ≤ a (powers of two are exact in float64).
      let b = 0;
      for (let k = 1; k < HISTOGRAM_BINS; k++) if (a >= 2 ** (HISTOGRAM_MIN_EXP + 2 * k)) b = k;
      counts[b]++;
    }
    expect(acc.zeros).toBe(zeros);
    expect(Math.abs(acc.norm / Math.sqrt(sumSq) - 1)).toBeLessThan(1e-12);
    expect(Math.abs(acc.meanAbs / (sumAbs / g.length) - 1)).toBeLessThan(1e-12);
    expect(acc.maxAbs).toBe(max);
    expect(Array.from(acc.counts)).toEqual(counts);
    // float32 gradients take the other path and must bin the same values identically.
    const acc32 = new GradAccumulator();
    const g32 = Float32Array.from(g.filter((v) => Math.abs(v) > 1e-30 || v === 0));
    acc32.add(g32, g32.length);
    const ref = new GradAccumulator();
    ref.add(Float64Array.from(g32), g32.length);
    expect(Array.from(acc32.counts)).toEqual(Array.from(ref.counts));
    expect(acc.zeroFraction).toBeCloseTo(zeros / g.length, 12);
  });

  it("counts a missing gradient as zeros and a non-finite one as NaN norm", () => {
    const acc = new GradAccumulator();
    acc.add(null, 10);
    expect(acc.zeroFraction).toBe(1);
    acc.add(new Float64Array([1, Infinity]), 2);
    expect(acc.nonFinite).toBe(1);
    expect(acc.norm).toBeNaN();
  });
});

describe("GradAccumulator zeros and extremes (counted from the exponent histogram, branch-free)", () => {
  it("counts exact zeros of both signs and subnormals as zeros, Inf/NaN as non-finite, in float64 and float32", () => {
    const g = new Float64Array([0, -0, 5e-324, -1e-310, 1, -2, Infinity, NaN, 1e-20, 3e4]);
    const acc = new GradAccumulator();
    acc.add(g, g.length);
    expect(acc.zeros).toBe(4);
    expect(acc.nonFinite).toBe(2);
    expect(acc.maxAbs).toBe(Infinity);
    expect(Array.from(acc.counts).reduce((a, b) => a + b, 0)).toBe(4);
    const f = new Float32Array([0, -0, 1e-45, 1, -2, Infinity, 1e-20, 3e4]);
    const a32 = new GradAccumulator();
    a32.add(f, f.length);
    expect(a32.zeros).toBe(3);
    expect(a32.nonFinite).toBe(1);
    const ref = new GradAccumulator();
    ref.add(new Float64Array([1, -2, Math.fround(1e-20), 3e4]), 4);
    expect(Array.from(a32.counts)).toEqual(Array.from(ref.counts));
  });

  it("matches a direct count on ReLU-like gradients with scattered zeros, and a max near the top bin", () => {
    const rng = new Random(3);
    const g = new Float64Array(50000).map(() => (rng.uniform() < 0.4 ? 0 : rng.normal() * 10 ** rng.range(-12, 4)));
    const acc = new GradAccumulator();
    acc.add(g, g.length);
    let zeros = 0;
    for (const v of g) if (v === 0) zeros++;
    expect(acc.zeros).toBe(zeros);
    expect(Array.from(acc.counts).reduce((a, b) => a + b, 0) + zeros).toBe(g.length);
  });
});

describe("allFinite (8 values per test)", () => {
  it("finds NaN and ±Inf at any position, and is not fooled by finite values whose sum overflows", () => {
    for (const n of [0, 1, 7, 8, 9, 16, 37]) {
      expect(allFinite(new Float64Array(n).fill(1))).toBe(true);
      for (let k = 0; k < n; k++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const x = new Float64Array(n).fill(0.5);
          x[k] = bad;
          expect(allFinite(x), `n ${n} at ${k}: ${bad}`).toBe(false);
          expect(allFinite(Float32Array.from(x))).toBe(false);
        }
      }
    }
    expect(allFinite(new Float64Array(16).fill(1.7e308))).toBe(true);
    expect(allFinite(Float64Array.from([1.7e308, -1.7e308, 1.7e308, 1.7e308, 1e308, 1e308, 1e308, 1e308, Infinity]))).toBe(false);
    expect(allFinite(Float64Array.from([Infinity, -Infinity, 0, 0, 0, 0, 0, 0]))).toBe(false);
  });
});

describe("recordedSteps", () => {
  it("every N, log-spaced and explicit schedules include what they promise", () => {
    expect([...recordedSteps({ kind: "every", interval: 10 }, 35)].sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 34]);
    const log = [...recordedSteps({ kind: "log", count: 10 }, 1000)].sort((a, b) => a - b);
    expect(log[0]).toBe(0);
    expect(log[log.length - 1]).toBe(999);
    // Dense early, sparse late: the gaps grow.
    expect(log[2] - log[1]).toBeLessThan(log[log.length - 1] - log[log.length - 2]);
    expect([...recordedSteps({ kind: "steps", steps: [3, 7, 99] }, 50)].sort((a, b) => a - b)).toEqual([3, 7]);
  });
});

describe("Recorder update statistics: the optimizer's own measurement against copies of the weights", () => {
  it("weight norms and update ratios agree per tensor and per layer, frozen tensors and a custom optimizer included", async () => {
    const { createTrainer, defineModel, losses, nn, observe, optim, Recorder } = await import("../../src");
    const r = new Random(4);
    const x = new Tensor(Float64Array.from({ length: 64 * 6 }, () => r.normal()), [64, 6]);
    const y = new Tensor(Float64Array.from({ length: 64 }, (_, i) => i % 3), [64]);
    const run = (opt: "adam" | "adam-no-tracking" | "frozen" | "frozen-no-tracking") => {
      const spec = defineModel({
        name: "tiny",
        model: () => new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU(), new nn.Linear(8, 3)),
        data: () => ({ x, y }),
        loss: losses.softmaxCrossEntropy,
        optimizer: (p) => {
          // "frozen": the first layer's weight is not optimized (Δw = 0, its norm still reported).
          const o = new optim.Adam(opt.startsWith("frozen") ? [...p].slice(1) : p, { lr: 0.01 });
          // Wrapped in an object that is not a BaseOptimizer, the loop measures it against copies.
          if (opt.endsWith("no-tracking")) return { params: o.params, lr: o.lr, step: () => o.step(), zeroGrad: () => o.zeroGrad() };
          return o;
        },
        batchSize: 16,
        steps: 6,
      });
      const t = createTrainer(spec);
      const rec = new Recorder({ kind: "every", interval: 1 }, t.result().totalSteps);
      rec.attach(t.model, t.model.namedParameters());
      const detach = observe(rec);
      try {
        while (t.next()) { /* train */ }
      } finally {
        detach();
      }
      return { stats: [...rec.stats.values()] };
    };
    for (const [tracked, fallback] of [["adam", "adam-no-tracking"], ["frozen", "frozen-no-tracking"]] as const) {
      const a = run(tracked), b = run(fallback);
      expect(a.stats.length).toBe(6);
      a.stats.forEach((layers, step) => layers.forEach((l, li) => {
        const m = b.stats[step][li];
        expect(l.weightNorm).toBeCloseTo(m.weightNorm, 12);
        expect(l.updateRatio).toBeCloseTo(m.updateRatio, 12);
        l.params?.forEach((p, pi) => {
          expect(p.weightNorm).toBeCloseTo(m.params![pi].weightNorm, 12);
          expect(p.updateRatio).toBeCloseTo(m.params![pi].updateRatio, 12);
          if (tracked === "frozen" && p.name === "layers.0.weight") expect(p.updateRatio).toBe(0);
          else expect(p.updateRatio).toBeGreaterThan(0);
        });
      }));
    }
  });
});
