// Gradient Lens vs TensorFlow.js (pure-JS CPU backend, and the WebAssembly backend for the model rows),
// measured in the same process, interleaved.
//
//   npm run bench                 full run (≈1–2 min), writes bench/results/latest.json
//   node bench/run.mjs --quick    smoke run: few repetitions, same cases
//   node bench/run.mjs --filter matmul --reps 30 --out bench/results/2026-11-27.json
//   node bench/run.mjs --compare bench/results/2026-11-27-before-kernels.json   adds the saved run's ratio
//   node bench/run.mjs --filter recorder          only the recorder-overhead rows (bench/recorder.mjs)
//
// Method (details in bench/README.md): every case is a pair of closures, ours and the peer's. After a
// warm-up, each round times ours once and the peer once, alternating which goes first, so load from other
// processes on the machine hits both sides alike. We report the median of each side and the median of
// the per-round ratios (ours / tfjs: below 1 means we are faster).
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { loadKernels, loadTfjs } from "./load.mjs";
import { oursCnnStep, oursLstmStep, tfCnnStep, tfLstmStep, CNN, LSTM } from "./models.mjs";
import { recorderBench } from "./recorder.mjs";
import { median } from "./util.mjs";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const quick = flag("--quick");
const defaultReps = Number(option("--reps", quick ? 3 : 15));
const defaultWarmup = Number(option("--warmup", quick ? 1 : 3));
const reps = defaultReps, warmup = defaultWarmup;
const filter = option("--filter", "");
const outPath = resolve(root, option("--out", "bench/results/latest.json"));
const comparePath = option("--compare", "");
/** A saved run to compare our times against, keyed by case; "[kernel set]" suffixes are ignored. */
const baseline = new Map();
const caseKey = (group, name, dtype, peer = "tfjs-cpu") => `${group}|${name.replace(/ \[[^\]]*\]$/, "")}|${dtype}|${peer}`;
if (comparePath) {
  for (const r of JSON.parse(readFileSync(resolve(root, comparePath), "utf8")).results) baseline.set(caseKey(r.group, r.name, r.dtype, r.peer), r);
}

const gl = require(resolve(root, "dist/index.cjs"));
const tf = await loadTfjs(root, { wasm: true });
await tf.setBackend("cpu");
await tf.ready();
tf.tidy(() => tf.add(1, 1)); // the backend prints its "install tfjs-node" hint on first use: get it out of the table
const { jsKernels, simdKernels, kernels: defaultKernels } = await loadKernels(root);
const { ops, noGrad, Tensor, nn, optim, losses, Random } = gl;

// ---- timing ----------------------------------------------------------------------------------------


/** Times `fn` once, running it `inner` times (for sub-millisecond cases), in ms per call. */
function timeOnce(fn, inner) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < inner; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / inner;
}

/** Picks how many calls one sample runs so a sample lasts ≥ ~20 ms (timer noise stays negligible). */
function calibrate(fn) {
  const t = timeOnce(fn, 1);
  return Math.max(1, Math.min(1000, Math.ceil(20 / Math.max(t, 1e-3))));
}

/** Interleaved paired measurement of ours and the peer's closure. */
function measure(ours, peer, { reps = defaultReps, warmup = defaultWarmup, slow = false } = {}) {
  for (let i = 0; i < warmup; i++) {
    ours();
    peer?.();
  }
  // Cases known to take seconds skip calibration (one call per sample).
  const innerOurs = quick || slow ? 1 : calibrate(ours);
  const innerPeer = peer ? (quick || slow ? 1 : calibrate(peer)) : 0;
  const a = [];
  const b = [];
  for (let r = 0; r < reps; r++) {
    if (r % 2 === 0 || !peer) {
      a.push(timeOnce(ours, innerOurs));
      if (peer) b.push(timeOnce(peer, innerPeer));
    } else {
      b.push(timeOnce(peer, innerPeer));
      a.push(timeOnce(ours, innerOurs));
    }
  }
  const ms = median(a);
  const peerMs = peer ? median(b) : null;
  // The ratio is the median of the per-round ratios: each pairs two samples taken back to back, so a
  // burst of load from another process moves both and cancels out.
  const ratio = peer ? median(a.map((x, i) => x / b[i])) : null;
  return { ms, peerMs, ratio, samples: reps, oursSamples: a, peerSamples: b };
}

// ---- data ------------------------------------------------------------------------------------------

const rng = new Random(7);
function uniform(n, lo, hi, Ctor = Float64Array) {
  const d = new Ctor(n);
  for (let i = 0; i < n; i++) d[i] = rng.range(lo, hi);
  return d;
}
const ours = (data, shape) => new Tensor(data, shape);
const ctorOf = (dtype) => (dtype === "float32" ? Float32Array : Float64Array);

// ---- cases -----------------------------------------------------------------------------------------

const cases = [];
/**
 * A case: `setup` returns { ours, peer } closures. `options.peer` names the peer: "tfjs-cpu" (default) or
 * "tfjs-wasm" (TF.js is switched to that backend before setup creates the case's tensors), or any label
 * for a peer of our own (e.g. the plain product a transposed one is compared with). `options.reps` caps
 * the repetitions of slow cases.
 */
const add = (group, name, dtype, setup, options = {}) => cases.push({ group, name, dtype, setup, peer: options.peer ?? "tfjs-cpu", reps: options.reps });

// (a) one training step of an MLP 784-256-256-10, batch 128, softmax cross-entropy, SGD.
const SIZES = [784, 256, 256, 10];
const BATCH = 128;
const LR = 0.01;

function mlpData(dtype) {
  const C = ctorOf(dtype);
  const x = uniform(BATCH * SIZES[0], 0, 1, C);
  const labels = new C(BATCH);
  for (let i = 0; i < BATCH; i++) labels[i] = rng.int(SIZES[3]);
  return { x, labels };
}

function oursMlp(dtype) {
  const layers = [];
  for (let i = 0; i + 1 < SIZES.length; i++) {
    layers.push(new nn.Linear(SIZES[i], SIZES[i + 1], { dtype, rng }));
    if (i + 2 < SIZES.length) layers.push(new nn.ReLU());
  }
  return new nn.Sequential(...layers);
}

/** Same shapes and init scale as nn.Linear's default: U(±1/√fanIn) for weights and biases. */
function tfMlp() {
  const vars = [];
  for (let i = 0; i + 1 < SIZES.length; i++) {
    const a = 1 / Math.sqrt(SIZES[i]);
    vars.push(tf.variable(tf.randomUniform([SIZES[i], SIZES[i + 1]], -a, a, "float32", 11 + i)));
    vars.push(tf.variable(tf.randomUniform([SIZES[i + 1]], -a, a, "float32", 21 + i)));
  }
  const forward = (x) => {
    let h = x;
    for (let i = 0; i < vars.length; i += 2) {
      h = tf.add(tf.matMul(h, vars[i]), vars[i + 1]);
      if (i + 2 < vars.length) h = tf.relu(h);
    }
    return h;
  };
  return { vars, forward };
}

function tfMlpCase() {
  const { x, labels } = mlpData("float32");
  const tx = tf.tensor2d(x, [BATCH, SIZES[0]]);
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels), "int32"), SIZES[3]), "float32");
  const net = tfMlp();
  const opt = tf.train.sgd(LR);
  return { tx, onehot, net, opt };
}

const tfSetup = { current: null };
const tfMlpShared = () => (tfSetup.current ??= tfMlpCase());

for (const dtype of ["float32", "float64"]) {
  add("train", "MLP 784-256-256-10 train step, batch 128", dtype, () => {
    const { x, labels } = mlpData(dtype);
    const model = oursMlp(dtype);
    const opt = new optim.SGD(model.parameters(), { lr: LR });
    const xt = ours(x, [BATCH, SIZES[0]]);
    const yt = ours(labels, [BATCH]);
    const t = tfMlpShared();
    return {
      ours: () => {
        opt.zeroGrad();
        const loss = losses.softmaxCrossEntropy(model.call(xt), yt);
        loss.backward();
        opt.step();
      },
      peer: () => {
        const cost = t.opt.minimize(() => tf.losses.softmaxCrossEntropy(t.onehot, t.net.forward(t.tx)), true);
        cost.dispose();
      },
    };
  });
  add("infer", "MLP 784-256-256-10 forward (inference), batch 128", dtype, () => {
    const { x } = mlpData(dtype);
    const model = oursMlp(dtype);
    const xt = ours(x, [BATCH, SIZES[0]]);
    const t = tfMlpShared();
    return {
      ours: () => noGrad(() => model.call(xt)),
      peer: () => tf.tidy(() => t.net.forward(t.tx)).dispose(),
    };
  });
}

// (b) gemm 256×784 · 784×256 and its transposed variants, through each kernel set and tf.matMul.
const M = 256, K = 784, N = 256;
const kernelSets = [simdKernels, jsKernels].filter(Boolean);
for (const dtype of ["float32", "float64"]) {
  for (const ks of kernelSets) {
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
      const label = `gemm ${M}×${K}·${K}×${N} ${ta ? "Aᵀ" : "A"}${tb ? "Bᵀ" : "B"} [${ks.name}]`;
      add("matmul", label, dtype, () => {
        const C = ctorOf(dtype);
        const a = uniform(M * K, -1, 1, C);
        const b = uniform(K * N, -1, 1, C);
        const c = new C(M * N);
        const ta3 = tf.tensor2d(Float32Array.from(a), ta ? [K, M] : [M, K]);
        const tb3 = tf.tensor2d(Float32Array.from(b), tb ? [N, K] : [K, N]);
        return {
          ours: () => ks.gemm(a, 0, ta, b, 0, tb, c, 0, M, K, N, false),
          peer: () => tf.matMul(ta3, tb3, ta, tb).dispose(),
        };
      });
    }
  }
  add("matmul", `ops.matmul ${M}×${K}·${K}×${N} (op, no grad)`, dtype, () => {
    const C = ctorOf(dtype);
    const a = ours(uniform(M * K, -1, 1, C), [M, K]);
    const b = ours(uniform(K * N, -1, 1, C), [K, N]);
    const ta3 = tf.tensor2d(Float32Array.from(a.data), [M, K]);
    const tb3 = tf.tensor2d(Float32Array.from(b.data), [K, N]);
    return {
      ours: () => noGrad(() => ops.matmul(a, b)),
      peer: () => tf.matMul(ta3, tb3).dispose(),
    };
  });
}

// (b2) transposed operands through the op: x.transpose() is a view gemm reads with its transpose flag.
// The peer is our own plain product on the same shapes, so the ratio is the cost of the transpose.
for (const dtype of ["float32", "float64"]) {
  const C = ctorOf(dtype);
  const a = ours(uniform(M * K, -1, 1, C), [M, K]);
  const b = ours(uniform(K * N, -1, 1, C), [K, N]);
  const at = ours(uniform(K * M, -1, 1, C), [K, M]); // aᵀ stored: at.transpose() is M×K
  const bt = ours(uniform(N * K, -1, 1, C), [N, K]);
  const plain = () => noGrad(() => ops.matmul(a, b));
  add("matmul", `ops.matmul Aᵀ·B ${M}×${K}·${K}×${N} (no grad)`, dtype, () => ({ ours: () => noGrad(() => ops.matmul(at.transpose(), b)), peer: plain }), { peer: "ours A·B" });
  add("matmul", `ops.matmul A·Bᵀ ${M}×${K}·${K}×${N} (no grad)`, dtype, () => ({ ours: () => noGrad(() => ops.matmul(a, bt.transpose())), peer: plain }), { peer: "ours A·B" });
  const grads = (x, y, f) => () => {
    x.zeroGrad();
    y.zeroGrad();
    f().sum().backward();
  };
  const ag = new Tensor(a.data, a.shape, true), bg = new Tensor(b.data, b.shape, true);
  const atg = new Tensor(at.data, at.shape, true), btg = new Tensor(bt.data, bt.shape, true);
  const plainG = grads(ag, bg, () => ops.matmul(ag, bg));
  add("matmul", `ops.matmul Aᵀ·B forward+backward`, dtype, () => ({ ours: grads(atg, bg, () => ops.matmul(atg.transpose(), bg)), peer: plainG }), { peer: "ours A·B" });
  add("matmul", `ops.matmul A·Bᵀ forward+backward`, dtype, () => ({ ours: grads(ag, btg, () => ops.matmul(ag, btg.transpose())), peer: plainG }), { peer: "ours A·B" });
}
// Batched attention scores q·kᵀ: [8, 128, 64]·[8, 64, 128], against tf.matMul(q, k, false, true).
for (const dtype of ["float32", "float64"]) {
  add("matmul", "q·kᵀ batched 8×[128×64]·[64×128] (no grad)", dtype, () => {
    const C = ctorOf(dtype);
    const q = ours(uniform(8 * 128 * 64, -1, 1, C), [8, 128, 64]);
    const k = ours(uniform(8 * 128 * 64, -1, 1, C), [8, 128, 64]);
    const tq = tf.tensor3d(Float32Array.from(q.data), q.shape), tk = tf.tensor3d(Float32Array.from(k.data), k.shape);
    return { ours: () => noGrad(() => ops.matmul(q, k.transpose())), peer: () => tf.matMul(tq, tk, false, true).dispose() };
  });
}

// (b3) model training steps (bench/models.mjs): a small CNN and an LSTM, against TF.js on its CPU and
// WebAssembly backends. TF.js's CPU backend takes seconds per step here: 3 rounds for those rows.
const cnnName = `CNN 2×(conv3×3,ReLU,pool)+linear ${CNN.size}², b${CNN.batch} train step`;
const lstmName = `LSTM h${LSTM.hidden}, ${LSTM.time} steps, b${LSTM.batch} train step`;
for (const peer of ["tfjs-wasm", "tfjs-cpu"]) {
  for (const dtype of ["float32", "float64"]) {
    const slow = peer === "tfjs-cpu" ? { reps: Math.min(defaultReps, 3) } : {};
    add("models", cnnName, dtype, () => ({ ours: oursCnnStep(gl, dtype), peer: tfCnnStep(tf, rng, { wasm: peer === "tfjs-wasm" }) }), { peer, ...slow });
    add("models", lstmName, dtype, () => ({ ours: oursLstmStep(gl, dtype), peer: tfLstmStep(tf, rng) }), { peer, ...slow });
  }
}

// (c) elementwise ops and reductions on 1024×1024 = 1,048,576 elements (forward, no grad).
const R = 1024, CC = 1024;
const unaries = [
  ["relu", (x) => ops.relu(x), (x) => tf.relu(x)],
  ["sigmoid", (x) => ops.sigmoid(x), (x) => tf.sigmoid(x)],
  ["tanh", (x) => ops.tanh(x), (x) => tf.tanh(x)],
  ["exp", (x) => ops.exp(x), (x) => tf.exp(x)],
];
const binaries = [
  ["add (same shape)", (x, y) => ops.add(x, y), (x, y) => tf.add(x, y)],
  ["mul (same shape)", (x, y) => ops.mul(x, y), (x, y) => tf.mul(x, y)],
  ["add row-broadcast [1024,1024]+[1024]", (x, _y, r) => ops.add(x, r), (x, _y, r) => tf.add(x, r)],
  ["sub row-broadcast [1024,1024]-[1024]", (x, _y, r) => ops.sub(x, r), (x, _y, r) => tf.sub(x, r)],
];
const reductions = [
  ["sum (all)", (x) => ops.sum(x), (x) => tf.sum(x)],
  ["sum axis 0", (x) => ops.sum(x, 0), (x) => tf.sum(x, 0)],
  ["sum axis 1", (x) => ops.sum(x, 1), (x) => tf.sum(x, 1)],
  ["logSumExp axis 1", (x) => ops.logSumExp(x, 1), (x) => tf.logSumExp(x, 1)],
];
for (const dtype of ["float32", "float64"]) {
  const mk = () => {
    const C = ctorOf(dtype);
    const x = ours(uniform(R * CC, -3, 3, C), [R, CC]);
    const y = ours(uniform(R * CC, -3, 3, C), [R, CC]);
    const r = ours(uniform(CC, -3, 3, C), [CC]);
    const tx = tf.tensor2d(Float32Array.from(x.data), [R, CC]);
    const ty = tf.tensor2d(Float32Array.from(y.data), [R, CC]);
    const tr = tf.tensor1d(Float32Array.from(r.data));
    return { x, y, r, tx, ty, tr };
  };
  let shared = null;
  const data = () => (shared ??= mk());
  for (const [name, f, g] of unaries) {
    add("elementwise", `${name} 1M`, dtype, () => {
      const d = data();
      return { ours: () => noGrad(() => f(d.x)), peer: () => g(d.tx).dispose() };
    });
  }
  for (const [name, f, g] of binaries) {
    add("elementwise", `${name} 1M`, dtype, () => {
      const d = data();
      return { ours: () => noGrad(() => f(d.x, d.y, d.r)), peer: () => g(d.tx, d.ty, d.tr).dispose() };
    });
  }
  for (const [name, f, g] of reductions) {
    add("reduction", `${name} 1M`, dtype, () => {
      const d = data();
      return { ours: () => noGrad(() => f(d.x)), peer: () => g(d.tx).dispose() };
    });
  }
  // The backward of an elementwise op is half of a training step's elementwise work: time it too.
  for (const [name, f, g] of [["relu", ops.relu, tf.relu], ["sigmoid", ops.sigmoid, tf.sigmoid], ["tanh", ops.tanh, tf.tanh]]) {
    add("elementwise", `${name} forward+backward 1M`, dtype, () => {
      const d = data();
      const xg = new Tensor(d.x.data, d.x.shape, true);
      const upstream = ours(new (ctorOf(dtype))(R * CC).fill(1), [R, CC]);
      const tgrad = tf.grad((x) => g(x));
      return {
        ours: () => {
          xg.zeroGrad();
          f(xg).backward(upstream);
        },
        peer: () => tgrad(d.tx).dispose(),
      };
    });
  }
}

// ---- run -------------------------------------------------------------------------------------------

// --filter a,b: cases whose "group name peer" contains any of the comma-separated words.
const filters = filter.toLowerCase().split(",").filter(Boolean);
const selected = cases.filter((c) => !filters.length || filters.some((f) => `${c.group} ${c.name} ${c.peer}`.toLowerCase().includes(f)));
const results = [];
const fmt = (ms) => (ms === null ? "—" : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const pad = (s, n) => String(s).padEnd(n);
const padL = (s, n) => String(s).padStart(n);

console.log(`Gradient Lens bench${quick ? " (--quick)" : ""}: ${reps} reps after ${warmup} warm-up, median; peer = TF.js ${tf.version_core} cpu backend (float32 only) unless the peer column says otherwise`);
console.log(`node ${process.version}, ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, kernels: ${defaultKernels.name}\n`);
if (selected.length) {
  console.log(`${pad("case", 54)}${pad("dtype", 9)}${pad("peer", 11)}${padL("ours ms", 10)}${padL("peer ms", 10)}${padL("ours/peer", 11)}${comparePath ? padL("base o/p", 10) + padL("speedup", 9) : ""}`);
  console.log("-".repeat(105));
}
let lastGroup = "";
for (const c of selected) {
  if (c.peer.startsWith("tfjs-")) await tf.setBackend(c.peer.slice(5));
  const { ours: o, peer: p } = c.setup();
  const r = measure(o, p, c.reps ? { reps: c.reps, warmup: 1, slow: true } : {});
  if (c.group !== lastGroup && lastGroup) console.log("");
  lastGroup = c.group;
  const peerNote = c.dtype === "float64" && c.peer.startsWith("tfjs") ? " (tfjs f32)" : "";
  const base = baseline.get(caseKey(c.group, c.name, c.dtype, c.peer));
  // Across runs only the peer-normalized ratio is comparable (the machine's load changes absolute times;
  // TF.js did not change), so the speedup is the saved ratio over this run's.
  const vsBase = comparePath
    ? base && base.ratio && r.ratio
      ? padL(base.ratio.toFixed(2) + "×", 10) + padL((base.ratio / r.ratio).toFixed(1) + "×", 9)
      : padL("—", 10) + padL("—", 9)
    : "";
  console.log(`${pad(c.name, 54)}${pad(c.dtype, 9)}${pad(c.peer, 11)}${padL(fmt(r.ms), 10)}${padL(fmt(r.peerMs), 10)}${padL(r.ratio === null ? "—" : r.ratio.toFixed(2) + "×", 11)}${vsBase}${peerNote}`);
  results.push({ group: c.group, name: c.name, dtype: c.dtype, peer: c.peer, peerDtype: c.peer.startsWith("tfjs") ? "float32" : c.dtype, ...r, ...(base ? { baseRatio: base.ratio } : {}) });
  if (global.gc) global.gc();
}
if (selected.length) console.log("\nratio < 1: Gradient Lens faster. TF.js's CPU backend computes in float32 only; float64 rows compare our float64 against its float32.");

// ---- recorder overhead -----------------------------------------------------------------------------
// Not a TF.js comparison: the "peer" of a recording configuration is the same training loop without
// hooks, run back to back with it in every repetition (bench/recorder.mjs). ours ms = step with the
// configuration, peer ms = plain step, ratio = median of the per-rep ratios (1.10 = +10% overhead).

let recorderRows = [];
if (!filters.length || filters.some((f) => "recorder overhead".includes(f))) {
  const recReps = Number(option("--reps", quick ? 3 : 9));
  const recSteps = quick ? 16 : 40;
  console.log(`\nRecorder overhead per training step (SGD momentum, float64; ${recReps} paired reps of ${recSteps} steps; peer = the same loop without hooks)`);
  console.log(`${pad("case", 54)}${pad("config", 12)}${padL("ms/step", 10)}${padL("plain ms", 10)}${padL("overhead", 10)}${comparePath ? padL("base", 10) : ""}`);
  console.log("-".repeat(96));
  recorderRows = recorderBench([{ name: "ours", gl }], { reps: recReps, steps: recSteps, log: null });
  for (const row of recorderRows) {
    for (const [config, r] of Object.entries(row.configs)) {
      const name = `recorder ${row.case}`;
      const base = baseline.get(caseKey("recorder", name, config, "plain loop"));
      const pct = (x) => `${x >= 1 ? "+" : ""}${((x - 1) * 100).toFixed(1)}%`;
      console.log(`${pad(name, 54)}${pad(config, 12)}${padL(fmt(r.ms), 10)}${padL(fmt(row.plainMs), 10)}${padL(pct(r.ratio), 10)}${comparePath ? padL(base?.ratio ? pct(base.ratio) : "—", 10) : ""}`);
      results.push({
        group: "recorder", name, dtype: config, peer: "plain loop", ms: r.ms, peerMs: row.plainMs, ratio: r.ratio, overheadPct: r.overheadPct,
        samples: r.samples.length, oursSamples: r.samples, peerSamples: row.plainSamples, ...(base ? { baseRatio: base.ratio } : {}),
      });
    }
    console.log(`${pad(`recorder ${row.case}`, 54)}${pad("(own time)", 12)}${padL(fmt(row.recorderOwnMs), 10)}${padL(fmt(row.plainMs), 10)}${padL(((row.recorderOwnMs / row.plainMs) * 100).toFixed(1) + "%", 10)}`);
  }
  console.log("config: every = record every step (the recorder's own hooks); every+snap = same, loop copies the weights anyway; every10 = every 10th step; +nan = NaN/Inf origin tracking.");
}

const report = {
  date: new Date().toISOString(),
  quick,
  reps,
  warmup,
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? null,
  loadavg: os.loadavg(),
  peer: { name: "@tensorflow/tfjs-core + tfjs-backend-cpu / tfjs-backend-wasm (per row: results[].peer)", version: tf.version_core, dtype: "float32" },
  compare: comparePath || null,
  kernels: defaultKernels.name,
  results,
  recorder: recorderRows.map(({ plainSamples, configs, ...row }) => ({
    ...row,
    configs: Object.fromEntries(Object.entries(configs).map(([k, v]) => [k, { ms: v.ms, ratio: v.ratio, overheadPct: v.overheadPct }])),
  })),
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${outPath}`);
