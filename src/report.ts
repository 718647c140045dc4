/**
 * The report: what every front end reads (CLI, extension, webview, outside tools). A contract:
 * extend freely, bump `REPORT_VERSION` on a breaking change. Plain JSON, validated against
 * `schema/report.schema.json` in tests. This module imports nothing; besides the types it holds only the
 * few pure readers every front end must agree on (the gradient check's verdict).
 */

export const REPORT_VERSION = 1;

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface LayerInfo {
  /** Module path, e.g. "layers.0". */
  name: string;
  /** Class name, e.g. "Linear". */
  kind: string;
  parameters: number;
  location?: SourceLocation;
  /** What the layer does inside a composite layer (a MultiheadAttention's query projection), and the composite's path. */
  role?: LayerRoleInfo;
  /** Parameters whose gradient is zero by construction, whatever the data, and why (an attention's key bias). */
  zeroGradient?: Array<{ name: string; reason: string }>;
}

export interface LayerRoleInfo {
  kind: "attention-query" | "attention-key" | "attention-value" | "attention-output";
  /** The composite layer's path ("layers.3.selfAttn"). */
  within: string;
}

export interface Histogram {
  /** Bin edges on log10(|g|) (length counts + 1); zeros are counted separately in `zeros`. */
  edges: number[];
  counts: number[];
  zeros?: number;
}

export interface LayerStepStats {
  name: string;
  /** Module class, e.g. "Linear", "ReLU". */
  kind?: string;
  /**
   * What the gradient statistics describe: the layer's own parameters, or (activation layers, which
   * have none) the gradient reaching the layer's output.
   */
  gradSource?: "parameters" | "output";
  gradNorm: number;
  gradRms?: number;
  gradMeanAbs: number;
  gradMaxAbs: number;
  weightNorm: number;
  /** ‖Δw‖/‖w‖ after the optimizer step. */
  updateRatio: number;
  /** Fraction of exact zeros in the gradient. */
  zeroFraction: number;
  histogram: Histogram;
  /** Activation layers only. */
  activation?: {
    mean: number;
    std: number;
    /** Fraction of units that output zero on the whole batch (ReLU family). */
    deadFraction?: number;
    /** Fraction of inputs with |x| ≥ threshold (sigmoid/tanh). */
    saturatedFraction?: number;
  };
  /**
   * Parameter layers, on the run's first recorded step only: the std of the layer's output over the
   * batch (pre-activation statistics: how the init scales the forward signal, layer by layer).
   */
  outputStd?: number;
  /** Per parameter tensor ("layers.0.weight"), same statistics. */
  params?: Array<{
    name: string; gradNorm: number; gradRms?: number; gradMeanAbs: number; gradMaxAbs: number; weightNorm: number;
    updateRatio: number; zeroFraction: number; histogram?: Histogram;
  }>;
}

export interface StepRecord {
  step: number;
  loss: number;
  accuracy?: number;
  /** With `clipGradNorm` in the spec: the total gradient 2-norm before clipping and whether clipping scaled it. */
  gradClip?: { totalNorm: number; clipped: boolean };
  layers: LayerStepStats[];
  /**
   * Gradients through time, one entry per series of `model.timeSeries` seen this step: norms[t] =
   * ‖∂L/∂h_t‖ (Frobenius over batch and features) for the t-th call of the tap, in forward order (0 where
   * no gradient reached it). Recorded steps only; absent without recurrent layers or taps.
   */
  timeNorms?: TimeNorms[];
  /** Per attention layer, each head's attention entropy this step (recorded steps of models with attention). */
  attention?: AttentionStats[];
}

/** One series' gradient norms over time on one step (see `StepRecord.timeNorms`). */
export interface TimeNorms {
  name: string;
  norms: number[];
}

/** One attention layer's heads on one step (see `StepRecord.attention`). */
export interface AttentionStats {
  /** The MultiheadAttention module's path. */
  layer: string;
  /** Per head: the mean over batch and queries of −Σ_k p log p (nats). */
  entropy: number[];
  /**
   * The same mean for uniform attention over the keys each query may see (log(keys) without a mask):
   * the largest entropy a head can have, against which a collapse is judged.
   */
  uniformEntropy?: number;
}

/** A series of gradients through time the report carries (`StepRecord.timeNorms` entries name one). */
export interface TimeSeriesInfo {
  /** "layers.0" for a recurrent layer (stacked layers after the first: "layers.0.l1"), the tap's name for a tap. */
  name: string;
  /** A recurrent layer's hidden state, or a user's `tap(tensor, name)`. */
  kind: "recurrent" | "tap";
  /** The recurrent layer, or the layer that was running when the tap was called. */
  layer?: string;
  /** Where a tap's first `tap()` call is in the user's source; else (a recurrent layer's series) where its layer was built. */
  location?: SourceLocation;
}

export type Severity = "error" | "warning" | "info";

export interface Warning {
  rule: string;
  severity: Severity;
  layer?: string;
  step?: number;
  message: string;
  /** A suggested fix, one sentence. */
  hint?: string;
  evidence: Record<string, unknown>;
  location?: SourceLocation;
}

/**
 * Warnings that share a root cause, grouped (src/instrument/problems.ts). Indices point into the
 * report's `warnings`, which keeps every warning; each warning belongs to exactly one problem.
 */
export interface Problem {
  /** Stable within a report: the root rule and blamed layer, e.g. "vanishing-gradient@layers.0". */
  id: string;
  /** One line, e.g. "vanishing gradients in layers.0–4". */
  title: string;
  /** The most severe of its warnings. */
  severity: Severity;
  /** The rule of the root-cause warning. */
  rule: string;
  /** The first-cause layer (earliest in forward order) and its source line. */
  layer?: string;
  location?: SourceLocation;
  /** One suggested fix: the root-cause warning's hint. */
  fix?: string;
  /** The layers of the root-cause warnings. */
  layers?: string[];
  /** Indices into `warnings` of the root-cause warnings (at least one), first cause first. */
  causes: number[];
  /** Indices into `warnings` of the warnings this cause explains. */
  symptoms: number[];
}

/** One comparison of an analytic derivative with central differences: an entry, or a direction. */
export interface GradcheckComparison {
  analytic: number;
  numeric: number;
  relError: number;
  /** Absent for comparisons that were not judged (non-finite). */
  passed?: boolean;
  /**
   * The perturbation crossed a kink (ReLU at 0, a max tie). Such a comparison is judged against the two
   * one-sided differences and passes when the analytic value matches either.
   */
  kink?: boolean;
  /** At a kink: (f(x)−f(x−ε))/ε and (f(x+ε)−f(x))/ε. */
  numericLeft?: number;
  numericRight?: number;
  /** At a kink, the analytic value lies between the one-sided differences without matching either (a subgradient). */
  unverified?: boolean;
  /** |analytic| and |numeric| both below the resolution of central differences: left out of maxRelError. */
  negligible?: boolean;
  /** The analytic or numeric value is NaN or ±Inf: not judged (see the nan-or-inf warning). */
  nonFinite?: boolean;
  /**
   * Present when the loss is large enough that central differences cannot resolve derivatives down to
   * atol: the smallest |derivative| they resolve here (round-off of the loss divided by eps). The
   * comparison's atol is widened by it; `negligible` with a floor means unresolvable.
   */
  noiseFloor?: number;
}

export interface GradcheckEntry extends GradcheckComparison {
  /** The parameter tensor ("layers.0.weight") when a layer has several. */
  tensor?: string;
  /** Multi-index into the parameter tensor. */
  index: number[];
}

export type GradcheckStatus = "passed" | "failed" | "inconclusive";

/** One parameter tensor's part of a layer's check. */
export interface GradcheckTensor {
  name: string;
  checked: number;
  maxRelError: number;
  passed: boolean;
  failures: number;
  kinks: number;
  status?: GradcheckStatus;
  /** Entries (or directions) with a non-finite analytic or numeric value. */
  nonFinite?: number;
  /** Kink entries consistent with a subgradient but matching neither one-sided difference. */
  unverified?: number;
  /** Entries left out of maxRelError: below the resolution of central differences. */
  negligible?: number;
  /** Negligible entries whose noise floor is above atol: not verifiable at this loss scale. */
  unresolvable?: number;
}

/** One random-direction comparison of `directional` mode: (g·u) against (f(θ+εu) − f(θ−εu))/2ε. */
export interface GradcheckDirection extends GradcheckComparison {
  /** The parameter tensor perturbed along u. */
  tensor: string;
  passed: boolean;
}

/**
 * `directional` mode's first stage: one seeded random unit direction u over every checked parameter at
 * once, (g·u) from the one backward pass against (f(θ+εu) − f(θ−εu))/2ε. Only when it disagrees (or
 * crosses a kink it cannot verify, or is non-finite) are the tensors checked one by one along u's
 * restriction to each (the layers' `directions`), and then the entries of those that disagree.
 */
export interface GradcheckJointDirection extends GradcheckComparison {
  /** Parameter tensors u spans: every checked one. */
  tensors: number;
  /** Scalar entries u spans. */
  entries: number;
}

export interface GradcheckLayer {
  name: string;
  checked: number;
  maxRelError: number;
  passed: boolean;
  /** "inconclusive" when its entries could not be judged (non-finite values, mostly unverified kinks). */
  status?: GradcheckStatus;
  kinks?: number;
  failures?: number;
  /** Per parameter tensor. */
  tensors?: GradcheckTensor[];
  worst: GradcheckEntry[];
  location?: SourceLocation;
  /** Directional mode: each direction compared. */
  directions?: GradcheckDirection[];
}

/** The op whose backward rule produced a wrong gradient, found by checking every intermediate tensor. */
export interface GradcheckCulprit {
  op: string;
  /** The module the op ran in. */
  layer?: string;
  location?: SourceLocation;
  /** Shapes of the op's inputs. */
  inputShapes: number[][];
  /** Other ops that consume the same wrongly differentiated tensor (the blame cannot separate them). */
  alternatives?: Array<{ op: string; layer?: string }>;
}

export interface GradcheckResult {
  mode: "full" | "sampled" | "directional";
  eps: number;
  atol?: number;
  rtol?: number;
  passed: boolean;
  /**
   * "passed"/"failed" when the check ran; "inconclusive" when it could not judge (the check threw, the
   * loss is non-finite at the checked point, or kinks left too few judgeable entries): `passed` is then
   * false but nothing shows the backward rules are wrong, so front ends must not report a failure.
   * Absent in reports written before this field existed: read `passed`.
   */
  status?: GradcheckStatus;
  layers: GradcheckLayer[];
  /** Wall time of the check, milliseconds. */
  durationMs?: number;
  /** Which op's backward rule is wrong, when the check failed and the op could be located. */
  culprit?: GradcheckCulprit;
  /** How the check was set up (modes of Dropout/BatchNorm, float32 copies, the batch used). */
  notes?: string[];
  /** Total scalar entries compared (directions count once each). */
  checked?: number;
  /** Directional mode: the comparisons along directions over all parameters at once (its first stage). */
  joint?: GradcheckJointDirection[];
  /**
   * Loss evaluations (forward passes) the check ran, the first of them with the one backward pass; the
   * culprit search's included.
   */
  evaluations?: number;
}

export interface Report {
  version: typeof REPORT_VERSION;
  model: {
    name: string;
    file?: string;
    exportName?: string;
    parameters: number;
    layers: LayerInfo[];
    /** The series of gradients through time recorded (recurrent layers' hidden states, taps), in order of first appearance. */
    timeSeries?: TimeSeriesInfo[];
  };
  steps: StepRecord[];
  warnings: Warning[];
  /** Warnings grouped by root cause. Additive: absent in reports written before it existed. */
  problems?: Problem[];
  gradcheck?: GradcheckResult;
  /** How the run went: finished, or stopped early by an error inside the model. */
  status?: {
    ok: boolean;
    error?: string;
    /** The error's stack (the runner maps it to the user's source). */
    stack?: string;
    /** Where the error points in the user's source when the stack cannot say (the layer that threw was built here). */
    location?: SourceLocation;
    durationMs?: number;
    /** Steps run and steps asked for. */
    steps?: number;
    totalSteps?: number;
    /**
     * Why training ended: all steps done, stopped by the caller, a non-finite loss, an error, or (set by
     * the runner on a partial report) the time limit or a cancel (Ctrl-C, SIGTERM, the Stop command).
     */
    reason?: "completed" | "stopped" | "non-finite-loss" | "error" | "timeout" | "cancelled";
  };
  /** Where the time went: mean step time and the recorder's share (overhead = recordMs / (stepMs − recordMs)). */
  timing?: { stepMsMean: number; recordMsMean: number; overhead: number; recordedSteps: number };
  /** Evaluation on the validation split after training, when the data has one. */
  validation?: { loss: number; accuracy?: number };
  /** The engine that produced the report: the `gradient-lens` package version (the CLI's own, or the extension's). */
  engine?: { version: string };
}

// ── Options a report is made with (shared by the debugger's entry points and the runner protocol) ──

/** Which steps get full per-layer statistics (the loss is recorded every step regardless). */
export type RecordSchedule =
  | { kind: "every"; interval?: number }
  /** About `count` steps spaced evenly on a log scale (Cockpit's `track_schedule` idea): dense early, sparse late. */
  | { kind: "log"; count?: number }
  | { kind: "steps"; steps: number[] };

export type GradcheckMode = "full" | "sampled" | "directional";

export interface GradcheckOptions {
  mode?: GradcheckMode;
  /** Central-difference step (default 1e-6). */
  eps?: number;
  /** Pass when |a − n| ≤ atol + rtol·|n| (defaults 1e-5 and 1e-3: PyTorch gradcheck's). */
  atol?: number;
  rtol?: number;
  /** Entries per parameter tensor in `sampled` mode (default 10). */
  samples?: number;
  /**
   * Random directions over all parameters at once in `directional` mode (default 1, as PyTorch's fast
   * mode); each costs two forward passes.
   */
  directions?: number;
  /** Seed for sampled entries and directions (default 0). */
  seed?: number;
  /** How many worst entries to list per layer (default 5). */
  worst?: number;
  /**
   * Training rows a ModelSpec is checked on, drawn at random with `seed` (default 16, capped by the
   * spec's batch size; an explicit value is capped only by the data): each checked entry costs two
   * forward passes over them. Random rather than the first rows: sorted data sets start with special
   * points (spirals start at the origin, where every ReLU input is exactly at its kink).
   */
  batchSize?: number;
}

/** Per-rule overrides by rule id, e.g. `{ "dead-relu": { fraction: 0.8 }, "loss-oscillating": { enabled: false } }`. */
export type RuleOverrides = Record<string, Record<string, number | boolean>>;

/**
 * The gradient check's verdict, the one reading every front end uses (CLI, CodeLens, status bar,
 * Problems, webview). `status` is authoritative; reports written before it existed carry only `passed`.
 * "inconclusive" (the check could not run or could not judge) is not a failure.
 */
export function gradcheckStatus(gc: GradcheckResult): GradcheckStatus {
  if (gc.status === "passed" || gc.status === "failed" || gc.status === "inconclusive") return gc.status;
  if (gc.passed) return "passed";
  // Before `status`: a check that compared nothing ("the check could not run: …", a NaN loss at the
  // checked point) was written as passed: false; it found no wrong gradient either.
  const comparedNothing = gc.layers.length === 0 || gc.checked === 0;
  return comparedNothing && (gc.notes?.length ?? 0) > 0 ? "inconclusive" : "failed";
}

/** One layer's (or tensor's) verdict, read the same way: `status` when present, else `passed`. */
export function gradcheckLayerStatus(l: Pick<GradcheckLayer, "passed" | "status">): GradcheckStatus {
  if (l.status === "passed" || l.status === "failed" || l.status === "inconclusive") return l.status;
  return l.passed ? "passed" : "failed";
}

/** How a verdict is written to the user: "passed", "FAILED" (shouted: it is the one to act on), "inconclusive". */
export function gradcheckStatusLabel(status: GradcheckStatus): "passed" | "FAILED" | "inconclusive" {
  return status === "failed" ? "FAILED" : status;
}

/** Why an inconclusive check could not judge: the note that says so (else the last note). */
export function inconclusiveReason(gc: GradcheckResult): string {
  const notes = gc.notes ?? [];
  const why = notes.find((n) => /could not|cannot|can't|nothing to compare|non-finite|not finite|NaN|Inf\b|too few|inconclusive|unverifiable|resolve/i.test(n));
  return why ?? notes[notes.length - 1] ?? "the check could not judge the gradients";
}
