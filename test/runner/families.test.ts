/**
 * The model-family examples (RNN, CNN, transformer, embedding): each pathology export shows the rules its
 * doc comment names, blamed where it says, and each fix is healthy — no warning or error at all, every
 * loss finite, and the loss falling.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { startRun } from "../../src/runner";
import type { Report } from "../../src/report";
import { buildOnce, ROOT, WORKER } from "./build-once";

const example = (name: string) => path.join(ROOT, "examples", name);

async function train(file: string, exportName?: string): Promise<Report> {
  const outcome = await startRun({ file: example(file), command: "train", exportName }, undefined, { workerPath: WORKER }).result;
  if (!outcome.ok) throw new Error(`${file}#${exportName}: ${outcome.error.kind}: ${outcome.error.message}`);
  return outcome.report;
}

const rules = (r: Report) => new Set(r.warnings.map((w) => w.rule));
const problems = (r: Report) => r.warnings.filter((w) => w.severity !== "info").map((w) => `${w.rule}${w.layer ? ` ${w.layer}` : ""}: ${w.message}`);
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const losses = (r: Report) => r.steps.map((s) => s.loss);
/** The line of `examples/<file>` that contains `text` (1-based). */
const lineOf = (file: string, text: string) => readFileSync(example(file), "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;

/**
 * A fixed export: no warnings (but the rules in `allowed`), all losses finite, the last 10 steps' mean
 * loss well below the first 10's.
 */
function expectHealthy(r: Report, factor: number, allowed: string[] = []): void {
  expect(problems(r).filter((p) => !allowed.some((rule) => p.startsWith(`${rule} `)))).toEqual([]);
  const l = losses(r);
  expect(l.every(Number.isFinite)).toBe(true);
  expect(mean(l.slice(-10))).toBeLessThan(mean(l.slice(0, 10)) / factor);
}

beforeAll(buildOnce, 180_000);

describe("model-family examples", () => {
  it("rnn-exploding: the unclipped ReLU RNN's gradient grows until its matmul overflows; clipGradNorm trains it", async () => {
    const r = await train("rnn-exploding.ts");
    expect(rules(r).has("exploding-gradient")).toBe(true);
    const nan = r.warnings.find((w) => w.rule === "nan-or-inf");
    expect(nan?.severity).toBe("error");
    expect(nan?.layer).toBe("layers.0");
    expect(nan?.message).toMatch(/^matmul in layers\.0 produced Infinity/);
    // The loss is finite until the overflow, and the run ends as soon as it is not.
    expect(r.steps.length).toBeLessThan(20);

    const c = await train("rnn-exploding.ts", "clipped");
    expectHealthy(c, 3);
    // Clipping did act: the pre-clip norm of the first step is above the threshold of 1.
    expect(c.steps[0].gradClip?.clipped).toBe(true);
    expect(c.steps[0].gradClip!.totalNorm).toBeGreaterThan(1);
  }, 120_000);

  it("deep-cnn: vanishing gradients in the first sigmoid convolutions, at their line; BN + residual blocks are healthy", async () => {
    const r = await train("deep-cnn.ts");
    const first = r.warnings.find((w) => w.rule === "vanishing-gradient" && w.layer === "layers.0");
    expect(first?.location).toMatchObject({ file: example("deep-cnn.ts"), line: lineOf("deep-cnn.ts", "layers.push(new nn.Conv2d") });
    expect(rules(r).has("exploding-gradient")).toBe(false);
    expectHealthy(await train("deep-cnn.ts", "bnResidual"), 2);
  }, 120_000);

  it("transformer: post-LN at lr 0.03 without warm-up stalls near chance; linear warm-up trains it", async () => {
    const r = await train("transformer.ts");
    expect(rules(r).has("loss-not-decreasing")).toBe(true);
    expect(mean(losses(r).slice(-10))).toBeGreaterThan(0.6);
    // Both heads of the first encoder layer collapse onto single keys while the loss stalls.
    expect(r.warnings.filter((w) => w.rule === "attention-collapse").map((w) => w.layer)).toEqual(["layers.1.selfAttn"]);
    // With warm-up one head of the last layer turns sharp (5–12% of uniform entropy) while its other head
    // stays broad and the loss falls: a specialized head, not a collapse, so no rule fires.
    expectHealthy(await train("transformer.ts", "warmup"), 1.5);
  }, 180_000);

  it("embedding-nan: Adam with eps 0 makes the embedding's untouched rows NaN at step 0; the default eps keeps them finite", async () => {
    const r = await train("embedding-nan.ts");
    const nan = r.warnings.find((w) => w.rule === "nan-or-inf");
    expect(nan).toMatchObject({ severity: "error", layer: "layers.0", step: 0 });
    // The padding row and the rows of "[" and "]": 3 rows × dim 4.
    expect(nan?.message).toMatch(/^Adam\.step \(the optimizer update\) turned layers\.0\.weight into NaN at step 0 \(12 entries\)/);
    expect(nan?.location).toMatchObject({ file: example("embedding-nan.ts"), line: lineOf("embedding-nan.ts", "new nn.Embedding(") });
    expectHealthy(await train("embedding-nan.ts", "fixed"), 10);
  }, 120_000);
});
