// Before/after of the engine itself: the library at a git revision against the working tree, in one
// process, interleaved (the same pairing as run.mjs, with the old engine in the peer's seat).
//
//   node bench/ab.mjs 3be6395            # MLP train/infer (float32, float64) and ops.matmul
//   node bench/ab.mjs 3be6395 --reps 21
//   node bench/ab.mjs 3be6395 --js       # the working tree with its plain-JavaScript kernels (no SIMD)
//   node bench/ab.mjs e2ffbd1 --filter "ᵀ,cnn,lstm"   # cases whose name contains any of the words
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./util.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const rev = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--filter" && args[i - 1] !== "--reps");
if (!rev) {
  console.error("usage: node bench/ab.mjs <git revision> [--reps N]");
  process.exit(2);
}
const repsAt = args.indexOf("--reps");
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 15;
const jsOnly = args.includes("--js");
const filterAt = args.indexOf("--filter");
const filters = filterAt >= 0 ? args[filterAt + 1].toLowerCase().split(",") : [];
const require = createRequire(import.meta.url);

async function bundle(srcRoot, tag, exposeJsKernels = false) {
  // The package entry does not export the kernels; one bundle with both entries shares one instance.
  const contents = `export * from "./src/index.ts";${exposeJsKernels ? ` export { jsKernels } from "./src/engine/kernels.ts";` : ""}`;
  const out = await esbuild.build({
    stdin: { contents, resolveDir: srcRoot, loader: "ts" }, bundle: true, write: false, format: "cjs",
    platform: "node", target: "node20", logLevel: "error", keepNames: true,
  });
  const file = join(mkdtempSync(join(tmpdir(), `gl-ab-${tag}-`)), "index.cjs");
  writeFileSync(file, out.outputFiles[0].text);
  return require(file);
}

const oldRoot = mkdtempSync(join(tmpdir(), "gl-ab-src-"));
execFileSync("sh", ["-c", `git -C "${root}" archive "${rev}" src package.json | tar -x -C "${oldRoot}"`]);
symlinkSync(join(root, "node_modules"), join(oldRoot, "node_modules"));
const before = await bundle(oldRoot, "old");
const after = await bundle(root, "new", jsOnly);
if (jsOnly) after.setKernels(after.jsKernels);

const time = (fn, inner) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < inner; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / inner;
};

function mlpStep(gl, dtype, train) {
  const { nn, optim, losses, Tensor, Random, noGrad } = gl;
  const rng = new Random(3);
  const C = dtype === "float32" ? Float32Array : Float64Array;
  const model = new nn.Sequential(
    new nn.Linear(784, 256, { dtype, rng }), new nn.ReLU(),
    new nn.Linear(256, 256, { dtype, rng }), new nn.ReLU(),
    new nn.Linear(256, 10, { dtype, rng }),
  );
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  const x = new Tensor(new C(128 * 784).map(() => rng.uniform()), [128, 784]);
  const y = new Tensor(new C(128).map(() => rng.int(10)), [128]);
  if (!train) return () => noGrad(() => model.call(x));
  return () => {
    opt.zeroGrad();
    losses.softmaxCrossEntropy(model.call(x), y).backward();
    opt.step();
  };
}
function matmul(gl, dtype) {
  const { ops, Tensor, noGrad } = gl;
  const C = dtype === "float32" ? Float32Array : Float64Array;
  const a = new Tensor(new C(256 * 784).map(() => Math.random() - 0.5), [256, 784]);
  const b = new Tensor(new C(784 * 256).map(() => Math.random() - 0.5), [784, 256]);
  return () => noGrad(() => ops.matmul(a, b));
}

/** A transposed operand through the op (x.transpose()), with or without the backward pass. */
function matmulT(which, train) {
  return (gl, dtype) => {
    const { ops, Tensor, noGrad } = gl;
    const C = dtype === "float32" ? Float32Array : Float64Array;
    const a = new Tensor(new C(256 * 784).map(() => Math.random() - 0.5), which === "a" ? [784, 256] : [256, 784], train);
    const b = new Tensor(new C(784 * 256).map(() => Math.random() - 0.5), which === "b" ? [256, 784] : [784, 256], train);
    const f = () => ops.matmul(which === "a" ? a.transpose() : a, which === "b" ? b.transpose() : b);
    if (!train) return () => noGrad(f);
    return () => {
      a.zeroGrad();
      b.zeroGrad();
      f().sum().backward();
    };
  };
}
const { oursCnnStep, oursLstmStep } = await import("./models.mjs");
/** One conv2d (3×3, padding 1) forward and backward on [n, c, s, s] → o channels. */
function convStep(n, c, o, size) {
  return (gl, dtype) => {
    const { ops, Tensor } = gl;
    const C = dtype === "float32" ? Float32Array : Float64Array;
    const x = new Tensor(new C(n * c * size * size).map(() => Math.random() - 0.5), [n, c, size, size], true);
    const w = new Tensor(new C(o * c * 9).map(() => Math.random() - 0.5), [o, c, 3, 3], true);
    return () => {
      x.zeroGrad();
      w.zeroGrad();
      ops.conv2d(x, w, null, { padding: 1 }).sum().backward();
    };
  };
}

console.log(`engine at ${rev} (before) vs working tree${jsOnly ? " with its JavaScript kernels" : ""} (after): ${reps} interleaved rounds, median\n`);
console.log(`${"case".padEnd(44)}${"dtype".padEnd(9)}${"before ms".padStart(11)}${"after ms".padStart(10)}${"speedup".padStart(9)}`);
for (const [name, make] of [
  ["MLP 784-256-256-10 train step, batch 128", (gl, dt) => mlpStep(gl, dt, true)],
  ["MLP 784-256-256-10 forward, batch 128", (gl, dt) => mlpStep(gl, dt, false)],
  ["ops.matmul 256×784·784×256", matmul],
  ["ops.matmul Aᵀ·B (x.transpose())", matmulT("a", false)],
  ["ops.matmul A·Bᵀ (x.transpose())", matmulT("b", false)],
  ["ops.matmul Aᵀ·B forward+backward", matmulT("a", true)],
  ["ops.matmul A·Bᵀ forward+backward", matmulT("b", true)],
  ["conv2d 64×1×28×28 → 16, forward+backward", convStep(64, 1, 16, 28)],
  ["conv2d 64×16×14×14 → 32, forward+backward", convStep(64, 16, 32, 14)],
  ["CNN train step (bench/models.mjs)", (gl, dt) => oursCnnStep(gl, dt)],
  ["LSTM train step (bench/models.mjs)", (gl, dt) => oursLstmStep(gl, dt)],
].filter(([name]) => !filters.length || filters.some((f) => name.toLowerCase().includes(f)))) {
  for (const dtype of ["float32", "float64"]) {
    const fb = make(before, dtype);
    const fa = make(after, dtype);
    for (let i = 0; i < 3; i++) { fb(); fa(); }
    const tb = [], ta = [];
    for (let r = 0; r < reps; r++) {
      if (r % 2) { tb.push(time(fb, 2)); ta.push(time(fa, 2)); } else { ta.push(time(fa, 2)); tb.push(time(fb, 2)); }
    }
    const speedup = median(tb.map((x, i) => x / ta[i]));
    console.log(`${name.padEnd(44)}${dtype.padEnd(9)}${median(tb).toFixed(1).padStart(11)}${median(ta).toFixed(1).padStart(10)}${(speedup.toFixed(1) + "×").padStart(9)}`);
  }
}
