#!/usr/bin/env node
/**
 * Recording overhead per training step. Standalone (run `node scripts/build.mjs` first):
 *
 *   node bench/recorder.mjs [--reps 9] [--steps 40] [--json]
 *   node bench/recorder.mjs --rev f935e3b        # A/B: the library at a git revision against the working tree
 *   node bench/recorder.mjs --cpu --case "batch 32"   # CPU time per step (steadier on a shared machine), one case
 *   node bench/recorder.mjs --extras             # also: the statistics pass on dense vs sparse gradients, and
 *                                                #       the gradient check's time per mode on 101 770 parameters
 *
 * and part of `npm run bench` (bench/run.mjs imports `recorderBench`). Uses dist/index.cjs.
 *
 * For two MLPs (784-256-256-10 at batch 128, 784-128-10 at batch 32, SGD with momentum) it times one
 * training step (forward, backward, hooks, optimizer step: the loop's own `stepMs`) per configuration:
 *   plain        the bare loop, no hooks (the peer every overhead is relative to)
 *   every        recording every step, wired like `inspect` (the recorder attached with `observe`; a
 *                library from before the observer surface: its loop hooks, as its `inspect` wired them)
 *   every10      recording every 10th step (plus the first and last)
 *   every+nan    recording every step with NaN/Inf origin tracking
 *   nan only     NaN/Inf origin tracking alone
 * Each run trains `steps` steps and drops the first few; a run's time is its median step time. Every
 * repetition runs all configurations back to back (and both libraries with --rev), so drift of the
 * machine hits all of them alike; the overhead printed is the median over repetitions of the per-rep
 * ratio configuration/plain (paired, as bench/run.mjs pairs ours with TF.js).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./util.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");


export const RECORDER_CASES = [
  { label: "784-256-256-10, batch 128", sizes: [784, 256, 256, 10], batch: 128 },
  { label: "784-128-10, batch 32", sizes: [784, 128, 10], batch: 32 },
];

export const RECORDER_CONFIGS = [
  { name: "plain", record: null, nan: false },
  { name: "every", record: { kind: "every", interval: 1 }, nan: false },
  { name: "every10", record: { kind: "every", interval: 10 }, nan: false },
  { name: "every+nan", record: { kind: "every", interval: 1 }, nan: true },
  { name: "nan only", record: null, nan: true },
];

function blobs(gl, n, d, classes) {
  const r = new gl.Random(5);
  const x = new Float64Array(n * d).map(() => r.normal());
  const y = new Float64Array(n).map((_, i) => i % classes);
  return { x: new gl.Tensor(x, [n, d]), y: new gl.Tensor(y, [n]) };
}

function mlp(gl, sizes, batchSize, steps) {
  const { defineModel, losses, nn, optim } = gl;
  const data = blobs(gl, 1024, sizes[0], sizes[sizes.length - 1]);
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

/**
 * Steps `trainer` to the end; returns each step's time: the loop's own wall-clock `stepMs`, or with
 * `clock = "cpu"` the process's CPU time per step (`process.cpuUsage`, all threads: GC included), which
 * moves far less than wall time when other processes share the cores.
 */
let clock = "wall";
function stepAll(trainer) {
  const cpu = [];
  for (;;) {
    const c0 = clock === "cpu" ? process.cpuUsage() : null;
    const more = trainer.next();
    if (c0) {
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    if (!more) break;
  }
  const r = trainer.result();
  return { r, times: clock === "cpu" ? cpu.slice(0, r.stepMs.length) : r.stepMs };
}

/** One run: median step time (ms) after warm-up, and the recorder's own ms per recorded step. */
function run(gl, spec, config, warmup) {
  return gl.observe ? runObserved(gl, spec, config, warmup) : runHooked(gl, spec, config, warmup);
}

/** The recorder and the NaN tracker attached as observers, as `inspect` does. */
function runObserved(gl, spec, config, warmup) {
  const nan = config.nan ? new gl.NanTracker() : null;
  const detachNan = nan ? gl.observe(nan) : null;
  let recorder = null;
  let detach = null;
  try {
    const trainer = gl.createTrainer(spec);
    if (config.record) {
      recorder = new gl.Recorder(config.record, trainer.result().totalSteps);
      recorder.attach(trainer.model, trainer.model.namedParameters());
      detach = gl.observe(recorder);
    }
    const { r, times } = stepAll(trainer);
    if (r.reason !== "completed") throw new Error(`${spec.name}: ${r.reason}`);
    return { ms: median(times.slice(warmup)), recordMs: recorder ? recorder.recordMs / Math.max(1, recorder.stats.size) : 0 };
  } finally {
    detach?.();
    detachNan?.();
  }
}

/** A library from before the observer surface (for --rev): the recorder's loop hooks, as its `inspect` wired them. */
function runHooked(gl, spec, config, warmup) {
  const record = config.record;
  const nan = config.nan ? new gl.NanTracker().start() : null;
  let recorder = null;
  let h = null;
  const hooks = record
    ? {
        onStart: ({ model, totalSteps }) => {
          recorder = new gl.Recorder(record, totalSteps);
          recorder.attach(model, model.namedParameters());
          h = recorder.hooks();
        },
        beforeStep: (ctx) => {
          if (nan) nan.step = ctx.step;
          h.beforeStep(ctx);
        },
        afterBackward: (ctx) => h.afterBackward(ctx),
        wantsPrevious: (step) => (h.wantsPrevious ? h.wantsPrevious(step) : recorder.isRecorded(step)),
        afterStep: (ctx) => h.afterStep(ctx),
      }
    : nan
      ? { beforeStep: (ctx) => void (nan.step = ctx.step) }
      : undefined;
  try {
    const trainer = gl.createTrainer(spec, { hooks });
    const { r, times } = stepAll(trainer);
    if (r.reason !== "completed") throw new Error(`${spec.name}: ${r.reason}`);
    return { ms: median(times.slice(warmup)), recordMs: recorder ? recorder.recordMs / Math.max(1, recorder.stats.size) : 0 };
  } finally {
    nan?.stop();
    recorder?.detach();
  }
}

/**
 * Runs the recorder benchmark over one or more builds of the library (`libs`: [{ name, gl }]) in this
 * process, interleaved. Returns one row per (case, library): plain ms, and per configuration its median
 * ms and overhead (median of the per-rep ratios to plain, minus 1, in %), plus the recorder's own time.
 */
export function recorderBench(libs, { reps = 9, steps = 40, configs = RECORDER_CONFIGS, cases = RECORDER_CASES, time = "wall", log = console.log } = {}) {
  clock = time;
  const warmup = Math.min(5, Math.floor(steps / 4));
  log?.(`recorder overhead: node ${process.version}, ${steps} steps per run (${warmup} dropped), median of ${reps} paired reps, ${time === "cpu" ? "CPU time" : "wall time"} per step`);
  const rows = [];
  for (const c of cases) {
    const specs = libs.map(({ gl }) => mlp(gl, c.sizes, c.batch, steps));
    libs.forEach(({ gl }, k) => { for (const cfg of configs) run(gl, specs[k], cfg, warmup); }); // warm the JIT for every path
    const times = libs.map(() => Object.fromEntries(configs.map((cfg) => [cfg.name, []])));
    const own = libs.map(() => []);
    for (let r = 0; r < reps; r++) {
      // Alternate the library order per rep so neither always runs first.
      const order = r % 2 ? [...libs.keys()].reverse() : [...libs.keys()];
      for (const k of order) {
        for (const cfg of configs) {
          const res = run(libs[k].gl, specs[k], cfg, warmup);
          times[k][cfg.name].push(res.ms);
          if (cfg.name === "every") own[k].push(res.recordMs);
        }
      }
    }
    libs.forEach(({ name }, k) => {
      const t = times[k];
      const plain = median(t.plain);
      const row = { case: c.label, lib: name, plainMs: plain, configs: {} };
      log?.(`\n${c.label}${libs.length > 1 ? ` [${name}]` : ""}: plain ${plain.toFixed(3)} ms/step`);
      for (const cfg of configs.slice(1)) {
        const ms = median(t[cfg.name]);
        const ratio = median(t[cfg.name].map((x, i) => x / t.plain[i]));
        const pct = (ratio - 1) * 100;
        row.configs[cfg.name] = { ms, ratio, overheadPct: pct, samples: t[cfg.name] };
        log?.(`  ${cfg.name.padEnd(11)} ${ms.toFixed(3)} ms/step  ${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`);
      }
      row.plainSamples = t.plain;
      row.recorderOwnMs = median(own[k]);
      log?.(`  recorder's own time on a recorded step: ${row.recorderOwnMs.toFixed(3)} ms (${((row.recorderOwnMs / plain) * 100).toFixed(1)}% of a plain step)`);
      rows.push(row);
    });
  }
  return rows;
}

/** The library at a git revision, bundled from its sources (as bench/ab.mjs does). */
export async function libraryAt(rev) {
  const esbuild = await import("esbuild");
  const src = mkdtempSync(path.join(tmpdir(), "gl-rec-src-"));
  execFileSync("sh", ["-c", `git -C "${root}" archive "${rev}" src package.json | tar -x -C "${src}"`]);
  symlinkSync(path.join(root, "node_modules"), path.join(src, "node_modules"));
  const out = await esbuild.build({
    stdin: { contents: `export * from "./src/index.ts";`, resolveDir: src, loader: "ts" }, bundle: true, write: false,
    format: "cjs", platform: "node", target: "node20", logLevel: "error", keepNames: true,
  });
  const file = path.join(mkdtempSync(path.join(tmpdir(), "gl-rec-lib-")), "index.cjs");
  writeFileSync(file, out.outputFiles[0].text);
  return require(file);
}

/**
 * The statistics pass over one gradient (`GradAccumulator.add`, from the working tree's source) on a
 * dense gradient and on the same one with 40% scattered zeros (ReLU gradients): the pass is branch-free,
 * so the zeros should cost nothing (before it was, mispredicted comparisons made it ~2.7× slower).
 */
export async function statsPassBench({ log = console.log } = {}) {
  const esbuild = await import("esbuild");
  const out = await esbuild.build({
    entryPoints: [path.join(root, "src/instrument/stats.ts")], bundle: true, write: false, format: "cjs",
    platform: "node", target: "node20", logLevel: "error",
  });
  const file = path.join(mkdtempSync(path.join(tmpdir(), "gl-stats-")), "stats.cjs");
  writeFileSync(file, out.outputFiles[0].text);
  const { GradAccumulator } = require(file);
  const gl = require(path.join(root, "dist/index.cjs"));
  const r = new gl.Random(1);
  const dense = new Float64Array(100_480).map(() => r.normal() * 1e-3);
  const sparse = dense.map((v) => (r.uniform() < 0.4 ? 0 : v));
  const acc = new GradAccumulator();
  const best = (g) => {
    let b = Infinity;
    for (let k = 0; k < 40; k++) {
      const t = performance.now();
      for (let i = 0; i < 5; i++) { acc.reset(); acc.add(g, g.length); }
      b = Math.min(b, (performance.now() - t) / 5);
    }
    return b;
  };
  best(dense); best(sparse);
  const d = best(dense), sp = best(sparse);
  log?.(`\nstatistics pass over 100 480 entries: dense ${(d * 1000).toFixed(0)} µs, 40% scattered zeros ${(sp * 1000).toFixed(0)} µs (ratio ${(sp / d).toFixed(2)})`);
  return { denseUs: d * 1000, sparseUs: sp * 1000 };
}

/** The gradient check's time per mode on the 784-128-10 MLP (101 770 parameters); `full` with GL_PERF_FULL=1 (minutes). */
export function gradcheckBench({ log = console.log } = {}) {
  const gl = require(path.join(root, "dist/index.cjs"));
  const spec = mlp(gl, [784, 128, 10], 16, 1);
  const modes = process.env.GL_PERF_FULL ? ["directional", "sampled", "full"] : ["directional", "sampled"];
  const rows = [];
  for (const mode of modes) {
    const r = gl.checkGradients(spec, { mode });
    const maxRel = Math.max(...r.layers.map((l) => l.maxRelError));
    log?.(`gradient check ${mode}: ${r.durationMs.toFixed(0)} ms, ${r.checked} checks, passed ${r.passed}, max rel error ${maxRel.toExponential(1)}`);
    rows.push({ mode, ms: r.durationMs, checked: r.checked, passed: r.passed });
  }
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
  const only = arg("case", "");
  const cases = RECORDER_CASES.filter((c) => !only || c.label.includes(only));
  const rows = recorderBench(libs, { reps: Number(arg("reps", 9)), steps: Number(arg("steps", 40)), cases, time: process.argv.includes("--cpu") ? "cpu" : "wall" });
  if (rev) {
    console.log(`\nA/B (overhead vs each library's own plain loop, same process):`);
    for (const c of cases) {
      const [a, b] = libs.map((l) => rows.find((r) => r.case === c.label && r.lib === l.name));
      for (const name of Object.keys(b.configs)) {
        if (!a.configs[name]) continue;
        console.log(`  ${c.label.padEnd(28)} ${name.padEnd(11)} ${a.configs[name].overheadPct.toFixed(1).padStart(6)}% → ${b.configs[name].overheadPct.toFixed(1).padStart(6)}%`);
      }
    }
  }
  if (process.argv.includes("--extras")) {
    await statsPassBench();
    gradcheckBench();
  }
  if (process.argv.includes("--json")) console.log(JSON.stringify(rows.map(({ plainSamples, ...r }) => ({ ...r, configs: Object.fromEntries(Object.entries(r.configs).map(([k, v]) => [k, { ms: v.ms, ratio: v.ratio, overheadPct: v.overheadPct }])) }))));
}
