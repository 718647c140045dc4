// How big a long run's report is, before and after src/instrument/compact.ts, and how long compaction
// takes. The report is generated (test/fixtures/reports.ts: what inspect writes for a 12-block
// transformer encoder, 200 parameter tensors, a histogram per layer and per tensor on every step);
// `--real N` also runs inspect on the same architecture for N steps (tiny widths; ~50 ms a step) and
// reports the size of what inspect returns (compacted). The panel's draw time is measured in the
// end-to-end test (test/e2e/views.e2e.test.ts), in code-server.
//
//   node bench/reportSize.mjs                 # 1,000 steps × 200 tensors, generated
//   node bench/reportSize.mjs --steps 200     # another length
//   node bench/reportSize.mjs --real 1000     # also a real inspect() run (takes about a minute)
//   node bench/reportSize.mjs --write DIR     # also writes the generated reports as run snapshots (DIR/*.json)
import * as esbuild from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "..", "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const steps = Number(arg("--steps", "1000"));
const real = arg("--real", undefined);
const writeDir = arg("--write", undefined);

const out = await esbuild.build({
  stdin: {
    contents: `export * from "./test/fixtures/reports.ts"; export { compactReport } from "./src/instrument/compact.ts"; export * from "./src/index.ts";`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true, write: false, format: "esm", platform: "node", target: "node20", logLevel: "warning", keepNames: true,
});
const m = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);

const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
const tensorsOf = (r) => r.steps.find((s) => s.layers.length)?.layers.reduce((a, l) => a + (l.params?.length ?? 0), 0) ?? 0;
const describe = (r) => {
  const detailed = r.steps.filter((s) => s.layers.length);
  const withHist = detailed.filter((s) => s.layers.some((l) => l.histogram.counts.length));
  return `${detailed.length} steps with per-layer statistics, ${withHist.length} with histograms`;
};

let t = performance.now();
const report = m.syntheticReport({ steps });
const genMs = performance.now() - t;
const rawBytes = JSON.stringify(report).length;
t = performance.now();
const compact = m.compactReport(report);
const compactMs = performance.now() - t;
const compactBytes = JSON.stringify(compact).length;
console.log(`generated report: ${steps} recorded steps × ${tensorsOf(report)} tensors (${report.model.layers.length} layers), generated in ${genMs.toFixed(0)} ms`);
console.log(`  as recorded: ${mb(rawBytes)}`);
console.log(`  compacted:   ${mb(compactBytes)} (${describe(compact)}), compaction ${compactMs.toFixed(0)} ms`);

if (writeDir) {
  mkdirSync(writeDir, { recursive: true });
  const snap = (r, runId) => ({ runId, command: "train", model: { file: r.model.file, name: r.model.name }, phase: "done", totalSteps: r.steps.length, progress: [], report: r, startedAt: 0 });
  writeFileSync(join(writeDir, "big.json"), JSON.stringify(snap(compact, 3)));
  writeFileSync(join(writeDir, "transformer.json"), JSON.stringify(snap(m.syntheticReport({ steps: 120 }), 1)));
  writeFileSync(join(writeDir, "time.json"), JSON.stringify(snap(m.timeSeriesReport(), 2)));
  console.log(`wrote ${writeDir}/big.json, transformer.json, time.json`);
}

if (real) {
  const { nn, ops, data, losses, optim, defineModel, inspect } = m;
  class MeanOverTime extends nn.Module {
    forward(x) {
      return ops.mean(x, 1);
    }
  }
  const spec = defineModel({
    name: "Transformer encoder, 12 blocks",
    model: () => new nn.Sequential(
      new nn.Linear(2, 8),
      ...Array.from({ length: 12 }, () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 })),
      new nn.LayerNorm(8), new MeanOverTime(), new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 1),
    ),
    data: () => data.addingProblem({ n: 64, length: 6, seed: 1 }),
    loss: losses.mse,
    optimizer: (p) => new optim.Adam(p, { lr: 1e-3 }),
    batchSize: 8,
    steps: Number(real),
  });
  t = performance.now();
  const r = await inspect(spec, { gradcheck: false });
  const ms = performance.now() - t;
  console.log(`inspect(): ${r.steps.length} steps × ${tensorsOf(r)} tensors in ${(ms / 1000).toFixed(1)} s → ${mb(JSON.stringify(r).length)} (${describe(r)})`);
}
