// Gradients through time on examples/rnn-adding.ts: the measurements behind vanishing-through-time's
// default (src/instrument/timeRules.ts). Trains the plain RNN and the LSTM (forget bias 1) for their 300
// steps with recording and prints, per series, log10 of ‖∂L/∂h_0‖/‖∂L/∂h_29‖: the smallest and largest
// median over 10 consecutive recorded steps, within the first 20 steps (a `check` run) and over all 300.
// Usage: node bench/through-time.mjs
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./util.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = mkdtempSync(join(tmpdir(), "through-time-"));
const file = join(out, "entry.mjs");
await build({
  stdin: {
    contents: `export { inspect } from "gradient-lens"; export { default as rnn, lstm } from "./examples/rnn-adding";`,
    resolveDir: root, loader: "ts",
  },
  bundle: true, platform: "node", format: "esm", outfile: file, logLevel: "error",
  alias: { "gradient-lens": join(root, "src/index.ts") },
});
const rolling = (xs, w) => xs.slice(0, xs.length - w + 1).map((_, i) => median(xs.slice(i, i + w)));
try {
  const { inspect, rnn, lstm } = await import(pathToFileURL(file).href);
  for (const [label, spec] of [["RNN", rnn], ["LSTM forget bias 1", lstm]]) {
    const r = await inspect(spec, { purpose: "train", gradcheck: false });
    for (const { name } of r.model.timeSeries ?? []) {
      const logs = r.steps.map((s) => s.timeNorms.find((t) => t.name === name).norms).map((n) => Math.log10(n[0] / n[n.length - 1]));
      const first = rolling(logs.slice(0, 20), 10);
      const all = rolling(logs, 10);
      const f = (x) => x.toFixed(2);
      console.log(`${label.padEnd(20)} ${name.padEnd(11)} first 20 steps: min ${f(Math.min(...first))} max ${f(Math.max(...first))}   all ${logs.length}: min ${f(Math.min(...all))} max ${f(Math.max(...all))}   fired: ${r.warnings.filter((w) => w.rule === "vanishing-through-time").length > 0}`);
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
