/**
 * The diagnosis benchmark: models whose ground truth is known by construction (not by running the
 * tool). Each case names the rules of which at least one must fire (`fire`, empty for healthy models)
 * and the rules that must stay silent. Small models and few steps: the whole corpus runs in seconds.
 */
import { data, defineModel, defineOp, inspect, losses, nn, ops, optim, type ModelSpec, type Report, type Tensor } from "../../src";
import { mlp, NaiveSoftmax, nll, regression, spirals } from "../instrument/fixtures";
import { FAMILY_CASES } from "./families";

export interface DiagnosisCase {
  name: string;
  spec: () => ModelSpec;
  /** At least one of these must fire (empty: a healthy model). */
  fire: string[];
  /** None of these may fire. */
  silent: string[];
  /** Run the gradient check (the wrong-backward cases). */
  gradcheck?: boolean;
  /** A miss we know of and why: reported, and CI fails only on cases without one. */
  knownMiss?: string;
}

/** The rules a healthy model must never get (the issue's list of false alarms). */
export const ALARMS = ["gradcheck-failed", "vanishing-gradient", "exploding-gradient", "dead-relu", "nan-or-inf", "saturated-activation"];

type Act = () => nn.Module;
const relu: Act = () => new nn.ReLU();
const tanh: Act = () => new nn.Tanh();
const sigmoid: Act = () => new nn.Sigmoid();

function spec(name: string, model: () => nn.Module, opt: (p: Tensor[]) => optim.Optimizer, extra: Partial<ModelSpec> = {}): () => ModelSpec {
  return () => defineModel({
    name, model, data: () => spirals(), loss: losses.softmaxCrossEntropy, optimizer: opt, batchSize: 32, steps: 30, seed: 1, ...extra,
  });
}
const sgd = (lr: number) => (p: Tensor[]) => new optim.SGD(p, { lr });

function healthy(name: string, s: () => ModelSpec): DiagnosisCase {
  return { name, spec: s, fire: [], silent: ALARMS, gradcheck: true };
}

/** A Linear layer followed by an op applied elementwise (a custom activation). */
class Apply extends nn.Module {
  constructor(readonly op: (x: Tensor) => Tensor) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.op(x);
  }
}

function wrongBackward(name: string, backward: (g: Tensor, x: Tensor) => Tensor): DiagnosisCase {
  const op = defineOp({ name: `bench_${name}`, forward: (x) => ops.mul(x, x), backward: (g, { inputs: [x] }) => [backward(g, x)] });
  return {
    name: `wrong backward: ${name}`,
    spec: spec(`wrong backward ${name}`, () => new nn.Sequential(new nn.Linear(2, 8), new Apply(op), new nn.Linear(8, 2)), sgd(0.05), { steps: 3 }),
    fire: ["gradcheck-failed"], silent: [], gradcheck: true,
  };
}

const regressionSpec = (name: string, opt: (p: Tensor[]) => optim.Optimizer, steps: number, batchSize: number) => () => defineModel({
  name, model: () => new nn.Linear(4, 1), data: () => regression(), loss: losses.mse, optimizer: opt, batchSize, steps, seed: 1,
});

/** The last time step of a (batch, time, hidden) sequence. */
class LastStep extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.reshape(ops.slice(x, 1, -1), [x.shape[0], x.shape[2]]);
  }
}

/** The adding problem over 40 steps (Hochreiter & Schmidhuber 1997) with a recurrent layer read at its last step. */
const addingSpec = (name: string, layer: () => nn.Module) => () => defineModel({
  name, model: () => new nn.Sequential(layer(), new LastStep(), new nn.Linear(12, 1)),
  data: () => data.addingProblem({ n: 256, length: 40, seed: 1 }), loss: losses.mse,
  optimizer: (p) => new optim.Adam(p, { lr: 0.01 }), batchSize: 32, steps: 20, seed: 1,
});

export const CASES: DiagnosisCase[] = [
  // ---- healthy: activations, inits, normalizations, optimizers, batch sizes, converged runs ----
  healthy("relu he 3×16 sgd", spec("h1", () => mlp(3, 16, relu, nn.init.heNormal()), sgd(0.1))),
  healthy("relu he 6×32 sgd", spec("h2", () => mlp(6, 32, relu, nn.init.heNormal()), sgd(0.05))),
  healthy("relu he-uniform 4×16", spec("h3", () => mlp(4, 16, relu, nn.init.heUniform()), sgd(0.1))),
  healthy("relu torch default 3×32", spec("h4", () => mlp(3, 32, relu, nn.init.torchDefault()), sgd(0.1))),
  healthy("tanh xavier 3×16", spec("h5", () => mlp(3, 16, tanh, nn.init.xavierNormal()), sgd(0.1))),
  healthy("tanh xavier 5×16", spec("h6", () => mlp(5, 16, tanh, nn.init.xavierNormal()), sgd(0.05))),
  healthy("sigmoid xavier 2×16", spec("h7", () => mlp(2, 16, sigmoid, nn.init.xavierNormal()), sgd(0.5))),
  healthy("leaky relu he 4×16", spec("h8", () => mlp(4, 16, () => new nn.LeakyReLU(), nn.init.heNormal()), sgd(0.1))),
  healthy("gelu he 3×16", spec("h9", () => mlp(3, 16, () => new nn.GELU(), nn.init.heNormal()), sgd(0.1))),
  healthy("softplus lecun 3×16", spec("h10", () => mlp(3, 16, () => new nn.Softplus(), nn.init.lecunNormal()), sgd(0.1))),
  healthy("relu + batchnorm", spec("h11", () => new nn.Sequential(new nn.Linear(2, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 2)), sgd(0.1))),
  healthy("tanh + layernorm", spec("h12", () => new nn.Sequential(new nn.Linear(2, 16), new nn.LayerNorm(16), new nn.Tanh(), new nn.Linear(16, 16), new nn.LayerNorm(16), new nn.Tanh(), new nn.Linear(16, 2)), sgd(0.1))),
  healthy("relu he adam", spec("h13", () => mlp(3, 16, relu, nn.init.heNormal()), (p) => new optim.Adam(p, { lr: 1e-2 }))),
  healthy("relu he adamw", spec("h14", () => mlp(3, 16, relu, nn.init.heNormal()), (p) => new optim.AdamW(p, { lr: 1e-2 }))),
  healthy("tanh xavier rmsprop", spec("h15", () => mlp(3, 16, tanh, nn.init.xavierNormal()), (p) => new optim.RMSProp(p, { lr: 1e-3 }))),
  healthy("relu he adagrad", spec("h16", () => mlp(3, 16, relu, nn.init.heNormal()), (p) => new optim.AdaGrad(p, { lr: 0.05 }))),
  healthy("relu he momentum", spec("h17", () => mlp(3, 16, relu, nn.init.heNormal()), (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }))),
  healthy("tiny batch (2) relu he", spec("h18", () => mlp(3, 16, relu, nn.init.heNormal()), sgd(0.02), { batchSize: 2, steps: 40 })),
  healthy("batch 1 tanh xavier", spec("h19", () => mlp(2, 8, tanh, nn.init.xavierNormal()), sgd(0.02), { batchSize: 1, steps: 40 })),
  healthy("full batch relu he", spec("h20", () => mlp(3, 16, relu, nn.init.heNormal()), sgd(0.1), { batchSize: 200 })),
  healthy("linear regression converged (sgd, 300 steps)", regressionSpec("h21", sgd(0.1), 300, 64)),
  healthy("linear regression adam, batch 8", regressionSpec("h22", (p) => new optim.Adam(p, { lr: 0.05 }), 100, 8)),
  healthy("moons relu he", () => defineModel({ name: "h23", model: () => mlp(3, 16, relu, nn.init.heNormal()), data: () => data.moons({ n: 128, seed: 1 }), loss: losses.softmaxCrossEntropy, optimizer: sgd(0.1), batchSize: 16, steps: 30 })),

  // ---- broken, by construction ----
  { name: "vanishing: deep sigmoid, small init", spec: spec("b1", () => mlp(9, 32, sigmoid, nn.init.normal(0.1)), sgd(0.1)), fire: ["vanishing-gradient"], silent: ["exploding-gradient", "gradcheck-failed"] },
  { name: "vanishing: deep tanh, tiny init", spec: spec("b2", () => mlp(10, 32, tanh, nn.init.normal(0.01)), sgd(0.1)), fire: ["vanishing-gradient"], silent: ["exploding-gradient", "gradcheck-failed"] },
  { name: "vanishing: deep sigmoid, xavier", spec: spec("b3", () => mlp(12, 16, sigmoid, nn.init.xavierNormal()), sgd(0.1)), fire: ["vanishing-gradient"], silent: ["exploding-gradient"] },
  { name: "exploding: deep linear, large init", spec: spec("b4", () => mlp(8, 32, null, nn.init.normal(1)), sgd(1e-3)), fire: ["exploding-gradient"], silent: ["vanishing-gradient", "gradcheck-failed"] },
  { name: "exploding: deep relu, large init", spec: spec("b5", () => mlp(8, 32, relu, nn.init.normal(1)), sgd(1e-6)), fire: ["exploding-gradient"], silent: ["vanishing-gradient", "gradcheck-failed"] },
  { name: "exploding: deep leaky relu, large init", spec: spec("b6", () => mlp(8, 32, () => new nn.LeakyReLU(), nn.init.normal(0.8)), sgd(1e-6)), fire: ["exploding-gradient"], silent: ["vanishing-gradient", "gradcheck-failed"] },
  { name: "exploding: deep linear, uniform large init", spec: spec("b7", () => mlp(6, 32, null, nn.init.uniform(-1.5, 1.5)), sgd(1e-4)), fire: ["exploding-gradient"], silent: ["vanishing-gradient"] },
  { name: "dead relu: bias -10", spec: spec("b8", () => mlp(3, 32, relu, nn.init.heNormal(), nn.init.constant(-10)), sgd(0.1)), fire: ["dead-relu", "vanishing-gradient"], silent: ["exploding-gradient", "gradcheck-failed"] },
  { name: "dead relu: bias -5, wide", spec: spec("b9", () => mlp(2, 64, relu, nn.init.heNormal(), nn.init.constant(-5)), sgd(0.1)), fire: ["dead-relu"], silent: ["exploding-gradient", "gradcheck-failed"] },
  { name: "saturated sigmoid: large init", spec: spec("b10", () => mlp(3, 32, sigmoid, nn.init.normal(5)), sgd(0.1)), fire: ["saturated-activation"], silent: ["gradcheck-failed"] },
  { name: "saturated tanh: large init", spec: spec("b11", () => mlp(3, 32, tanh, nn.init.normal(5)), sgd(0.1)), fire: ["saturated-activation"], silent: ["gradcheck-failed"] },
  { name: "learning rate far too high (sgd 50)", spec: spec("b12", () => mlp(3, 16, relu, nn.init.heNormal()), sgd(50)), fire: ["nan-or-inf", "exploding-gradient", "update-ratio", "loss-oscillating", "loss-not-decreasing"], silent: ["gradcheck-failed"] },
  { name: "learning rate far too high (adam 10)", spec: spec("b13", () => mlp(3, 16, tanh, nn.init.xavierNormal()), (p) => new optim.Adam(p, { lr: 10 })), fire: ["nan-or-inf", "exploding-gradient", "update-ratio", "loss-oscillating", "loss-not-decreasing", "saturated-activation", "dead-relu"], silent: ["gradcheck-failed"] },
  { name: "learning rate far too low (1e-7)", spec: spec("b14", () => mlp(3, 16, relu, nn.init.heNormal()), sgd(1e-7)), fire: ["update-ratio", "loss-not-decreasing"], silent: ["gradcheck-failed", "exploding-gradient"] },
  { name: "learning rate zero", spec: spec("b15", () => mlp(3, 16, tanh, nn.init.xavierNormal()), sgd(0)), fire: ["update-ratio", "loss-not-decreasing"], silent: ["gradcheck-failed", "exploding-gradient"] },
  { name: "naive softmax overflow", spec: () => defineModel({ name: "b16", model: () => new nn.Sequential(new nn.Linear(2, 3, { init: nn.init.normal(1000), biasInit: nn.init.constant(0) }), new NaiveSoftmax()), data: () => spirals(), loss: nll, optimizer: sgd(0.1), batchSize: 32, steps: 20, seed: 1 }), fire: ["nan-or-inf"], silent: [] },
  { name: "NaN made by the optimizer (adam eps 0, dead units)", spec: () => defineModel({ name: "b17", model: () => new nn.Sequential(new nn.Linear(2, 16, { biasInit: nn.init.constant(-10) }), new nn.ReLU(), new nn.Linear(16, 2)), data: () => data.moons({ n: 64, seed: 1 }), loss: losses.softmaxCrossEntropy, optimizer: (p) => new optim.Adam(p, { lr: 0.01, eps: 0 }), batchSize: 16, steps: 10 }), fire: ["nan-or-inf"], silent: [] },
  { name: "loss oscillating: lr on the edge of divergence", spec: regressionSpec("b18", sgd(0.95), 60, 64), fire: ["loss-oscillating", "loss-not-decreasing", "update-ratio", "exploding-gradient"], silent: ["gradcheck-failed"] },
  wrongBackward("factor 2 (d x² = 4x)", (g, x) => ops.mul(ops.mul(g, x), 4)),
  wrongBackward("missing factor (d x² = x)", (g, x) => ops.mul(g, x)),
  wrongBackward("wrong sign (d x² = -2x)", (g, x) => ops.mul(ops.mul(g, x), -2)),
  wrongBackward("constant (d x² = 2)", (g) => ops.mul(g, 2)),

  // ---- through time: the same 40-step adding problem, a plain RNN and an LSTM whose forget gate starts open ----
  { name: "vanishing through time: plain tanh RNN, 40-step sequences", spec: addingSpec("t1", () => new nn.RNN(2, 12)), fire: ["vanishing-through-time"], silent: ["exploding-through-time", "gradcheck-failed"] },
  { name: "LSTM, forget bias 2, 40-step sequences", spec: addingSpec("t2", () => new nn.LSTM(2, 12, { forgetBias: 2 })), fire: [], silent: [...ALARMS, "vanishing-through-time", "exploding-through-time"], gradcheck: true },
  // ---- model families: recurrent, convolutional, transformer (families.ts) ----
  ...FAMILY_CASES,
];

export interface CaseResult {
  name: string;
  healthy: boolean;
  fired: string[];
  /** The case passes: one of `fire` fired (or none asked) and nothing in `silent` fired. */
  ok: boolean;
  detected: boolean;
  falseAlarms: string[];
  knownMiss?: string;
}

export async function runCase(c: DiagnosisCase): Promise<CaseResult> {
  const report: Report = await inspect(c.spec(), { gradcheck: c.gradcheck ? { mode: "sampled" } : false });
  const fired = [...new Set(report.warnings.map((w) => w.rule))];
  const detected = c.fire.length === 0 || c.fire.some((r) => fired.includes(r));
  const falseAlarms = c.silent.filter((r) => fired.includes(r));
  return { name: c.name, healthy: c.fire.length === 0, fired, ok: detected && !falseAlarms.length, detected, falseAlarms, ...(c.knownMiss ? { knownMiss: c.knownMiss } : {}) };
}

export interface Summary {
  results: CaseResult[];
  healthyCases: number;
  healthyWithAlarm: number;
  brokenCases: number;
  brokenDetected: number;
  /** Per rule: broken cases that list it in `fire` and how many of them fired it; silent cases where it fired. */
  perRule: Record<string, { cases: number; detected: number; silentCases: number; falseAlarms: number }>;
}

export async function runCorpus(cases: readonly DiagnosisCase[] = CASES): Promise<Summary> {
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await runCase(c));
  const perRule: Summary["perRule"] = {};
  const row = (r: string) => (perRule[r] ??= { cases: 0, detected: 0, silentCases: 0, falseAlarms: 0 });
  cases.forEach((c, i) => {
    const res = results[i];
    // A broken case counts for its first-listed rule (its primary diagnosis).
    if (c.fire.length) {
      const primary = row(c.fire[0]);
      primary.cases++;
      if (res.detected) primary.detected++;
    }
    for (const r of c.silent) {
      row(r).silentCases++;
      if (res.fired.includes(r)) row(r).falseAlarms++;
    }
  });
  return {
    results, perRule,
    healthyCases: results.filter((r) => r.healthy).length,
    healthyWithAlarm: results.filter((r) => r.healthy && r.falseAlarms.length).length,
    brokenCases: results.filter((r) => !r.healthy).length,
    brokenDetected: results.filter((r) => !r.healthy && r.detected).length,
  };
}

/** The table the bench prints and the README shows. */
export function formatSummary(s: Summary): string {
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(0)}%` : "–");
  const lines = ["| rule | broken cases | detected | silent cases | false alarms |", "|---|---:|---:|---:|---:|"];
  for (const [rule, r] of Object.entries(s.perRule).sort()) {
    lines.push(`| ${rule} | ${r.cases} | ${r.cases ? `${r.detected} (${pct(r.detected, r.cases)})` : "–"} | ${r.silentCases} | ${r.falseAlarms} |`);
  }
  lines.push(`| **overall** | ${s.brokenCases} | ${s.brokenDetected} (${pct(s.brokenDetected, s.brokenCases)}) | ${s.healthyCases} healthy | ${s.healthyWithAlarm} (${pct(s.healthyWithAlarm, s.healthyCases)}) |`);
  const failing = s.results.filter((r) => !r.ok);
  for (const f of failing) lines.push(`${f.knownMiss ? "KNOWN MISS" : "FAIL"} ${f.name}: ${f.detected ? "" : "not detected; "}${f.falseAlarms.length ? `false alarms ${f.falseAlarms.join(", ")}; ` : ""}fired [${f.fired.join(", ")}]${f.knownMiss ? ` — ${f.knownMiss}` : ""}`);
  return lines.join("\n");
}
