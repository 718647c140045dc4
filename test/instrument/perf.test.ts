/**
 * Measurements, not assertions about this machine's speed: run with GL_PERF=1 to print the recording
 * overhead (inspect with every-step recording against the bare training loop) and the gradient check's
 * time per mode on a ~100k-parameter MLP. The numbers are quoted in the engineering notes.
 */
import { describe, expect, it } from "vitest";
import { checkGradients, defineModel, inspect, losses, nn, optim, Random, Tensor, train } from "../../src";
import { GradAccumulator } from "../../src/instrument/stats";

const enabled = !!process.env.GL_PERF;

function blobs(n: number, d: number, classes: number) {
  const r = new Random(5);
  const x = new Float64Array(n * d).map(() => r.normal());
  const y = new Float64Array(n).map((_, i) => i % classes);
  return { x: new Tensor(x, [n, d]), y: new Tensor(y, [n]) };
}

/** 784 → 128 → ReLU → 10: 101 770 parameters. */
const mnistLike = (steps: number, batchSize: number) => defineModel({
  name: "mlp-100k",
  model: () => new nn.Sequential(new nn.Linear(784, 128, { init: nn.init.heNormal() }), new nn.ReLU(), new nn.Linear(128, 10)),
  data: () => blobs(512, 784, 10),
  loss: losses.softmaxCrossEntropy,
  optimizer: (p) => new optim.SGD(p, { lr: 0.01, momentum: 0.9 }),
  batchSize,
  steps,
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe.skipIf(!enabled)("performance", () => {
  it("recording overhead, every step", async () => {
    for (const batch of [32, 128]) {
      const spec = mnistLike(50, batch);
      train(spec);
      await inspect(spec, { gradcheck: false });
      const plain: number[] = [], rec: number[] = [], recNoNan: number[] = [], internal: number[] = [];
      for (let k = 0; k < 5; k++) {
        let t = performance.now();
        train(spec);
        plain.push(performance.now() - t);
        t = performance.now();
        const r = await inspect(spec, { gradcheck: false, nanTracking: false });
        recNoNan.push(performance.now() - t);
        internal.push(r.timing!.overhead);
        t = performance.now();
        await inspect(spec, { gradcheck: false });
        rec.push(performance.now() - t);
      }
      const p = median(plain);
      console.log(`batch ${batch}: train ${(p / 50).toFixed(2)} ms/step; inspect (recording every step) +${((median(recNoNan) / p - 1) * 100).toFixed(1)}%` +
        ` (recorder's own share ${(median(internal) * 100).toFixed(1)}%); with NaN tracking +${((median(rec) / p - 1) * 100).toFixed(1)}%`);
    }
  });

  it("the statistics pass is branch-free: scattered zeros (ReLU gradients) cost no more than a dense gradient", () => {
    // Before: a comparison per element for the zero count; with 40% zeros at random positions every
    // other comparison mispredicted and the pass took ~2.7× as long as on a dense gradient.
    const r = new Random(1);
    const dense = new Float64Array(100_480).map(() => r.normal() * 1e-3);
    const sparse = dense.map((v) => (r.uniform() < 0.4 ? 0 : v));
    const acc = new GradAccumulator();
    const best = (g: Float64Array) => {
      let b = Infinity;
      for (let k = 0; k < 40; k++) {
        const t = performance.now();
        for (let i = 0; i < 5; i++) { acc.reset(); acc.add(g, g.length); }
        b = Math.min(b, (performance.now() - t) / 5);
      }
      return b;
    };
    best(dense); best(sparse);
    const d = best(dense), s = best(sparse);
    console.log(`statistics pass over 100 480 entries: dense ${(d * 1000).toFixed(0)} µs, 40% scattered zeros ${(s * 1000).toFixed(0)} µs`);
    expect(s / d).toBeLessThan(1.5);
  });

  it("gradient check per mode on 101 770 parameters", () => {
    const spec = mnistLike(1, 16);
    for (const mode of ["directional", "sampled"] as const) {
      const r = checkGradients(spec, { mode });
      console.log(`${mode}: ${r.durationMs!.toFixed(0)} ms, ${r.checked} checks, passed ${r.passed}, max rel error ${Math.max(...r.layers.map((l) => l.maxRelError)).toExponential(1)}`);
    }
    if (process.env.GL_PERF_FULL) {
      const r = checkGradients(spec, { mode: "full" });
      console.log(`full: ${(r.durationMs! / 1000).toFixed(1)} s, ${r.checked} entries, passed ${r.passed}, kinks ${r.layers.reduce((s, l) => s + (l.kinks ?? 0), 0)}`);
    }
  }, 3_600_000);
});
