/**
 * The example gallery: every file loads, every export runs, and each lecture's model shows the
 * symptom it is about (and its fixed variant does not), blamed on the right lines.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { listModels, startRun } from "../../src/runner";
import type { Report } from "../../src/report";
import { buildOnce, ROOT, WORKER } from "./build-once";

const EXAMPLES = path.join(ROOT, "examples");
const options = { workerPath: WORKER };
const example = (name: string) => path.join(EXAMPLES, name);

async function train(file: string, exportName?: string, steps?: number): Promise<Report> {
  const outcome = await startRun({ file: example(file), command: "train", exportName, steps }, undefined, options).result;
  if (!outcome.ok) throw new Error(`${file}#${exportName}: ${outcome.error.kind}: ${outcome.error.message}`);
  return outcome.report;
}

const rules = (r: Report) => new Set(r.warnings.map((w) => w.rule));
/** Warnings that are not info, as "rule layer: message" (readable in a failure). */
const problems = (r: Report) => r.warnings.filter((w) => w.severity !== "info").map((w) => `${w.rule}${w.layer ? ` ${w.layer}` : ""}: ${w.message}`);

/** Per parameter tensor: the median over recorded steps of its update ratio. */
function medianUpdateRatios(r: Report): number[] {
  const byTensor = new Map<string, number[]>();
  for (const s of r.steps) for (const l of s.layers) for (const p of l.params ?? []) {
    if (Number.isFinite(p.updateRatio) && p.updateRatio > 0) byTensor.set(p.name, [...(byTensor.get(p.name) ?? []), p.updateRatio]);
  }
  return [...byTensor.values()].map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
}
const spread = (xs: number[]) => Math.max(...xs) / Math.min(...xs);

beforeAll(buildOnce, 180_000);

describe("example gallery", () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts"));

  it("has one file per lecture topic", () => {
    expect(files.sort()).toEqual([
      "batchnorm.ts", "deep-cnn.ts", "deep-sigmoid.ts", "dying-relu.ts", "embedding-nan.ts", "exploding-linear.ts", "minibatch.ts", "naive-softmax.ts",
      "optimizers.ts", "preprocessing.ts", "relu-he.ts", "rnn-adding.ts", "rnn-exploding.ts", "transformer.ts", "weight-decay.ts", "wrong-backward.ts",
    ]);
  });

  it.each(files)("%s: every export loads and runs 3 steps", async (file) => {
    const listed = await listModels(example(file), options);
    if (!listed.ok) throw new Error(listed.error.message);
    expect(listed.models.length).toBeGreaterThan(0);
    expect(listed.models[0].exportName).toBe("default");
    for (const m of listed.models) {
      const report = await train(file, m.exportName, 3);
      expect(report.steps.length).toBeGreaterThan(0);
      for (const layer of report.model.layers) expect(layer.location?.file).toMatch(/examples\/[\w-]+\.ts$/);
    }
  });

  it("deep-sigmoid: vanishing gradients in the first Linear layers, at their lines", async () => {
    const r = await train("deep-sigmoid.ts");
    const first = r.warnings.find((w) => w.rule === "vanishing-gradient" && w.layer === "layers.0");
    expect(first?.location).toMatchObject({ file: example("deep-sigmoid.ts"), line: 15 });
  });

  it("relu-he: the same depth with ReLU and He init has no vanishing gradients", async () => {
    expect(rules(await train("relu-he.ts")).has("vanishing-gradient")).toBe(false);
  });

  it("exploding-linear: exploding gradients; the default-init variant is clean", async () => {
    expect(rules(await train("exploding-linear.ts")).has("exploding-gradient")).toBe(true);
    expect(rules(await train("exploding-linear.ts", "fixed")).has("exploding-gradient")).toBe(false);
  });

  it("dying-relu: dead ReLUs; LeakyReLU keeps them alive", async () => {
    expect(rules(await train("dying-relu.ts")).has("dead-relu")).toBe(true);
    expect(rules(await train("dying-relu.ts", "leaky")).has("dead-relu")).toBe(false);
  });

  it("naive-softmax: the naive loss hits NaN/Inf at exp; log-sum-exp stays finite", async () => {
    const naive = await train("naive-softmax.ts");
    expect(naive.warnings.find((w) => w.rule === "nan-or-inf")?.message).toMatch(/exp/);
    const stable = await train("naive-softmax.ts", "stable");
    expect(rules(stable).has("nan-or-inf")).toBe(false);
    expect(stable.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
  });

  // Every export whose doc comment calls it healthy (the fix, the baseline to compare with): no warning
  // and no error at all, not merely the absence of the lecture's own rule.
  it.each([
    ["relu-he.ts", "default"],
    ["batchnorm.ts", "default"],
    ["naive-softmax.ts", "stable"],
    ["exploding-linear.ts", "fixed"],
    ["dying-relu.ts", "leaky"],
    ["wrong-backward.ts", "fixed"],
    ["preprocessing.ts", "default"],
    ["preprocessing.ts", "standardizedInputs"],
    ["minibatch.ts", "minibatch"],
    ["minibatch.ts", "fullBatch"],
    ...["sgd", "momentum", "nesterov", "momentumWarmup", "rmsprop", "adam", "adaptiveGains", "adagrad"].map((m) => ["optimizers.ts", m]),
  ])("%s#%s is healthy: no warnings (info aside)", async (file, exportName) => {
    expect(problems(await train(file, exportName))).toEqual([]);
  });

  it("preprocessing: class-sorted minibatches make the loss oscillate; shuffled ones do not", async () => {
    const unshuffled = await train("preprocessing.ts", "unshuffled");
    expect(rules(unshuffled).has("loss-oscillating")).toBe(true);
    expect(rules(await train("preprocessing.ts")).has("loss-oscillating")).toBe(false);
  });

  it("preprocessing: unscaled features make the update ratios differ wildly between weights; standardizing evens them", async () => {
    // The doc's symptom is a number in the report, not a rule: the spread of per-tensor update ratios.
    const unscaled = spread(medianUpdateRatios(await train("preprocessing.ts", "unscaled")));
    const standardized = spread(medianUpdateRatios(await train("preprocessing.ts", "standardizedInputs")));
    expect(unscaled).toBeGreaterThan(10 * standardized);
  });

  it("minibatch: one example per step gives a far noisier loss that still decreases, which the loss rules read as noise", async () => {
    // minibatch.ts's doc comment: single examples give a noisy loss; the loss rules judge it on blocks
    // of 32 examples, so the noise is neither "oscillation" nor "not decreasing".
    const online = await train("minibatch.ts", "singleExample");
    const full = await train("minibatch.ts", "fullBatch");
    const jitter = (r: Report) => {
      const d = r.steps.slice(1).map((s, i) => s.loss - r.steps[i].loss);
      return Math.sqrt(d.reduce((a, x) => a + x * x, 0) / d.length);
    };
    expect(jitter(online)).toBeGreaterThan(10 * jitter(full));
    const blockMean = (r: Report, from: number, to: number) => r.steps.slice(from, to).reduce((a, s) => a + s.loss, 0) / (to - from);
    expect(blockMean(online, 150, 200)).toBeLessThan(blockMean(online, 0, 50));
    expect(problems(online)).toEqual([]);
    expect(rules(await train("minibatch.ts", "minibatch")).has("loss-oscillating")).toBe(false);
  });

  it("batchnorm: batch norm removes the vanishing-gradient warnings of the same deep sigmoid net", async () => {
    expect(rules(await train("batchnorm.ts")).has("vanishing-gradient")).toBe(false);
    expect(rules(await train("batchnorm.ts", "without")).has("vanishing-gradient")).toBe(true);
  });

  it("rnn-adding: the plain RNN stays at the adding problem's 1/6 baseline; the LSTM with forget bias 1 learns it", async () => {
    // Mean loss over the last 50 steps; predicting 1 always scores 1/6 ≈ 0.167.
    const tail = (r: Report) => r.steps.slice(-50).reduce((a, s) => a + s.loss, 0) / 50;
    const rnn = await train("rnn-adding.ts");
    expect(rnn.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(tail(rnn)).toBeGreaterThan(0.12);
    const lstm = await train("rnn-adding.ts", "lstm");
    expect(tail(lstm)).toBeLessThan(0.02);
    expect(problems(lstm)).toEqual([]);
  }, 120_000);
});
