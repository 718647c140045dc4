/**
 * Warning rules: each a small pure function from the recorded run (steps, layers, NaN origin, gradient
 * check) and its parameters to warnings. Parameters are settings: every default below names its
 * source (DESIGN.md's table); override them per rule id through `RuleOverrides` (`enabled: false`
 * turns a rule off).
 */
import type { GradcheckResult, LayerRoleInfo, LayerStepStats, Severity, SourceLocation, StepRecord, TimeSeriesInfo, Warning } from "../report";
import { gradcheckLayerStatus, gradcheckStatus, inconclusiveReason } from "../report";
import type { NanOrigin } from "./nan";
import type { RuleOverrides } from "./types";
import { quantile } from "./stats";
import { getOp } from "../engine";
import * as optim from "../optim";
import { TIME_RULE_IDS, TIME_RULES } from "./timeRules";

/**
 * Hints name only fixes this library has: gradient clipping is offered only once `optim.clipGradNorm`
 * is exported (a test checks every API a hint names exists).
 */
export const CLIP_HINT = "clipGradNorm" in optim ? ", or clip gradients (optim.clipGradNorm)" : "";

/** What a rule knows about a layer. */
export interface RuleLayer {
  name: string;
  kind: string;
  /** Activation kind for activation modules (relu, sigmoid, …). */
  activation?: string;
  /** Owns parameters (Linear, BatchNorm…), as opposed to a parameter-free activation. */
  hasParams: boolean;
  location?: SourceLocation;
  /** What the layer does inside a composite layer (an attention's query projection). */
  role?: LayerRoleInfo;
}

/** Everything the rules read. Pure data: rules are testable on hand-made contexts. */
export interface RuleContext {
  /** Every step run; `layers` is empty on steps that were not recorded. */
  steps: readonly StepRecord[];
  /** Recorded layers in forward order. */
  layers: readonly RuleLayer[];
  nanOrigin?: NanOrigin | null;
  gradcheck?: GradcheckResult;
  /** Examples per training step (the minibatch size): loss rules smooth small-batch noise with it. */
  batchSize?: number;
  /** The series of gradients through time (report.model.timeSeries): the time rules (./timeRules.ts) blame their layers. */
  timeSeries?: readonly TimeSeriesInfo[];
}

export type RuleParams = Record<string, number | boolean>;

export interface Rule<P extends RuleParams = RuleParams> {
  id: string;
  severity: Severity;
  /** One line for settings UIs. */
  description: string;
  defaults: P;
  check(ctx: RuleContext, params: P): Warning[];
}

export const RULE_IDS = [
  "vanishing-gradient", "exploding-gradient", "dead-relu", "saturated-activation", "update-ratio",
  "nan-or-inf", "loss-not-decreasing", "loss-oscillating", "gradcheck-failed", "vanishing-query-key-gradient",
  // Over time (./timeRules.ts): gradients through time, attention heads, gradient clipping.
  ...TIME_RULE_IDS,
] as const;
export type RuleId = (typeof RULE_IDS)[number];

// ---- helpers ---------------------------------------------------------------------------------------

const recorded = (ctx: RuleContext) => ctx.steps.filter((s) => s.layers.length > 0);

function stat(step: StepRecord, layer: string): LayerStepStats | undefined {
  return step.layers.find((l) => l.name === layer);
}

/** The longest run of consecutive recorded steps where `cond` holds: [start index, length]. */
function longestRun(steps: readonly StepRecord[], cond: (s: StepRecord) => boolean): [number, number] {
  let best: [number, number] = [-1, 0];
  let start = -1;
  steps.forEach((s, i) => {
    if (cond(s)) {
      if (start < 0) start = i;
      if (i - start + 1 > best[1]) best = [start, i - start + 1];
    } else start = -1;
  });
  return best;
}

/** Sustained: held on `window` consecutive recorded steps, or on all of them when fewer were recorded. */
function sustained(steps: readonly StepRecord[], window: number, cond: (s: StepRecord) => boolean): StepRecord | null {
  const [start, len] = longestRun(steps, cond);
  const need = Math.max(1, Math.min(window, steps.length));
  return len >= need ? steps[start] : null;
}

/**
 * The loss has converged at a step when it is at or below `max(absolute, relative × the first finite
 * loss)` (and not negative): defaults relative 1e-6 and absolute 1e-8 (the same absolute floor
 * loss-not-decreasing uses). Once a model fits its data, every gradient and every update shrinks with
 * the loss; that is success, not a vanishing gradient or a too-small learning rate, so those rules
 * ignore converged steps.
 */
export function convergedAt(ctx: RuleContext, relative: number, absolute: number): (s: StepRecord) => boolean {
  const first = ctx.steps.find((s) => Number.isFinite(s.loss))?.loss;
  const floor = Math.max(absolute, first !== undefined && first > 0 ? relative * first : 0);
  return (s) => Number.isFinite(s.loss) && s.loss >= 0 && s.loss <= floor;
}

/** 1.2e-6 style, for messages. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-2 && a < 1e4) return String(Number(x.toPrecision(3)));
  const e = Math.floor(Math.log10(a));
  const m = Number((x / 10 ** e).toPrecision(2));
  return m === 1 ? `1e${e}` : `${m}e${e}`;
}

const pct = (f: number) => `${Math.round(f * 100)}%`;

function warn(ctx: RuleContext, w: Omit<Warning, "location"> & { layer?: string }): Warning {
  const location = w.layer ? ctx.layers.find((l) => l.name === w.layer)?.location : undefined;
  return location ? { ...w, location } : w;
}

function paramLayers(ctx: RuleContext): RuleLayer[] {
  return ctx.layers.filter((l) => l.hasParams);
}

function squashingHint(ctx: RuleContext): { cause: string; hint: string } {
  const kinds = new Set(ctx.layers.map((l) => l.activation).filter(Boolean));
  if (kinds.has("sigmoid") || kinds.has("tanh")) {
    return {
      cause: `deep ${kinds.has("sigmoid") ? "sigmoid" : "tanh"} stacks squash gradients (σ' ≤ 0.25 per layer)`,
      hint: "try ReLU with He init (nn.ReLU, nn.init.heNormal), add normalization (nn.BatchNorm1d, nn.LayerNorm), or use fewer layers",
    };
  }
  return {
    cause: "each layer shrinks the gradient on its way back",
    hint: "check the init scale (nn.init.heNormal for ReLU, nn.init.xavierNormal for tanh), or add normalization (nn.BatchNorm1d, nn.LayerNorm)",
  };
}

// ---- the rules -------------------------------------------------------------------------------------

/**
 * A layer's gradient norm below `ratio` × the last layer's and below `absolute`, sustained over `window`
 * recorded steps; or its mean |g| below `meanAbs` while the last layer's mean |g| is not below it too.
 * Defaults ratio 1e-3, absolute 1e-4, meanAbs 1e-7: AUTOTRAINER (Zhang et al., ICSE 2021) gradient
 * monitor and DeepDiagnosis (Wardat et al., ICSE 2022); window 5 recorded steps, so one unlucky batch
 * does not fire it. The mean-|g| clause is relative to the last layer because every gradient is tiny
 * once the loss is: steps where the loss has converged (`convergedAt`: below convergedRelative ×
 * the first loss or convergedAbsolute, defaults 1e-6 and 1e-8) are not judged at all.
 */
export const vanishingGradient: Rule<{ ratio: number; absolute: number; meanAbs: number; window: number; convergedRelative: number; convergedAbsolute: number }> = {
  id: "vanishing-gradient",
  severity: "warning",
  description: "Early layers receive gradients orders of magnitude smaller than the last layer.",
  defaults: { ratio: 1e-3, absolute: 1e-4, meanAbs: 1e-7, window: 5, convergedRelative: 1e-6, convergedAbsolute: 1e-8 },
  check(ctx, p) {
    const converged = convergedAt(ctx, p.convergedRelative, p.convergedAbsolute);
    const steps = recorded(ctx).filter((s) => !converged(s));
    const layers = paramLayers(ctx);
    if (layers.length < 2 || !steps.length) return [];
    const last = layers[layers.length - 1].name;
    const out: Warning[] = [];
    const { cause, hint } = squashingHint(ctx);
    for (const layer of layers.slice(0, -1)) {
      // Queries and keys are not on the path the gradient takes back through the depth of the network:
      // vanishing-query-key-gradient judges them against their own attention's values.
      if (layer.role?.kind === "attention-query" || layer.role?.kind === "attention-key") continue;
      const cond = (s: StepRecord) => {
        const a = stat(s, layer.name);
        const b = stat(s, last);
        if (!a || !b || !Number.isFinite(a.gradNorm) || !Number.isFinite(b.gradNorm)) return false;
        return (b.gradNorm > 0 && a.gradNorm < p.ratio * b.gradNorm && a.gradNorm < p.absolute) || (a.gradMeanAbs < p.meanAbs && b.gradMeanAbs >= p.meanAbs);
      };
      const at = sustained(steps, p.window, cond);
      if (!at) continue;
      const a = stat(at, layer.name)!;
      const b = stat(at, last)!;
      const ratio = b.gradNorm > 0 ? a.gradNorm / b.gradNorm : 0;
      const zero = a.gradNorm === 0;
      out.push(warn(ctx, {
        rule: "vanishing-gradient", severity: "warning", layer: layer.name, step: at.step,
        message: zero
          ? `${layer.name} receives no gradient at all (exactly 0, while ${last} gets ${fmt(b.gradNorm)}): something between them blocks it, typically dead ReLUs.`
          : `${layer.name} receives gradients ${fmt(ratio)}× smaller than ${last}: ${cause}.`,
        hint: zero ? "see the dead-relu warnings; init biases at 0 (biasInit: nn.init.constant(0)), lower the learning rate, or use nn.LeakyReLU" : hint,
        evidence: { gradNorm: a.gradNorm, gradMeanAbs: a.gradMeanAbs, lastLayer: last, lastGradNorm: b.gradNorm, ratio, threshold: p.ratio, absolute: p.absolute },
      }));
    }
    return out;
  },
};

/** The attention projections vanishing-query-key-gradient compares (the output projection is not one). */
const ATTENTION_PARTS: Partial<Record<LayerRoleInfo["kind"], "query" | "key" | "value">> = {
  "attention-query": "query", "attention-key": "key", "attention-value": "value",
};

/**
 * The query and key projections of an attention layer receive gradients below `ratio` × its value
 * projection's, sustained over `window` recorded steps (converged steps not judged): its attention
 * weights barely change while what it attends to keeps learning. The gradient reaches queries and keys
 * only through the softmax, scaled by how much the values it mixes differ; nearly uniform attention over
 * tokens that have become alike starves them. Noci et al. (NeurIPS 2022, "Signal Propagation in
 * Transformers: Theoretical Perspectives and the Role of Rank Collapse") show this vanishing query/key
 * gradient follows from rank collapse (token representations converging with depth). Queries and keys
 * are judged here, against their own attention, instead of by vanishing-gradient against the last
 * layer: their gradient says nothing about the depth path. Info, not a warning: a model can train well
 * with attention layers it does not need. Defaults ratio 1e-2, window 5 (ours): on examples/transformer.ts
 * (2 blocks, post-LN and pre-LN, with and without warm-up) the ratio's median per block is
 * 10^−0.5–10^0.1 and never stays below 1e-1 for 5 recorded steps; in the 12-block encoder of
 * test/e2e/workspace-views/transformer.ts it falls with depth, from 10^−0.9 (block 1) to 10^−3.1 (block
 * 12), and stays below 1e-2 for 5 or more steps in blocks 7–12.
 */
export const vanishingQueryKeyGradient: Rule<{ ratio: number; window: number; convergedRelative: number; convergedAbsolute: number }> = {
  id: "vanishing-query-key-gradient",
  severity: "info",
  description: "An attention layer's queries and keys receive far less gradient than its values: its attention weights barely learn.",
  defaults: { ratio: 1e-2, window: 5, convergedRelative: 1e-6, convergedAbsolute: 1e-8 },
  check(ctx, p) {
    const converged = convergedAt(ctx, p.convergedRelative, p.convergedAbsolute);
    const steps = recorded(ctx).filter((s) => !converged(s));
    const attentions = new Map<string, Partial<Record<"query" | "key" | "value", RuleLayer>>>();
    for (const l of ctx.layers) {
      const part = l.role && ATTENTION_PARTS[l.role.kind];
      if (!l.role || !part) continue;
      const parts = attentions.get(l.role.within) ?? {};
      parts[part] = l;
      attentions.set(l.role.within, parts);
    }
    const out: Warning[] = [];
    for (const [attention, { query, key, value }] of attentions) {
      if (!query || !key || !value) continue;
      const ratioAt = (s: StepRecord) => {
        const q = stat(s, query.name)?.gradNorm;
        const k = stat(s, key.name)?.gradNorm;
        const v = stat(s, value.name)?.gradNorm;
        if (q === undefined || k === undefined || v === undefined || ![q, k, v].every(Number.isFinite) || !(v > 0)) return NaN;
        return Math.max(q, k) / v;
      };
      const at = sustained(steps, p.window, (s) => ratioAt(s) < p.ratio);
      if (!at) continue;
      const ratio = ratioAt(at);
      out.push(warn(ctx, {
        rule: "vanishing-query-key-gradient", severity: "info", layer: query.name, step: at.step,
        message: `the queries and keys of ${attention} receive ${fmt(ratio)}× the gradient of its values (${query.name}, ${key.name} vs ${value.name}, for ${p.window} or more recorded steps): its attention weights barely learn.`,
        hint: "expected when the attention is nearly uniform over tokens that have become alike (rank collapse, common in the upper blocks of deep encoders); if the loss is fine the layer may be unneeded (try fewer blocks), otherwise normalize first (nn.TransformerEncoderLayer with normFirst: true) or lower the depth",
        evidence: { attention, ratio, queryGradNorm: stat(at, query.name)!.gradNorm, keyGradNorm: stat(at, key.name)!.gradNorm, valueGradNorm: stat(at, value.name)!.gradNorm, threshold: p.ratio, window: p.window },
      }));
    }
    return out;
  },
};

/**
 * Exploding gradients in each of their forms, each with the layer where the growth starts:
 * - relative: a layer's gradient norm above `ratio` × the last layer's, sustained over `window` recorded
 *   steps (each layer amplifies the gradient on its way back). Default 70: AUTOTRAINER (ICSE 2021).
 * - absolute: gradient norms above `magnitude` × the layer's weight norm (at least 1) in every recorded
 *   step of a `window`, in most of the layers (at least two): a uniformly huge stack has no first-to-last ratio and may not grow over time,
 *   yet no step of plain gradient descent can follow such gradients. Default 1e3 (ours: healthy layers
 *   sit at ‖g‖/‖w‖ ≲ 1; the deep large-init nets that explode reach 1e5 and more).
 * - forward activation growth: at the first recorded step, activation std multiplying by ≥ `activationFactor`
 *   per activation layer, ≥ `activationGrowth` overall over ≥ 3 activation layers (the init-scale problem);
 *   else the same growth of the parameter layers' outputs (a deep linear stack has no activations).
 * - over time: a layer's gradient norm growing more than `growth`× between the first and the largest
 *   recorded norm (growth 1e3, window 5: ours; norms that grow a thousandfold while training do not settle).
 */
export const explodingGradient: Rule<{ ratio: number; growth: number; window: number; magnitude: number; activationFactor: number; activationGrowth: number }> = {
  id: "exploding-gradient",
  severity: "warning",
  description: "Gradient norms far above the weights, growing layer by layer (backward or forward) or without bound over steps.",
  defaults: { ratio: 70, growth: 1e3, window: 5, magnitude: 1e3, activationFactor: 2, activationGrowth: 100 },
  check(ctx, p) {
    const steps = recorded(ctx);
    const layers = paramLayers(ctx);
    if (!steps.length || !layers.length) return [];
    const last = layers[layers.length - 1].name;
    const out: Warning[] = [];
    const hint = `use a smaller init (nn.init.heNormal for ReLU, nn.init.xavierNormal for tanh), add normalization (nn.LayerNorm, nn.BatchNorm1d), or lower the learning rate${CLIP_HINT}`;
    for (const layer of layers.slice(0, -1)) {
      const cond = (s: StepRecord) => {
        const a = stat(s, layer.name);
        const b = stat(s, last);
        return !!a && !!b && b.gradNorm > 0 && a.gradNorm / b.gradNorm > p.ratio;
      };
      const at = sustained(steps, p.window, cond);
      if (!at) continue;
      const a = stat(at, layer.name)!;
      const b = stat(at, last)!;
      const ratio = a.gradNorm / b.gradNorm;
      out.push(warn(ctx, {
        rule: "exploding-gradient", severity: "warning", layer: layer.name, step: at.step,
        message: `${layer.name} receives gradients ${fmt(ratio)}× larger than ${last}: each layer amplifies the gradient on its way back.`,
        hint,
        evidence: { form: "relative", gradNorm: a.gradNorm, lastLayer: last, lastGradNorm: b.gradNorm, ratio, threshold: p.ratio },
      }));
    }
    if (!out.length) {
      // Absolute magnitude: every layer over the threshold on the same steps is one finding, at the first such layer.
      const huge = (s: StepRecord, name: string) => {
        const a = stat(s, name);
        return !!a && Number.isFinite(a.gradNorm) && a.gradNorm > p.magnitude * Math.max(a.weightNorm, 1);
      };
      const over = layers.filter((l) => sustained(steps, p.window, (s) => huge(s, l.name)));
      // A stack: at least two layers and most of them (one huge layer next to the loss is a large loss, not an explosion).
      if (over.length >= 2 && over.length * 2 > layers.length) {
        const at = sustained(steps, p.window, (s) => huge(s, over[0].name))!;
        const a = stat(at, over[0].name)!;
        const scale = a.gradNorm / Math.max(a.weightNorm, 1);
        out.push(warn(ctx, {
          rule: "exploding-gradient", severity: "warning", layer: over[0].name, step: at.step,
          message: `gradient norms are ${fmt(scale)}× the weight norms from ${over[0].name} on (${over.length} of ${layers.length} layers, ‖g‖ ${fmt(a.gradNorm)}): no gradient step of this size can be followed.`,
          hint,
          evidence: { form: "absolute", gradNorm: a.gradNorm, weightNorm: a.weightNorm, scale, threshold: p.magnitude, layers: over.map((l) => l.name), loss: at.loss },
        }));
      }
    }
    const growth = activationGrowth(ctx, steps[0], p.activationFactor, p.activationGrowth);
    if (growth) {
      out.push(warn(ctx, {
        rule: "exploding-gradient", severity: "warning", layer: growth.start, step: steps[0].step,
        message: `${growth.of === "activations" ? "activations" : "layer outputs"} grow ${fmt(growth.factor)}× per layer in the forward pass from ${growth.start} on (std ${fmt(growth.stds[0])} → ${fmt(growth.stds[growth.stds.length - 1])} over ${growth.stds.length} ${growth.of === "activations" ? "activation layers" : "layers"}): the init scale is too large, so gradients explode on the way back too.`,
        hint,
        evidence: { form: "activation-growth", of: growth.of, startLayer: growth.start, layers: growth.layers, stds: growth.stds, factorPerLayer: growth.factor, threshold: p.activationFactor },
      }));
    }
    if (steps.length >= 2) {
      for (const layer of layers) {
        if (out.some((w) => w.layer === layer.name)) continue;
        // First recorded norm against the largest finite one after it: a run that ends in NaN still shows its climb.
        const norms = steps.map((s) => ({ step: s.step, n: stat(s, layer.name)?.gradNorm ?? NaN }));
        const first = norms[0];
        let peak = first;
        for (const x of norms) if (Number.isFinite(x.n) && x.n > peak.n) peak = x;
        if (!(first.n > 0) || peak.n / first.n <= p.growth) continue;
        out.push(warn(ctx, {
          rule: "exploding-gradient", severity: "warning", layer: layer.name, step: peak.step,
          message: `${layer.name}'s gradient norm grew ${fmt(peak.n / first.n)}× in ${peak.step - first.step} steps (${fmt(first.n)} → ${fmt(peak.n)}): training is diverging.`,
          hint: `lower the learning rate${CLIP_HINT}, or add normalization (nn.LayerNorm, nn.BatchNorm1d)`,
          evidence: { form: "over-steps", firstStep: first.step, firstGradNorm: first.n, peakStep: peak.step, gradNorm: peak.n, growth: peak.n / first.n, threshold: p.growth },
        }));
      }
    }
    return out;
  },
};

/**
 * The longest run of consecutive layers (forward order) whose output std multiplies by at least `factor`
 * from each to the next, when it spans ≥ 3 layers and `total`× overall: its first layer, the stds and
 * the geometric-mean factor per layer. Read at one step (the first: the init's doing). The activation
 * layers' outputs are judged first; failing them, the parameter layers' outputs (`outputStd`, recorded
 * on the first recorded step), which is what a stack without activations (a deep linear network) has.
 * The two are not mixed: a ReLU halves what the Linear before it made, so a mixed sequence never grows.
 */
export function activationGrowth(ctx: RuleContext, step: StepRecord, factor: number, total: number):
  { start: string; layers: string[]; stds: number[]; factor: number; of: "activations" | "outputs" } | null {
  const growth = (of: "activations" | "outputs") => {
    const seq = ctx.layers
      .filter((l) => (of === "activations" ? !l.hasParams : l.hasParams))
      .map((l) => ({ name: l.name, std: of === "activations" ? stat(step, l.name)?.activation?.std : stat(step, l.name)?.outputStd }))
      .filter((a): a is { name: string; std: number } => a.std !== undefined && Number.isFinite(a.std) && a.std > 0);
    let best: typeof seq = [];
    let run: typeof seq = [];
    for (const a of seq) {
      run = run.length && a.std >= factor * run[run.length - 1].std ? [...run, a] : [a];
      if (run.length > best.length) best = run;
    }
    if (best.length < 3) return null;
    const overall = best[best.length - 1].std / best[0].std;
    if (overall < total) return null;
    return { start: best[0].name, layers: best.map((a) => a.name), stds: best.map((a) => a.std), factor: overall ** (1 / (best.length - 1)), of };
  };
  return growth("activations") ?? growth("outputs");
}

/**
 * At least `fraction` of a ReLU layer's units output zero on the whole batch, sustained over `window`
 * recorded steps. Default 0.7: AUTOTRAINER (ICSE 2021) and DeepDiagnosis (ICSE 2022) dying-ReLU checks.
 */
export const deadRelu: Rule<{ fraction: number; window: number }> = {
  id: "dead-relu",
  severity: "warning",
  description: "Most ReLU units output zero for every example, so they pass no gradient.",
  defaults: { fraction: 0.7, window: 3 },
  check(ctx, p) {
    const steps = recorded(ctx);
    const out: Warning[] = [];
    for (const layer of ctx.layers.filter((l) => l.activation === "relu")) {
      const at = sustained(steps, p.window, (s) => (stat(s, layer.name)?.activation?.deadFraction ?? 0) >= p.fraction);
      if (!at) continue;
      const dead = stat(at, layer.name)!.activation!.deadFraction!;
      const before = ctx.layers[ctx.layers.indexOf(layer) - 1];
      out.push(warn(ctx, {
        rule: "dead-relu", severity: "warning", layer: layer.name, step: at.step,
        message: `${pct(dead)} of ${layer.name}'s ReLU units output zero for the whole batch, so no gradient flows through them${before ? ` to ${before.name}` : ""}.`,
        hint: "a large negative bias or a too-high learning rate kills ReLUs: init biases at 0 (biasInit: nn.init.constant(0)), lower the learning rate, or use nn.LeakyReLU",
        evidence: { deadFraction: dead, threshold: p.fraction, previousLayer: before?.name },
      }));
    }
    return out;
  },
};

/**
 * More than `fraction` of a sigmoid/tanh layer's inputs have |x| ≥ 5 (where σ' < 0.007), sustained over
 * `window` recorded steps. Default 0.5: DeepDiagnosis (ICSE 2022) saturation check.
 */
export const saturatedActivation: Rule<{ fraction: number; window: number }> = {
  id: "saturated-activation",
  severity: "warning",
  description: "Most inputs of a sigmoid/tanh layer sit in its flat tails, where the gradient is almost zero.",
  defaults: { fraction: 0.5, window: 3 },
  check(ctx, p) {
    const steps = recorded(ctx);
    const out: Warning[] = [];
    for (const layer of ctx.layers.filter((l) => l.activation === "sigmoid" || l.activation === "tanh")) {
      const at = sustained(steps, p.window, (s) => (stat(s, layer.name)?.activation?.saturatedFraction ?? 0) > p.fraction);
      if (!at) continue;
      const sat = stat(at, layer.name)!.activation!.saturatedFraction!;
      out.push(warn(ctx, {
        rule: "saturated-activation", severity: "warning", layer: layer.name, step: at.step,
        message: `${pct(sat)} of ${layer.name}'s ${layer.activation} inputs have |x| ≥ 5, where its slope is nearly 0: those units barely learn.`,
        hint: "scale the weights down (nn.init.xavierNormal), standardize the inputs, or add normalization (nn.LayerNorm, nn.BatchNorm1d) before the activation",
        evidence: { saturatedFraction: sat, threshold: p.fraction },
      }));
    }
    return out;
  },
};

/**
 * A layer's update ratio ‖Δw‖/‖w‖ (the lr-scaled step, measured after the optimizer) outside
 * target × factor^±1 in its median over the recorded steps, or above `explosive` on `window`
 * consecutive recorded steps. Defaults target 1e-3, factor 100, i.e. outside [1e-5, 1e-1]: CS231n's
 * "~1e-3" heuristic (Karpathy), DeepDiagnosis (ICSE 2022). explosive 1 (a step as large as the weights)
 * and window 3 are ours: a huge lr often wrecks a model within a few steps (dead units, NaN), after
 * which its ratios collapse and the median alone would call it "too small". "Too small" is judged on the
 * steps before the loss converged only (`convergedAt`, defaults 1e-6 relative and 1e-8 absolute, as
 * for vanishing-gradient): updates of a model that already fits its data are tiny by design.
 */
export const updateRatio: Rule<{ target: number; factor: number; explosive: number; window: number; convergedRelative: number; convergedAbsolute: number }> = {
  id: "update-ratio",
  severity: "warning",
  description: "Weight updates are far too large or too small relative to the weights.",
  defaults: { target: 1e-3, factor: 100, explosive: 1, window: 3, convergedRelative: 1e-6, convergedAbsolute: 1e-8 },
  check(ctx, p) {
    const steps = recorded(ctx);
    const converged = convergedAt(ctx, p.convergedRelative, p.convergedAbsolute);
    const out: Warning[] = [];
    const hi = p.target * p.factor;
    const lo = p.target / p.factor;
    for (const layer of paramLayers(ctx)) {
      const valid = (l: LayerStepStats | undefined): l is LayerStepStats => !!l && l.weightNorm > 0 && !Number.isNaN(l.updateRatio);
      const usable = steps.filter((s) => valid(stat(s, layer.name)));
      const ratios = usable.map((s) => stat(s, layer.name)!.updateRatio);
      if (!ratios.length) continue;
      const burst = sustained(usable, p.window, (s) => stat(s, layer.name)!.updateRatio > p.explosive);
      const big = quantile(ratios, 0.5) > hi || !!burst;
      // Too small is judged only on the steps where the loss still had something to learn.
      const judged = big ? ratios : usable.filter((s) => !converged(s)).map((s) => stat(s, layer.name)!.updateRatio);
      if (!judged.length) continue;
      const median = quantile(judged, 0.5);
      if (!big && median >= lo) continue;
      const shown = burst ? stat(burst, layer.name)!.updateRatio : median;
      out.push(warn(ctx, {
        rule: "update-ratio", severity: "warning", layer: layer.name, ...(burst ? { step: burst.step } : {}),
        message: big
          ? `${layer.name}'s weights change by ${fmt(shown)}× their size ${burst ? "in a step" : "per step (median)"} (healthy is about ${fmt(p.target)}): the learning rate is far too high for this layer.`
          : median === 0
            ? `${layer.name}'s weights do not change at all during training (healthy is about ${fmt(p.target)} of their size per step).`
            : `${layer.name}'s weights change by only ${fmt(median)} of their size per step (healthy is about ${fmt(p.target)}): it is barely learning.`,
        hint: big ? `lower the learning rate (by about the factor shown)${CLIP_HINT}` : "raise the learning rate (is it 0?), or check that gradients reach this layer",
        evidence: { updateRatio: shown, medianUpdateRatio: median, low: lo, high: hi, steps: judged.length, direction: big ? "too-large" : "too-small" },
      }));
    }
    return out;
  },
};

/** What the op's registration says makes it non-finite, and the fix. */
function nonFiniteHint(op: string): string | undefined {
  const cause = getOp(op)?.nonFinite;
  return cause ? `${op}: ${cause.when}; ${cause.fix}` : undefined;
}

/**
 * The first op whose output held NaN or ±Inf while its inputs were finite (forward or backward), with
 * op, layer, step, input shapes and value ranges. Goes past PyTorch's detect_anomaly (NaN only, backward only).
 */
export const nanOrInf: Rule<Record<string, never>> = {
  id: "nan-or-inf",
  severity: "error",
  description: "An op (or an optimizer step) produced NaN or Infinity from finite inputs.",
  defaults: {},
  check(ctx) {
    const o = ctx.nanOrigin;
    if (o?.phase === "update") {
      const g = o.inputRanges[0];
      const gradFinite = !!g && Number.isFinite(g.min) && Number.isFinite(g.max);
      return [warn(ctx, {
        rule: "nan-or-inf", severity: "error", layer: o.layer ?? undefined, step: o.step,
        message: `${o.op} (the optimizer update) turned ${o.parameter ?? o.layer ?? "a parameter"} into ${o.value} at step ${o.step} (${o.nonFiniteCount} entries)` +
          (gradFinite ? ` from a finite gradient (range [${fmt(g.min)}, ${fmt(g.max)}]).` : " from a non-finite gradient."),
        hint: gradFinite
          ? `an optimizer step made it: an eps of 0 divides 0 by 0 where a gradient is exactly 0 (dead units), or the learning rate is far too high: keep eps > 0 (1e-8), or lower the learning rate${CLIP_HINT}`
          : `the gradient reaching the optimizer was already non-finite: lower the learning rate${CLIP_HINT}`,
        evidence: { ...o },
      })];
    }
    if (o) {
      const ranges = o.inputRanges.map((r) => `[${fmt(r.min)}, ${fmt(r.max)}]`).join(", ");
      return [warn(ctx, {
        rule: "nan-or-inf", severity: "error", layer: o.layer ?? undefined, step: o.step,
        message: `${o.op}${o.phase === "backward" ? "'s backward" : ""} in ${o.layer ?? "the loss"} produced ${o.value} at step ${o.step} from finite inputs (ranges ${ranges}).`,
        hint: nonFiniteHint(o.op) ?? `lower the learning rate${CLIP_HINT}, or check the op's inputs for extreme values`,
        evidence: { ...o },
      })];
    }
    const bad = ctx.steps.find((s) => !Number.isFinite(s.loss));
    if (!bad) return [];
    return [warn(ctx, {
      rule: "nan-or-inf", severity: "error", step: bad.step,
      message: `the loss became ${bad.loss} at step ${bad.step} (the op that produced it was not tracked).`,
      hint: `run with NaN tracking on to find the op; lower the learning rate${CLIP_HINT}`,
      evidence: { loss: String(bad.loss) },
    })];
  },
};

/**
 * The loss series a loss rule judges: per step when a step's batch holds at least half of
 * `minExamples` examples, otherwise means of blocks of ⌈minExamples / batchSize⌉ consecutive steps
 * (a trailing partial block is dropped). One example's loss differs from the next by orders of
 * magnitude whatever the lr, so small batches are judged on block means of at least `minExamples`
 * examples (AUTOTRAINER judges per epoch). Batches of minExamples/2 or more are already averages:
 * blocking them would average away real swings (class-sorted batches whose loss cycles from one batch
 * to the next) and make the verdict flip between batch sizes 30 and 32.
 */
export function lossBlocks(losses: readonly number[], batchSize: number | undefined, minExamples: number): { series: number[]; block: number } {
  const b = Math.max(1, batchSize ?? minExamples);
  const block = b >= minExamples / 2 ? 1 : Math.ceil(minExamples / b);
  if (block === 1) return { series: [...losses], block };
  const series: number[] = [];
  for (let i = 0; i + block <= losses.length; i += block) {
    let sum = 0;
    for (let j = i; j < i + block; j++) sum += losses[j];
    series.push(sum / block);
  }
  return { series, block };
}

/**
 * The mean loss of the last `window` steps is not clearly below the mean of the first `window` steps:
 * the decrease must exceed both `minDecrease` (relative) and `sigmas` standard errors of the two window
 * means, so minibatch noise cannot pass for learning. Defaults window 10, minDecrease 0.01:
 * DeepDiagnosis (ICSE 2022) "loss not decreasing" and AUTOTRAINER (ICSE 2021) slow-convergence checks
 * (AUTOTRAINER's delta = 0.01); sigmas 2 is ours. The same decrease judged on ranks also counts as
 * learning: the windows' medians differ by more than `minDecrease` and a one-sided Mann–Whitney test
 * puts the last window below the first by `sigmas` (normal approximation with ties), so one loss spike
 * in a window, which inflates its standard error, cannot hide a clear fall (a pre-LN transformer whose
 * second step's loss is 3.2 among 0.3–0.9, then 0.9 → 0.37, was judged "not learning" by the means alone).
 * Losses below `floor` (1e-8) count as converged.
 * Small batches are judged on block means of `minExamples` (32) examples, as loss-oscillating does
 * (`lossBlocks`); the window then counts blocks, shrunk to half the blocks of a short run but never
 * below `minWindow` (3) blocks.
 */
export const lossNotDecreasing: Rule<{ window: number; minDecrease: number; sigmas: number; floor: number; minExamples: number; minWindow: number }> = {
  id: "loss-not-decreasing",
  severity: "warning",
  description: "The loss has not improved between the start and the end of training.",
  defaults: { window: 10, minDecrease: 0.01, sigmas: 2, floor: 1e-8, minExamples: 32, minWindow: 3 },
  check(ctx, p) {
    const raw = ctx.steps.map((s) => s.loss);
    if (raw.some((l) => !Number.isFinite(l))) return [];
    const { series: losses, block } = lossBlocks(raw, ctx.batchSize, p.minExamples);
    const window = block > 1 ? Math.min(p.window, Math.floor(losses.length / 2)) : p.window;
    if (window < Math.max(1, block > 1 ? p.minWindow : p.window) || losses.length < 2 * window) return [];
    const stats = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1);
      return { m, se2: v / xs.length };
    };
    const head = losses.slice(0, window), tail = losses.slice(-window);
    const first = stats(head);
    const last = stats(tail);
    const decrease = first.m - last.m;
    const noise = p.sigmas * Math.sqrt(first.se2 + last.se2);
    if (last.m <= p.floor || (decrease > p.minDecrease * Math.abs(first.m) && decrease > noise)) return [];
    const headMedian = quantile(head, 0.5);
    if (headMedian - quantile(tail, 0.5) > p.minDecrease * Math.abs(headMedian) && rankShift(head, tail) > p.sigmas) return [];
    const span = block > 1 ? `${window} blocks of ${block} steps` : `${window} steps`;
    return [warn(ctx, {
      rule: "loss-not-decreasing", severity: "warning", step: ctx.steps[ctx.steps.length - 1].step,
      message: `the loss did not decrease over ${raw.length} steps (${fmt(first.m)} → ${fmt(last.m)}, averaged over ${span}): the model is not learning.`,
      hint: "check the learning rate (0 or far too small?), that gradients reach the weights, and that the targets match the loss",
      evidence: { firstMean: first.m, lastMean: last.m, decrease, noise, window, minDecrease: p.minDecrease, blockSteps: block },
    })];
  },
};

/**
 * How far `b` lies below `a` in a one-sided Mann–Whitney U test, as a z score: U counts the pairs with
 * a_i > b_j (ties ½), against its mean n·m/2 and its standard deviation under the null, corrected for
 * ties and for continuity. Positive when b is lower.
 */
export function rankShift(a: readonly number[], b: readonly number[]): number {
  const n = a.length, m = b.length, total = n + m;
  if (!n || !m) return 0;
  let u = 0;
  for (const x of a) for (const y of b) u += x > y ? 1 : x === y ? 0.5 : 0;
  const all = [...a, ...b].sort((x, y) => x - y);
  let ties = 0;
  for (let i = 0; i < total;) {
    let j = i;
    while (j < total && all[j] === all[i]) j++;
    const t = j - i;
    ties += t ** 3 - t;
    i = j;
  }
  const variance = ((n * m) / 12) * (total + 1 - ties / (total * (total - 1)));
  if (!(variance > 0)) return 0;
  const diff = u - (n * m) / 2;
  return (Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5)) / Math.sqrt(variance);
}

/**
 * Large alternating swings: in the last `window` steps, the loss changes direction on at least
 * `alternation` of the steps and rises by more than `rise` (relative) on at least `riseFraction` of
 * them. After AUTOTRAINER's (ICSE 2021) unstable-loss check, which counts swings between local
 * maxima and minima and fires when they reach unstable_rate = 0.25 of the history (our riseFraction);
 * DeepDiagnosis (ICSE 2022) has the same symptom. Window 20, alternation 0.5 and rise 1 (the loss at
 * least doubling from one step to the next) are ours: minibatch noise of small batches near convergence
 * swings the loss by tens of percent, but rarely doubles it on a quarter of the steps. minExamples 32:
 * batches smaller than 16 examples are judged on block means of 32 examples (`lossBlocks`). Also fires
 * on a large swing that repeats with a fixed period (`periodicSwing`: changes correlated ≥ `periodic`
 * 0.5 at one lag over the last `periodSpan` 90 values, 90th percentile > 2× the 10th; ours), the
 * sawtooth of unshuffled, class-sorted batches, whatever the batch size.
 */
export const lossOscillating: Rule<{ window: number; alternation: number; rise: number; riseFraction: number; minExamples: number; periodic: number; periodSpan: number }> = {
  id: "loss-oscillating",
  severity: "warning",
  description: "The loss swings up and down by large amounts instead of settling.",
  defaults: { window: 20, alternation: 0.5, rise: 1, riseFraction: 0.25, minExamples: 32, periodic: 0.5, periodSpan: 90 },
  check(ctx, p) {
    // Small batches: block means of at least `minExamples` examples (`lossBlocks`).
    const { series: losses, block } = lossBlocks(ctx.steps.map((s) => s.loss).filter(Number.isFinite), ctx.batchSize, p.minExamples);
    if (losses.length < p.window) return [];
    const periodic = periodicSwing(losses, p);
    if (periodic) {
      return [warn(ctx, {
        rule: "loss-oscillating", severity: "warning", step: ctx.steps[ctx.steps.length - 1].step,
        message: `the loss cycles between ${fmt(periodic.low)} and ${fmt(periodic.high)} with a period of ${periodic.period} ${block > 1 ? `blocks of ${block} steps` : "steps"} over the last ${periodic.span} ${block > 1 ? "blocks" : "steps"}: something repeats in the batches (unshuffled or class-sorted data?) or the steps overshoot.`,
        hint: "shuffle the training data every epoch (spec.shuffle); if it is shuffled, lower the learning rate (or the momentum)",
        evidence: { period: periodic.period, correlation: periodic.correlation, low: periodic.low, high: periodic.high, span: periodic.span, blockSteps: block, kind: "periodic" },
      })];
    }
    const w = losses.slice(-p.window);
    let flips = 0, rises = 0, pairs = 0;
    for (let i = 1; i < w.length; i++) {
      if (w[i] > w[i - 1] * (1 + p.rise) && w[i - 1] > 0) rises++;
      if (i >= 2) {
        const d0 = w[i - 1] - w[i - 2];
        const d1 = w[i] - w[i - 1];
        if (d0 !== 0 && d1 !== 0) {
          pairs++;
          if (Math.sign(d0) !== Math.sign(d1)) flips++;
        }
      }
    }
    const alternation = pairs ? flips / pairs : 0;
    const riseFraction = rises / (w.length - 1);
    if (alternation < p.alternation || riseFraction < p.riseFraction) return [];
    const span = block > 1 ? `${p.window} blocks of ${block} steps` : `${p.window} steps`;
    return [warn(ctx, {
      rule: "loss-oscillating", severity: "warning", step: ctx.steps[ctx.steps.length - 1].step,
      message: `the loss swings up and down over the last ${span} (it more than ${p.rise === 1 ? "doubles" : `grows by ${pct(p.rise)}`} on ${pct(riseFraction)} of them, between ${fmt(Math.min(...w))} and ${fmt(Math.max(...w))}): the steps overshoot the minimum.`,
      hint: "lower the learning rate (or the momentum), or decay it with a schedule (optim.cosineLR, optim.stepLR)",
      evidence: { alternation, riseFraction, min: Math.min(...w), max: Math.max(...w), window: p.window, blockSteps: block },
    })];
  },
};

/**
 * A large swing that repeats with a fixed period: over the last `periodSpan` values, the step-to-step
 * changes correlate at some lag L in [2, span/3] by at least `periodic` (iid minibatch noise: about 0 ±
 * 1/√span), the loss's 90th percentile is more than (1 + rise)× its 10th, and it climbs back through
 * the middle of that range at least 3 times (a smooth decay correlates too, but never comes back up). Class-sorted batches give a sawtooth of one period per epoch that
 * the alternation count misses (within a class the loss falls smoothly, it jumps at the boundaries).
 */
function periodicSwing(losses: readonly number[], p: { window: number; rise: number; periodic: number; periodSpan: number }):
  { period: number; correlation: number; low: number; high: number; span: number } | null {
  const span = Math.min(losses.length, p.periodSpan);
  if (span < p.window || p.periodic <= 0) return null;
  const x = losses.slice(-span);
  const low = quantile(x, 0.1);
  const high = quantile(x, 0.9);
  if (!(low > 0) || high <= low * (1 + p.rise)) return null;
  // It must come back up: at least 3 upward crossings of the (geometric) middle of the range. A loss
  // that decays, however curved, crosses it once, downward.
  const mid = Math.sqrt(low * high);
  let ups = 0;
  for (let i = 1; i < x.length; i++) if (x[i - 1] < mid && x[i] >= mid) ups++;
  if (ups < 3) return null;
  const d: number[] = [];
  for (let i = 1; i < x.length; i++) d.push(x[i] - x[i - 1]);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  for (let i = 0; i < d.length; i++) d[i] -= mean;
  const var0 = d.reduce((a, b) => a + b * b, 0);
  if (!(var0 > 0)) return null;
  let best = { period: 0, correlation: -Infinity };
  for (let lag = 2; lag <= Math.floor(d.length / 3); lag++) {
    let c = 0;
    for (let i = lag; i < d.length; i++) c += d[i] * d[i - lag];
    // Normalized by the full variance: shorter overlaps at long lags are not inflated.
    const r = c / var0;
    if (r > best.correlation) best = { period: lag, correlation: r };
  }
  return best.correlation >= p.periodic ? { ...best, low, high, span } : null;
}

/**
 * A parameter's analytic and numeric gradients differ: |a − n| > atol + rtol·|n| (PyTorch gradcheck's
 * atol 1e-5, rtol 1e-3) on an entry that is not at a kink. Blames the op whose backward rule is wrong
 * when the check located it, otherwise each failing layer. A check whose status is "inconclusive"
 * yields one info-severity "gradcheck-inconclusive" warning with the check's reason instead (never an
 * error); "failed" (or a report without `status` and `passed: false`) stays an error.
 */
export const gradcheckFailed: Rule<Record<string, never>> = {
  id: "gradcheck-failed",
  severity: "error",
  description: "Backward computes a gradient that disagrees with finite differences.",
  defaults: {},
  check(ctx) {
    const g = ctx.gradcheck;
    // The verdict as every front end reads it (`status`, else `passed` in older reports).
    const status = g ? gradcheckStatus(g) : "passed";
    if (!g || status === "passed") return [];
    if (status === "inconclusive") {
      // The check could not judge (it threw, the loss was non-finite at the checked point, kinks left
      // too little to compare): nothing shows a backward rule is wrong, so this is information, not an error.
      const notes = g.notes ?? [];
      const reason = notes.length ? inconclusiveReason(g) : "no reason was given";
      return [{
        rule: "gradcheck-inconclusive", severity: "info",
        message: `the gradient check could not judge the backward rules (${g.mode} mode): ${reason}.`,
        hint: "fix what stopped the check (see the reason), or run it in another mode (full, sampled, directional)",
        evidence: { status, mode: g.mode, reason, notes },
      }];
    }
    // Layers the check found wrong; an inconclusive layer next to them is not one.
    const failing = g.layers.filter((l) => gradcheckLayerStatus(l) === "failed");
    const worst = failing.flatMap((l) => l.worst.filter((e) => e.passed === false && !e.kink).slice(0, 3).map((e) => ({ layer: l.name, ...e })));
    if (g.culprit) {
      const c = g.culprit;
      const w: Warning = {
        rule: "gradcheck-failed", severity: "error", layer: c.layer,
        message: `the backward rule of "${c.op}"${c.layer ? ` in ${c.layer}` : ""} is wrong: analytic and numeric gradients of ${failing.map((l) => l.name).join(", ") || "the inputs"} differ (max relative error ${fmt(Math.max(0, ...failing.map((l) => l.maxRelError)))}).`,
        hint: `compare "${c.op}"'s backward with its derivative: a sign, a missing factor or a missing sum over a broadcast axis are the usual mistakes`,
        evidence: { op: c.op, inputShapes: c.inputShapes, failingLayers: failing.map((l) => l.name), worst, mode: g.mode },
      };
      const location = c.location ?? (c.layer ? ctx.layers.find((l) => l.name === c.layer)?.location : undefined);
      return [location ? { ...w, location } : w];
    }
    return failing.map((l) => {
      const w: Warning = {
        rule: "gradcheck-failed", severity: "error", layer: l.name,
        message: `${l.name}'s analytic gradient disagrees with finite differences (max relative error ${fmt(l.maxRelError)}, ${l.failures ?? "some"} entries).`,
        hint: "a custom op's backward rule is the usual cause: check signs, factors and sums over broadcast axes",
        evidence: { maxRelError: l.maxRelError, failures: l.failures, worst: l.worst.slice(0, 3), mode: g.mode },
      };
      const location = l.location ?? ctx.layers.find((x) => x.name === l.name)?.location;
      return location ? { ...w, location } : w;
    });
  },
};

/** Every rule, by id. */
export const RULES: Record<RuleId, Rule<any>> = {
  "vanishing-gradient": vanishingGradient,
  "exploding-gradient": explodingGradient,
  "dead-relu": deadRelu,
  "saturated-activation": saturatedActivation,
  "update-ratio": updateRatio,
  "nan-or-inf": nanOrInf,
  "loss-not-decreasing": lossNotDecreasing,
  "loss-oscillating": lossOscillating,
  "gradcheck-failed": gradcheckFailed,
  "vanishing-query-key-gradient": vanishingQueryKeyGradient,
  ...TIME_RULES,
};

/** Merges overrides left to right (spec.rules, then options.rules) over each rule's defaults. */
export function resolveRuleParams(...overrides: Array<RuleOverrides | undefined>): Record<string, RuleParams & { enabled: boolean }> {
  const out: Record<string, RuleParams & { enabled: boolean }> = {};
  for (const id of RULE_IDS) {
    out[id] = { ...RULES[id].defaults, enabled: true };
    for (const o of overrides) if (o?.[id]) Object.assign(out[id], o[id]);
  }
  return out;
}

/** Runs every enabled rule; warnings sorted errors first, then by step. */
export function runRules(ctx: RuleContext, ...overrides: Array<RuleOverrides | undefined>): Warning[] {
  const params = resolveRuleParams(...overrides);
  const out: Warning[] = [];
  for (const id of RULE_IDS) {
    const p = params[id];
    if (p.enabled === false) continue;
    const { enabled: _enabled, ...rest } = p;
    out.push(...RULES[id].check(ctx, rest));
  }
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || (a.step ?? 0) - (b.step ?? 0));
}
