#!/usr/bin/env node
/**
 * The cost of `directional` gradient checking in forward+backward passes. Standalone (run
 * `node scripts/build.mjs` first; uses dist/index.cjs):
 *
 *   node bench/gradcheck.mjs [--reps 9]
 *   node bench/gradcheck.mjs --rev e2ffbd1        # also the library at a git revision, same process
 *
 * On a ~1M-parameter MLP (784-1024-256-10, ReLU, softmax cross-entropy, float64) and the 16 rows a check
 * uses by default, every repetition times, back to back:
 *   fwd+bwd    one training forward and backward (zeroed gradients, loss, `backward()`)
 *   module     `checkGradients({ module, loss, batch }, { mode: "directional" })`: the check alone
 *   spec       `checkGradients(spec, { mode: "directional" })`: as `inspect` calls it (builds the model
 *              and the data set from the spec first, which the module case leaves out)
 * Printed: median ms of each, and the median over repetitions of the per-rep ratio check/fwd+bwd (paired,
 * so load on the shared machine hits both alike), plus the check's own count of loss evaluations.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { libraryAt } from "./recorder.mjs";
import { median } from "./util.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");


export const SIZES = [784, 1024, 256, 10];
export const ROWS = 16;

function setup(gl) {
  const { defineModel, losses, nn, optim } = gl;
  const r = new gl.Random(7);
  const n = 256;
  const x = new gl.Tensor(new Float64Array(n * SIZES[0]).map(() => r.normal()), [n, SIZES[0]]);
  const y = new gl.Tensor(new Float64Array(n).map((_, i) => i % SIZES[SIZES.length - 1]), [n]);
  const build = () => {
    const layers = [];
    for (let i = 0; i + 1 < SIZES.length; i++) {
      layers.push(new nn.Linear(SIZES[i], SIZES[i + 1], { init: nn.init.heNormal() }));
      if (i + 2 < SIZES.length) layers.push(new nn.ReLU());
    }
    return new nn.Sequential(...layers);
  };
  const spec = defineModel({
    name: `mlp ${SIZES.join("-")}`,
    model: build,
    data: () => ({ x, y }),
    loss: losses.softmaxCrossEntropy,
    optimizer: (p) => new optim.SGD(p, { lr: 0.01 }),
    batchSize: ROWS,
    steps: 1,
  });
  const module = build();
  const rows = Array.from({ length: ROWS }, (_, i) => i * 16);
  const batch = { x: take(gl, x, rows), y: take(gl, y, rows) };
  const params = module.parameters();
  const step = () => {
    for (const p of params) p.grad = null;
    const loss = losses.softmaxCrossEntropy(module.call(batch.x), batch.y);
    loss.backward();
    return loss.item();
  };
  return { spec, module, batch, params, step, loss: losses.softmaxCrossEntropy };
}

function take(gl, t, rows) {
  const width = t.size / t.shape[0];
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, i) => out.set(t.data.subarray(r * width, (r + 1) * width), i * width));
  return new gl.Tensor(out, [rows.length, ...t.shape.slice(1)]);
}

function time(fn) {
  const t = performance.now();
  const v = fn();
  return { ms: performance.now() - t, v };
}

export function gradcheckBench(libs, { reps = 9, log = console.log } = {}) {
  const rows = [];
  const cases = libs.map(({ name, gl }) => ({ name, gl, ...setup(gl) }));
  const count = cases[0].params.reduce((s, p) => s + p.size, 0);
  log?.(`directional gradient check: node ${process.version}, MLP ${SIZES.join("-")} (${count.toLocaleString("en")} parameters), ${ROWS} rows, float64, median of ${reps} paired reps`);
  // Warm-up: the JIT sees every path once.
  for (const c of cases) {
    c.step();
    c.gl.checkGradients({ module: c.module, loss: c.loss, batch: c.batch }, { mode: "directional" });
    c.gl.checkGradients(c.spec, { mode: "directional" });
  }
  const samples = cases.map(() => ({ step: [], module: [], spec: [], moduleRatio: [], specRatio: [], evaluations: new Set(), status: new Set() }));
  for (let r = 0; r < reps; r++) {
    const order = r % 2 ? [...cases.keys()].reverse() : [...cases.keys()];
    for (const k of order) {
      const c = cases[k];
      const s = samples[k];
      // The forward+backward on both sides of the checks, so each ratio pairs neighbours in time.
      const a = time(c.step).ms;
      const m = time(() => c.gl.checkGradients({ module: c.module, loss: c.loss, batch: c.batch }, { mode: "directional" }));
      const sp = time(() => c.gl.checkGradients(c.spec, { mode: "directional" }));
      const b = time(c.step).ms;
      const fb = (a + b) / 2;
      s.step.push(fb);
      s.module.push(m.ms);
      s.spec.push(sp.ms);
      s.moduleRatio.push(m.ms / fb);
      s.specRatio.push(sp.ms / fb);
      s.evaluations.add(m.v.evaluations ?? "?");
      s.status.add(`${m.v.status}/${sp.v.status}`);
    }
  }
  cases.forEach((c, k) => {
    const s = samples[k];
    const row = {
      lib: c.name, parameters: count, stepMs: median(s.step), moduleMs: median(s.module), specMs: median(s.spec),
      moduleRatio: median(s.moduleRatio), specRatio: median(s.specRatio), evaluations: [...s.evaluations], status: [...s.status],
    };
    log?.(`\n[${c.name}] one forward+backward ${row.stepMs.toFixed(1)} ms`);
    log?.(`  directional check, module target: ${row.moduleMs.toFixed(1)} ms = ${row.moduleRatio.toFixed(2)}× forward+backward (loss evaluations: ${row.evaluations.join(", ")}; status ${row.status.join(", ")})`);
    log?.(`  directional check, model spec (builds model and data): ${row.specMs.toFixed(1)} ms = ${row.specRatio.toFixed(2)}× forward+backward`);
    rows.push(row);
  });
  return rows;
}


if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const libs = [{ name: "working tree", gl: require(path.join(root, "dist/index.cjs")) }];
  const rev = arg("rev", "");
  if (rev) libs.unshift({ name: rev, gl: await libraryAt(rev) });
  const rows = gradcheckBench(libs, { reps: Number(arg("reps", 9)) });
  if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
}
