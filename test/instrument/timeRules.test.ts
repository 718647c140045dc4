/**
 * The rules over time: models that must trigger each and models that must not (the plain RNN and the
 * LSTM of examples/rnn-adding.ts, a relu recurrence that amplifies, collapsed and healthy attention, tiny
 * and large clipping thresholds), the rules on hand-made contexts, their grouping into problems, their
 * hints (only this library's API) and the CLI's table of gradients through time.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as api from "../../src";
import { data, defineModel, inspect, losses, nn, ops, optim, Tensor, type Report, type StepRecord, type Warning } from "../../src";
import rnnAdding, { lstm as lstmAdding } from "../../examples/rnn-adding";
import { attentionCollapse, clippingAlwaysActive, explodingThroughTime, vanishingThroughTime } from "../../src/instrument/timeRules";
import { RULES, runRules, type RuleContext } from "../../src/instrument/rules";
import { groupProblems } from "../../src/instrument/problems";
import { formatReport, formatTimeSeries, sparkline } from "../../src/cli/format";
import { classifier, mlp } from "./fixtures";

const fired = (r: Report, rule: string) => r.warnings.filter((w) => w.rule === rule);

/** log10 of the median first/last ratio over the recorded steps of the series `name`. */
function medianLogRatio(r: Report, name: string): number {
  const xs = r.steps.flatMap((s) => s.timeNorms?.filter((t) => t.name === name).map((t) => Math.log10(t.norms[0] / t.norms[t.norms.length - 1])) ?? []).sort((a, b) => a - b);
  return xs[xs.length >> 1];
}

describe("vanishing-through-time on examples/rnn-adding.ts (a 20-step check run)", () => {
  it("fires on the plain tanh RNN and blames its layer; stays silent on the LSTM with forget bias 1", async () => {
    const rnn = await inspect(rnnAdding, { purpose: "check", gradcheck: false });
    const lstm = await inspect(lstmAdding, { purpose: "check", gradcheck: false });
    console.log(`median log10 ‖g_0‖/‖g_29‖: rnn h ${medianLogRatio(rnn, "layers.0").toFixed(2)}, lstm h ${medianLogRatio(lstm, "layers.0").toFixed(2)}, lstm c ${medianLogRatio(lstm, "layers.0.c").toFixed(2)}`);
    const w = fired(rnn, "vanishing-through-time");
    expect(w).toHaveLength(1);
    expect(w[0].layer).toBe("layers.0");
    expect(w[0].evidence).toMatchObject({ series: "layers.0", timeSteps: 30, kind: "recurrent" });
    expect(w[0].evidence.ratio as number).toBeLessThan(vanishingThroughTime.defaults.ratio);
    expect(w[0].hint).toMatch(/nn\.LSTM/);
    expect(fired(lstm, "vanishing-through-time")).toEqual([]);
    // The LSTM's hidden state alone decays too; its cell state is what carries the gradient back.
    expect(medianLogRatio(lstm, "layers.0.c")).toBeGreaterThan(medianLogRatio(lstm, "layers.0"));
    // The problem names the cause, not its symptoms.
    const p = rnn.problems!.find((x) => x.rule === "vanishing-through-time")!;
    expect(p.title).toBe("vanishing gradients through time in layers.0");
    expect(p.fix).toBe(w[0].hint);
  }, 120_000);
});

/** The last time step of a (batch, time, hidden) sequence. */
class LastStep extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.reshape(ops.slice(x, 1, -1), [x.shape[0], x.shape[2]]);
  }
}

/** A relu RNN whose recurrent weight is `gain`·I and input weights positive: each step back multiplies ∂L/∂h by `gain`. */
function reluRecurrence(gain: number): () => nn.Module {
  return () => {
    const rnn = new nn.RNN(2, 4, { nonlinearity: "relu" });
    const [wih, whh, bih, bhh] = rnn.parameters();
    wih.data.fill(0.5);
    whh.data.fill(0);
    for (let i = 0; i < 4; i++) whh.data[i * 4 + i] = gain;
    bih.data.fill(0.1);
    bhh.data.fill(0);
    return new nn.Sequential(rnn, new LastStep(), new nn.Linear(4, 1));
  };
}

const recurrentSpec = (name: string, model: () => nn.Module, length = 12) => defineModel({
  name, model,
  data: () => {
    const d = data.addingProblem({ n: 64, length, seed: 3 });
    // Positive inputs keep every relu unit on: the growth is the recurrent weight's alone.
    return { x: ops.abs(d.x), y: d.y };
  },
  loss: losses.mse,
  // lr 0: the weights, hence the growth per step back, stay as built.
  optimizer: (p) => new optim.SGD(p, { lr: 0 }),
  batchSize: 16,
  steps: 12,
});

describe("exploding-through-time", () => {
  it("fires on a relu recurrence with gain 1.5 (ratio 1.5^11 ≈ 86) and not with gain 1.2 (7.4) nor on a tanh RNN", async () => {
    const big = await inspect(recurrentSpec("gain 1.5", reluRecurrence(1.5)), { gradcheck: false });
    const w = fired(big, "exploding-through-time");
    expect(w).toHaveLength(1);
    expect(w[0].layer).toBe("layers.0");
    expect(w[0].evidence.ratio as number).toBeCloseTo(1.5 ** 11, 6);
    const small = await inspect(recurrentSpec("gain 1.2", reluRecurrence(1.2)), { gradcheck: false });
    expect(fired(small, "exploding-through-time")).toEqual([]);
    expect(medianLogRatio(small, "layers.0")).toBeCloseTo(11 * Math.log10(1.2), 6);
    const tanh = await inspect(recurrentSpec("tanh", () => new nn.Sequential(new nn.RNN(2, 4), new LastStep(), new nn.Linear(4, 1))), { gradcheck: false });
    expect(fired(tanh, "exploding-through-time")).toEqual([]);
    // Exploding through time is a cause in the exploding family (beside the layer-wise exploding-gradient it comes with here).
    const i = big.warnings.findIndex((x) => x.rule === "exploding-through-time");
    const p = big.problems!.find((x) => x.causes.includes(i))!;
    expect(p.causes.map((c) => big.warnings[c].rule).sort()).toEqual(["exploding-gradient", "exploding-through-time"].filter((r) => fired(big, r).length).sort());
    expect(p.title).toMatch(/^exploding gradients( through time)? in layers\.0$/);
  });
});

/** Mean over time of a (batch, time, features) sequence. */
class MeanOverTime extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.mean(x, 1);
  }
}

function attentionSpec(name: string, scale: number) {
  return defineModel({
    name,
    model: () => {
      const attn = new nn.MultiheadAttention(8, 2);
      for (const p of [attn.qProj.weight, attn.kProj.weight]) for (let i = 0; i < p.size; i++) p.data[i] *= scale;
      return new nn.Sequential(attn, new MeanOverTime(), new nn.Linear(8, 1));
    },
    data: () => {
      const n = 32, t = 8, e = 8;
      const x = new Tensor(Float64Array.from({ length: n * t * e }, (_, i) => Math.sin(0.37 * i) + Math.cos(1.91 * i)), [n, t, e]);
      const y = new Tensor(Float64Array.from({ length: n }, (_, i) => Math.sin(i)), [n, 1]);
      return { x, y };
    },
    loss: losses.mse,
    optimizer: (p) => new optim.SGD(p, { lr: 1e-3 }),
    batchSize: 16,
    steps: 6,
  });
}

describe("attention-collapse", () => {
  it("fires on heads whose query/key weights are scaled ×30 (near one-hot) and not at PyTorch's init", async () => {
    const collapsed = await inspect(attentionSpec("collapsed", 30), { gradcheck: false });
    const healthy = await inspect(attentionSpec("healthy", 1), { gradcheck: false });
    const w = fired(collapsed, "attention-collapse");
    expect(w.map((x) => [x.layer, x.evidence.heads])).toEqual([["layers.0", 2]]);
    expect(w[0].evidence.fraction as number).toBeLessThan(0.1);
    for (const f of w[0].evidence.fractions as number[]) expect(f).toBeLessThan(0.1);
    expect(w[0].message).toMatch(/^all 2 heads of layers\.0 have collapsed: attention entropy \(head 0: .*, 1: .*\) nats/);
    expect(fired(healthy, "attention-collapse")).toEqual([]);
    const h = healthy.steps[0].attention![0];
    expect(h.uniformEntropy).toBeCloseTo(Math.log(8), 12);
    for (const e of h.entropy) expect(e / h.uniformEntropy!).toBeGreaterThan(0.5);
  });
});

describe("clipping-always-active", () => {
  it("fires (info) when clipGradNorm is far below the gradient norm and not when it is far above", async () => {
    const tiny = await inspect(classifier("tiny clip", () => mlp(2, 16, () => new nn.ReLU(), nn.init.heNormal()), 0.1, { clipGradNorm: 1e-4, steps: 20 }), { gradcheck: false });
    const large = await inspect(classifier("large clip", () => mlp(2, 16, () => new nn.ReLU(), nn.init.heNormal()), 0.1, { clipGradNorm: 1e4, steps: 20 }), { gradcheck: false });
    const w = fired(tiny, "clipping-always-active");
    expect(w).toHaveLength(1);
    expect(w[0].severity).toBe("info");
    expect(w[0].evidence).toMatchObject({ clippedFraction: 1, steps: 20 });
    expect(fired(large, "clipping-always-active")).toEqual([]);
  });
});

// ---- on hand-made contexts ----------------------------------------------------------------------------

const step = (i: number, timeNorms?: StepRecord["timeNorms"], extra: Partial<StepRecord> = {}): StepRecord => ({ step: i, loss: 1, layers: [], ...(timeNorms ? { timeNorms } : {}), ...extra });
const ctxOf = (steps: StepRecord[], timeSeries?: RuleContext["timeSeries"]): RuleContext => ({
  steps, layers: [{ name: "rnn", kind: "RNN", hasParams: true, location: { file: "m.ts", line: 3, column: 1 } }], timeSeries,
});

describe("the rules on hand-made records", () => {
  const series = [{ name: "rnn", kind: "recurrent" as const, layer: "rnn" }];

  it("vanishing-through-time judges the median over a window: one good step among bad ones does not hide it", () => {
    const ratios = [1e-7, 1e-6, 1e-2, 1e-7, 1e-8, 1e-7, 1e-6, 1e-7, 1e-7, 1e-6];
    const steps = ratios.map((r, i) => step(i, [{ name: "rnn", norms: [r, 0.5, 1] }]));
    const w = vanishingThroughTime.check(ctxOf(steps, series), vanishingThroughTime.defaults);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ rule: "vanishing-through-time", layer: "rnn", location: { file: "m.ts", line: 3, column: 1 } });
    expect(w[0].evidence.ratio).toBe(1e-7);
    // Just above the threshold on most steps: silent.
    const ok = ratios.map((_, i) => step(i, [{ name: "rnn", norms: [i % 3 ? 2e-5 : 1e-9, 1] }]));
    expect(vanishingThroughTime.check(ctxOf(ok, series), vanishingThroughTime.defaults)).toEqual([]);
  });

  it("a layer's series are judged together: the larger ratio (the cell state) counts", () => {
    const lstmSeries = [...series, { name: "rnn.c", kind: "recurrent" as const, layer: "rnn" }];
    const steps = [0, 1, 2].map((i) => step(i, [{ name: "rnn", norms: [1e-9, 1] }, { name: "rnn.c", norms: [1e-3, 1] }]));
    expect(vanishingThroughTime.check(ctxOf(steps, lstmSeries), vanishingThroughTime.defaults)).toEqual([]);
    const both = [0, 1, 2].map((i) => step(i, [{ name: "rnn", norms: [1e-9, 1] }, { name: "rnn.c", norms: [1e-8, 1] }]));
    expect(vanishingThroughTime.check(ctxOf(both, lstmSeries), vanishingThroughTime.defaults)[0].evidence.series).toBe("rnn.c");
  });

  it("user taps are judged one by one; non-finite or zero last norms are skipped", () => {
    const steps = [0, 1].map((i) => step(i, [{ name: "h", norms: [1e3, 1, 1] }, { name: "g", norms: [NaN, 1, 0] }]));
    const w = explodingThroughTime.check(ctxOf(steps, [{ name: "h", kind: "tap" }, { name: "g", kind: "tap" }]), explodingThroughTime.defaults);
    expect(w.map((x) => [x.evidence.series, x.evidence.kind, x.layer])).toEqual([["h", "tap", undefined]]);
    expect(w[0].message).toMatch(/the tapped "h"/);
  });

  it("attention-collapse needs every head of a layer below the fraction of uniform; clipping-always-active needs most steps clipped", () => {
    const attn = (entropy: number[][]) => entropy.map((e, i) => step(i, undefined, { attention: [{ layer: "attn", entropy: e, uniformEntropy: Math.log(8) }] }));
    // One sharp head beside a broad one (a positional head, say): silent.
    expect(attentionCollapse.check(ctxOf(attn([[0.05, 1.9], [0.05, 1.9], [0.05, 1.9]])), attentionCollapse.defaults)).toEqual([]);
    // Both heads below 10% of log 8 ≈ 0.208 nats on the median step: the layer is blamed once.
    const w = attentionCollapse.check(ctxOf(attn([[0.05, 0.15], [0.05, 1.9], [0.1, 0.2], [0.02, 0.1], [0.03, 0.12]])), attentionCollapse.defaults);
    expect(w.map((x) => [x.layer, x.evidence.heads, x.step])).toEqual([["attn", 2, 0]]);
    expect(w[0].evidence.fraction).toBeCloseTo(0.15 / Math.log(8), 12);
    // A single-head layer: its one head.
    expect(attentionCollapse.check(ctxOf(attn([[0.05], [0.05], [0.05]])), attentionCollapse.defaults)[0].message).toMatch(/^the head of attn has collapsed/);
    const clip = (clipped: boolean[]) => clipped.map((c, i) => step(i, undefined, { gradClip: { totalNorm: 5, clipped: c } }));
    expect(clippingAlwaysActive.check(ctxOf(clip(Array(10).fill(true))), clippingAlwaysActive.defaults)).toHaveLength(1);
    expect(clippingAlwaysActive.check(ctxOf(clip([...Array(8).fill(true), false, false])), clippingAlwaysActive.defaults)).toEqual([]);
    expect(clippingAlwaysActive.check(ctxOf(clip(Array(9).fill(true))), clippingAlwaysActive.defaults)).toEqual([]);
  });

  it("the rules are registered: runRules runs them, and they can be turned off", () => {
    const steps = [0, 1, 2].map((i) => step(i, [{ name: "rnn", norms: [1e-9, 1] }]));
    expect(runRules(ctxOf(steps, series)).map((w) => w.rule)).toContain("vanishing-through-time");
    expect(runRules(ctxOf(steps, series), { "vanishing-through-time": { enabled: false } }).map((w) => w.rule)).not.toContain("vanishing-through-time");
    for (const id of ["vanishing-through-time", "exploding-through-time", "attention-collapse", "clipping-always-active"]) expect(RULES).toHaveProperty(id);
  });
});

describe("problems", () => {
  const w = (rule: string, layer?: string, evidence: Record<string, unknown> = {}): Warning => ({ rule, severity: rule === "clipping-always-active" ? "info" : "warning", message: rule, evidence, ...(layer ? { layer } : {}), hint: `fix ${rule}` });

  it("vanishing-through-time is the cause; loss-not-decreasing its symptom", () => {
    const ps = groupProblems([w("loss-not-decreasing"), w("vanishing-through-time", "layers.0")], ["layers.0", "layers.1"]);
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatchObject({ rule: "vanishing-through-time", title: "vanishing gradients through time in layers.0", causes: [1], symptoms: [0], fix: "fix vanishing-through-time" });
  });

  it("exploding-through-time joins the exploding family, with clipping on every step as a symptom; alone, clipping and collapse are problems of their own", () => {
    const ps = groupProblems([w("clipping-always-active"), w("exploding-through-time", "layers.0"), w("attention-collapse", "layers.1")], ["layers.0", "layers.1"]);
    expect(ps.map((p) => [p.rule, p.causes, p.symptoms])).toEqual([["exploding-through-time", [1], [0]], ["attention-collapse", [2], []]]);
    expect(groupProblems([w("clipping-always-active")]).map((p) => p.rule)).toEqual(["clipping-always-active"]);
  });
});

describe("hints of the time rules name only this library's API", () => {
  it("every nn.X, optim.X, … in src/instrument/timeRules.ts exists", () => {
    const src = readFileSync(fileURLToPath(new URL("../../src/instrument/timeRules.ts", import.meta.url)), "utf8");
    const code = src.split("\n").filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l)).join("\n");
    const strings = [...code.matchAll(/"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
    const names = strings.flatMap((s) => [...s.matchAll(/\b(nn\.init|nn|optim|losses|ops)\.([A-Za-z_]\w*)/g)].map((m) => `${m[1]}.${m[2]}`));
    expect(names.length).toBeGreaterThan(5);
    for (const n of names) {
      let at: unknown = api;
      for (const part of n.split(".")) at = at && (typeof at === "object" || typeof at === "function") ? (at as Record<string, unknown>)[part] : undefined;
      expect(at, n).toBeDefined();
    }
  });
});

describe("CLI: gradients through time", () => {
  it("sparkline: log scale from the smallest to the largest norm; 0 and non-finite marked", () => {
    expect(sparkline([1e-8, 1e-4, 1])).toBe("▁▅█");
    expect(sparkline([0, 1, NaN])).toBe("·█?");
    expect(sparkline(Array.from({ length: 64 }, (_, t) => 10 ** (t / 8)), 8)).toBe("▁▂▃▄▅▆▇█");
  });

  it("a table row per series with first, middle, last, first/last and the sparkline; attention heads", () => {
    const report: Report = {
      version: 1,
      model: { name: "m", parameters: 1, layers: [{ name: "layers.0", kind: "RNN", parameters: 1, location: { file: "/w/m.ts", line: 7, column: 3 } }], timeSeries: [{ name: "layers.0", kind: "recurrent", layer: "layers.0" }] },
      steps: [step(0, [{ name: "layers.0", norms: [1e-6, 1e-3, 1e-2, 1] }], { attention: [{ layer: "attn", entropy: [0.5, 2], uniformEntropy: 2.08 }] })],
      warnings: [],
    };
    const text = formatTimeSeries(report, { cwd: "/w" });
    expect(text).toContain("Gradients through time (‖∂L/∂h_t‖, step 0):");
    const row = text.split("\n").find((l) => l.startsWith("layers.0"))!;
    expect(row.split(/\s{2,}/)).toEqual(["layers.0", "recurrent", "m.ts:7", "4", "1.00e-6", "0.00100", "1.00", "1.00e-6", "▁▅▆█"]);
    expect(text).toMatch(/attn\s+0\.500 2\.00\s+2\.08/);
    expect(formatReport(report)).toContain("Gradients through time");
    expect(formatTimeSeries({ ...report, steps: [step(0)] })).toBe("");
  });
});
