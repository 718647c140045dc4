#!/usr/bin/env node
/**
 * Recording overhead per training step (standalone; run `node scripts/build.mjs` first, then
 * `node bench/recorder.mjs [--reps 7] [--steps 40]`). Uses dist/index.cjs.
 *
 * For two MLPs (784-256-256-10 at batch 128, 784-128-10 at batch 32) it times one training step
 * (forward, backward, hooks, optimizer step: the loop's own `stepMs`) in five configurations, wired
 * exactly as `inspect` wires them (Recorder hooks + NanTracker):
 *   plain        the bare loop, no hooks
 *   every        recording every step, no NaN tracking
 *   every10      recording every 10th step (plus the first and last)
 *   every+nan    recording every step with NaN/Inf origin tracking
 *   nan only     NaN/Inf origin tracking alone
 * Each run trains `steps` steps; the first `warmup` steps are dropped; a run's time is the median step
 * time, and the figure printed is the median over `reps` runs (configurations interleaved per rep, so
 * drift of the machine hits all of them alike). Overheads are relative to `plain`.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const gl = require(path.join(root, "dist/index.cjs"));
const { createTrainer, defineModel, losses, nn, optim, Random, Tensor, Recorder, NanTracker } = gl;

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const REPS = arg("reps", 7);
const STEPS = arg("steps", 40);
const WARMUP = Math.min(5, Math.floor(STEPS / 4));

function blobs(n, d, classes) {
  const r = new Random(5);
  const x = new Float64Array(n * d).map(() => r.normal());
  const y = new Float64Array(n).map((_, i) => i % classes);
  return { x: new Tensor(x, [n, d]), y: new Tensor(y, [n]) };
}

function mlp(sizes, batchSize, steps) {
  const data = blobs(1024, sizes[0], sizes[sizes.length - 1]);
  return defineModel({
    name: `mlp ${sizes.join("-")}`,
    model: () => {
      const layers = [];
      for (let i = 0; i + 1 < sizes.length; i++) {
        layers.push(new nn.Linear(sizes[i], sizes[i + 1], { init: nn.init.heNormal() }));
        if (i + 2 < sizes.length) layers.push(new nn.ReLU());
      }
      return new nn.Sequential(...layers);
    },
    data: () => data,
    loss: losses.softmaxCrossEntropy,
    optimizer: (p) => new optim.SGD(p, { lr: 0.01, momentum: 0.9 }),
    batchSize,
    steps,
  });
}

/** One run: median step time (ms) after warm-up, and the recorder's own ms per recorded step. */
function run(spec, config) {
  const record = config.record;
  const nan = config.nan ? new NanTracker().start() : null;
  let recorder = null;
  let h = null;
  const hooks = record
    ? {
        onStart: ({ model, totalSteps }) => {
          recorder = new Recorder(record, totalSteps);
          recorder.attach(model, model.namedParameters());
          h = recorder.hooks();
        },
        beforeStep: (ctx) => {
          if (nan) nan.step = ctx.step;
          h.beforeStep(ctx);
        },
        afterBackward: (ctx) => h.afterBackward(ctx),
        wantsPrevious: (step) => recorder.isRecorded(step),
        afterStep: (ctx) => h.afterStep(ctx),
      }
    : nan
      ? { beforeStep: (ctx) => void (nan.step = ctx.step) }
      : undefined;
  try {
    const trainer = createTrainer(spec, { hooks });
    while (trainer.next()) { /* step */ }
    const r = trainer.result();
    if (r.reason !== "completed") throw new Error(`${spec.name}: ${r.reason}`);
    const ms = r.stepMs.slice(WARMUP);
    return { ms: median(ms), recordMs: recorder ? recorder.recordMs / Math.max(1, recorder.stats.size) : 0 };
  } finally {
    nan?.stop();
    recorder?.detach();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const CONFIGS = [
  { name: "plain", record: null, nan: false },
  { name: "every", record: { kind: "every", interval: 1 }, nan: false },
  { name: "every10", record: { kind: "every", interval: 10 }, nan: false },
  { name: "every+nan", record: { kind: "every", interval: 1 }, nan: true },
  { name: "nan only", record: null, nan: true },
];

const CASES = [
  { label: "784-256-256-10, batch 128", sizes: [784, 256, 256, 10], batch: 128 },
  { label: "784-128-10, batch 32", sizes: [784, 128, 10], batch: 32 },
];

console.log(`node ${process.version}, ${STEPS} steps per run (${WARMUP} warm-up), median of ${REPS} runs`);
const out = [];
for (const c of CASES) {
  const spec = mlp(c.sizes, c.batch, STEPS);
  for (const cfg of CONFIGS) run(spec, cfg); // warm the JIT for every path
  const times = Object.fromEntries(CONFIGS.map((cfg) => [cfg.name, []]));
  const own = [];
  for (let k = 0; k < REPS; k++) {
    for (const cfg of CONFIGS) {
      const r = run(spec, cfg);
      times[cfg.name].push(r.ms);
      if (cfg.name === "every") own.push(r.recordMs);
    }
  }
  const base = median(times.plain);
  console.log(`\n${c.label}: plain ${base.toFixed(3)} ms/step`);
  const row = { case: c.label, plainMs: base };
  for (const cfg of CONFIGS.slice(1)) {
    const m = median(times[cfg.name]);
    const pct = (m / base - 1) * 100;
    row[cfg.name] = pct;
    console.log(`  ${cfg.name.padEnd(10)} ${m.toFixed(3)} ms/step  ${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`);
  }
  const o = median(own);
  console.log(`  recorder's own time on a recorded step: ${o.toFixed(3)} ms (${((o / base) * 100).toFixed(1)}% of a plain step)`);
  out.push(row);
}
if (process.argv.includes("--json")) console.log(JSON.stringify(out));
