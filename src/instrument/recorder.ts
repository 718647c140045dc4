/**
 * The recorder: per-layer statistics on the recorded steps of a training run, collected as an
 * `Observer`: activations from module events, the gradient reaching an activation from its op's
 * backward event, parameter gradients after backward, ‖Δw‖ and ‖w‖ from the optimizer's update events.
 * The recorder itself listens to the loop's step events only; the per-op, per-module and per-update
 * events are listened to by an inner observer attached for the recorded steps alone, so on the other
 * steps nobody listens and their producers skip them (an optimizer then does not measure its updates).
 * Layers are the modules that own parameters plus the activation modules, in `namedModules()` order
 * (forward order for a Sequential).
 */
import { observe, type BackwardEvent, type ModuleEvent, type Observer, type StepEvent, type Tensor, type UpdateEvent } from "../engine";
import type { Module } from "../nn";
import type { LayerStepStats } from "../report";
import type { RecordSchedule } from "./types";
import { GradAccumulator, histogramEdges, sumSquares } from "./stats";
import { TapCollector } from "./taps";

/**
 * |x| at or above which a sigmoid/tanh input counts as saturated: σ'(5) ≈ 0.0066 and tanh'(5) ≈ 1.8e-4,
 * so almost no gradient passes (DeepDiagnosis, ICSE 2022, uses the same cut-off).
 */
export const SATURATION_THRESHOLD = 5;

/** Default schedule: every step (the overhead budget allows it for the models Gradient Lens targets). */
export const DEFAULT_RECORD: RecordSchedule = { kind: "every", interval: 1 };

/** The recorded steps of a run: a membership test and, lazily, the steps in order (never materialized per step). */
export interface RecordedSteps extends Iterable<number> {
  has(step: number): boolean;
}

/**
 * The recorded steps for a run of `totalSteps` (the first and last steps are always included). The
 * `every` schedule is arithmetic, so a run of `steps: 1e9` costs nothing up front; `log` and `steps`
 * list at most their count.
 */
export function recordedSteps(schedule: RecordSchedule, totalSteps: number): RecordedSteps {
  if (totalSteps > 0 && schedule.kind === "every") {
    const k = Math.max(1, Math.floor(schedule.interval ?? 1));
    const last = totalSteps - 1;
    return {
      has: (step) => step === last || (step >= 0 && step < totalSteps && step % k === 0),
      *[Symbol.iterator]() {
        for (let s = 0; s < totalSteps; s += k) yield s;
        if (last % k !== 0) yield last;
      },
    };
  }
  const out = new Set<number>();
  if (totalSteps <= 0) return out;
  switch (schedule.kind) {
    case "log": {
      // Cockpit-style: dense early (where most pathologies start), sparse late.
      const count = Math.max(2, Math.floor(schedule.count ?? 50));
      const max = Math.log10(totalSteps);
      for (let i = 0; i < count; i++) out.add(Math.min(totalSteps - 1, Math.round(10 ** ((max * i) / (count - 1)) - 1)));
      break;
    }
    case "steps":
      for (const s of schedule.steps) if (s >= 0 && s < totalSteps) out.add(Math.floor(s));
      return out;
  }
  out.add(0);
  out.add(totalSteps - 1);
  return out;
}

/** Describes one recorded layer. */
export interface RecordedLayer {
  name: string;
  module: Module;
  kind: string;
  /** The module's activation kind (relu, sigmoid, …) for activation layers. */
  activation?: string;
  /** Parameter tensors owned by the module: [full name, tensor, index in the loop's params]. */
  params: Array<{ name: string; tensor: Tensor; index: number }>;
}

/** Per-layer state built once in `attach`: nothing about the layer list is re-derived per step. */
interface LayerSlot {
  layer: RecordedLayer;
  acc: GradAccumulator;
  /** One accumulator per parameter tensor (allocated once: each holds a 16 KB scratch table). */
  tensorAcc: GradAccumulator[];
  activation: ActivationSlot | undefined;
}

interface ActivationSlot {
  /** The module's activation kind, read once in `attach`. */
  kind: string;
  mean: number;
  std: number;
  deadFraction?: number;
  saturatedFraction?: number;
  grad: GradAccumulator;
  gotGrad: boolean;
  /**
   * Sums over this step's calls of the module: a module called several times in one step (an activation
   * inside a recurrent cell, a shared block) is one layer whose statistics cover every call.
   */
  calls: number;
  sum: number;
  sumSq: number;
  count: number;
  saturated: number;
  inputs: number;
  /** Per unit, the largest ReLU input over every row of every call this step (dead = never above 0). */
  unitMax: Float64Array;
  units: number;
}

/**
 * Records per-layer statistics on the recorded steps. Call `attach(model, params)` once the model is
 * built and named, then attach the recorder itself as an observer for the run (`observe(recorder)`).
 */
export class Recorder implements Observer {
  readonly layers: RecordedLayer[] = [];
  /** Layer statistics by step (only recorded steps). */
  readonly stats = new Map<number, LayerStepStats[]>();
  /** Milliseconds spent inside the recorder (its share of the training time). */
  recordMs = 0;
  private readonly steps: RecordedSteps;
  private recording = false;
  private current: LayerStepStats[] | null = null;
  private readonly slots: LayerSlot[] = [];
  private readonly activations = new Map<object, ActivationSlot>();
  /** This step's activation outputs awaiting their gradient (the backward event of the op that made them). */
  private readonly awaitingGrad = new Map<Tensor, ActivationSlot>();
  private readonly edges = histogramEdges();
  /** Each recorded parameter tensor's index into `updateSq`/`weightSq` (layer by layer, in `slots` order). */
  private readonly paramIndex = new Map<Tensor, number>();
  private updateSq = new Float64Array(0);
  private weightSq = new Float64Array(0);
  /** 1 when the tensor's update was reported this step (0: not optimized, or no gradient: it did not move). */
  private updated = new Uint8Array(0);
  /** Gradients through time (taps, recurrent layers) and attention entropies, per recorded step (./taps.ts). */
  readonly taps = new TapCollector((layer) => this.modulesByPath.get(layer)?.location);
  private readonly modulesByPath = new Map<string, Module>();
  /**
   * Parameter layers' output sums on the run's first recorded step (pre-activation statistics: how the
   * init scales the forward signal layer by layer, read by exploding-gradient's forward-growth check).
   * One pass over each output, once per run.
   */
  private readonly outputs = new Map<object, { sum: number; sumSq: number; count: number }>();
  private measuringOutputs = false;
  private outputsMeasured = false;

  constructor(readonly schedule: RecordSchedule, readonly totalSteps: number) {
    this.steps = recordedSteps(schedule, totalSteps);
  }

  isRecorded(step: number): boolean {
    return this.steps.has(step);
  }

  /** Discovers the layers of a named model (`params` as `namedParameters()` gives them). */
  attach(model: Module, params: ReadonlyArray<readonly [string, Tensor]>): void {
    const index = new Map<Tensor, number>();
    params.forEach(([, p], i) => index.set(p, i));
    for (const [path, m] of model.namedModules()) {
      this.modulesByPath.set(path || "model", m);
      const own = m.ownParameters();
      const activation = (m as { activation?: unknown }).activation;
      if (!own.length && typeof activation !== "string") continue;
      const name = path || "model";
      this.layers.push({
        name,
        module: m,
        kind: m.kind,
        activation: typeof activation === "string" ? activation : undefined,
        params: own.map(([local, t]) => ({ name: path ? `${path}.${local}` : local, tensor: t, index: index.get(t) ?? -1 })),
      });
      const layer = this.layers[this.layers.length - 1];
      if (typeof activation === "string") {
        this.activations.set(m, {
          kind: activation, mean: NaN, std: NaN, grad: new GradAccumulator(), gotGrad: false,
          calls: 0, sum: 0, sumSq: 0, count: 0, saturated: 0, inputs: 0, unitMax: new Float64Array(0), units: 0,
        });
      }
      if (own.length && typeof activation !== "string") this.outputs.set(m, { sum: 0, sumSq: 0, count: 0 });
      this.slots.push({
        layer, acc: new GradAccumulator(), tensorAcc: layer.params.map(() => new GradAccumulator()),
        activation: this.activations.get(m),
      });
      for (const p of layer.params) if (!this.paramIndex.has(p.tensor)) this.paramIndex.set(p.tensor, this.paramIndex.size);
    }
    const n = this.paramIndex.size;
    this.updateSq = new Float64Array(n);
    this.weightSq = new Float64Array(n);
    this.updated = new Uint8Array(n);
  }

  /** Module, backward and update events, listened to on recorded steps only (`beforeStep` to `afterStep`). */
  private readonly stepEvents: Observer = {
    module: (e) => this.onModule(e),
    backward: (e) => this.onBackward(e),
    update: (e) => this.onUpdate(e),
  };
  private detachStepEvents: (() => void) | null = null;

  beforeStep(ctx: StepEvent): void {
    this.recording = this.steps.has(ctx.step);
    // Taps and attention layers report to the collector from this forward pass to the end of its backward.
    if (this.recording) this.taps.start();
    else this.stop();
    if (!this.recording) return;
    this.detachStepEvents ??= observe(this.stepEvents);
    this.measuringOutputs = !this.outputsMeasured;
    if (this.measuringOutputs) for (const o of this.outputs.values()) o.sum = o.sumSq = o.count = 0;
    for (const slot of this.activations.values()) {
      slot.gotGrad = false;
      slot.calls = 0;
    }
    this.awaitingGrad.clear();
  }

  /** Stops listening to the step's events and taps (the end of a recorded step, or of the run: `inspect` calls it when the loop ends, however it ended). */
  stop(): void {
    this.stopStepEvents();
    this.taps.stop();
  }

  private stopStepEvents(): void {
    this.detachStepEvents?.();
    this.detachStepEvents = null;
  }

  private onModule(e: ModuleEvent): void {
    if (!this.recording) return;
    if (this.measuringOutputs) this.observeOutput(e);
    const slot = this.activations.get(e.module);
    if (!slot) return;
    const t0 = performance.now();
    this.observeActivation(slot, e.inputs[0], e.output);
    this.recordMs += performance.now() - t0;
  }

  private onBackward(e: BackwardEvent): void {
    // The gradient reaching an activation's output: the flow through parameter-free layers, summed over
    // every call of the step (the accumulator resets at the first call's forward).
    if (!this.recording || this.awaitingGrad.size === 0) return;
    const slot = this.awaitingGrad.get(e.output);
    if (!slot) return;
    const t0 = performance.now();
    slot.grad.add(e.outputGrad, e.outputGrad.length);
    slot.gotGrad = true;
    this.awaitingGrad.delete(e.output);
    this.recordMs += performance.now() - t0;
  }

  afterBackward(ctx: StepEvent): void {
    this.taps.finish(ctx.step);
    if (!this.recording) return;
    const t0 = performance.now();
    this.current = this.collectGradients();
    if (this.measuringOutputs) {
      this.outputsMeasured = true;
      this.measuringOutputs = false;
    }
    this.stats.set(ctx.step, this.current);
    this.updated.fill(0);
    this.awaitingGrad.clear();
    this.recordMs += performance.now() - t0;
  }

  private onUpdate(e: UpdateEvent): void {
    if (!this.current) return;
    const k = this.paramIndex.get(e.param);
    if (k === undefined) return;
    // An optimizer listing a tensor twice updates it twice: the sizes add, the weight is the one before both.
    if (this.updated[k]) {
      this.updateSq[k] += e.updateSq;
    } else {
      this.updateSq[k] = e.updateSq;
      this.weightSq[k] = e.weightSq;
      this.updated[k] = 1;
    }
  }

  afterStep(): void {
    this.stopStepEvents();
    if (!this.current) return;
    const t0 = performance.now();
    this.collectUpdates(this.current);
    this.current = null;
    this.recording = false;
    this.recordMs += performance.now() - t0;
  }

  /** Adds a parameter layer's output to its sums (every call of the step: a shared layer covers them all). */
  private observeOutput(e: ModuleEvent): void {
    const o = this.outputs.get(e.module);
    const x = e.output?.data;
    if (!o || !x) return;
    const t0 = performance.now();
    let sum = 0, sumSq = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      sum += v;
      sumSq += v * v;
    }
    o.sum += sum;
    o.sumSq += sumSq;
    o.count += x.length;
    this.recordMs += performance.now() - t0;
  }

  private observeActivation(slot: ActivationSlot, input: Tensor | undefined, output: Tensor): void {
    const first = slot.calls === 0;
    slot.calls++;
    if (first) {
      slot.sum = slot.sumSq = slot.count = slot.saturated = slot.inputs = 0;
      slot.units = 0;
      slot.deadFraction = undefined;
      slot.saturatedFraction = undefined;
    }
    const y = output.data;
    const n = y.length;
    // Two elements per iteration into two sets of sums (shorter add chains).
    let s = 0, s2 = 0, t = 0, t2 = 0;
    const h = n - (n & 1);
    for (let i = 0; i < h; i += 2) {
      const v = y[i];
      const w = y[i + 1];
      s += v;
      s2 += v * v;
      t += w;
      t2 += w * w;
    }
    if (h < n) {
      s += y[h];
      s2 += y[h] * y[h];
    }
    slot.sum += s + t;
    slot.sumSq += s2 + t2;
    slot.count += n;
    const count = Math.max(1, slot.count);
    slot.mean = slot.sum / count;
    slot.std = Math.sqrt(Math.max(0, slot.sumSq / count - slot.mean * slot.mean));
    const kind = slot.kind;
    const x = input?.data;
    if ((kind === "relu" || kind === "leakyRelu") && x && x.length === n) {
      // A unit is dead when its input is ≤ 0 for every example of the batch (and, for a module called
      // several times in the step, at every call): then relu outputs zero and passes no gradient to
      // anything before it. Its largest input tells (a running max per unit: no data-dependent branch).
      const rows = output.ndim >= 2 ? output.shape[0] : 1;
      const units = n / Math.max(1, rows);
      if (slot.units !== units) {
        // First call of the step, or a call with another width (then the latest width is judged alone).
        slot.units = units;
        if (slot.unitMax.length < units) slot.unitMax = new Float64Array(units);
        slot.unitMax.fill(-Infinity, 0, units);
      }
      const mx = slot.unitMax;
      for (let r = 0; r < rows; r++) {
        const o = r * units;
        for (let u = 0; u < units; u++) {
          const v = x[o + u];
          const m = mx[u];
          mx[u] = v > m ? v : m;
        }
      }
      let dead = 0;
      for (let u = 0; u < units; u++) dead += mx[u] > 0 ? 0 : 1;
      slot.deadFraction = dead / Math.max(1, units);
    } else if ((kind === "sigmoid" || kind === "tanh") && x) {
      let sat = 0;
      for (let i = 0; i < x.length; i++) sat += Math.abs(x[i]) >= SATURATION_THRESHOLD ? 1 : 0;
      slot.saturated += sat;
      slot.inputs += x.length;
      slot.saturatedFraction = slot.saturated / Math.max(1, slot.inputs);
    }
    if (output.requiresGrad) {
      if (first) slot.grad.reset();
      this.awaitingGrad.set(output, slot);
    }
  }

  private collectGradients(): LayerStepStats[] {
    const out: LayerStepStats[] = new Array(this.slots.length);
    for (let li = 0; li < this.slots.length; li++) {
      const { layer, acc, tensorAcc, activation: slot } = this.slots[li];
      acc.reset();
      const np = layer.params.length;
      const params: NonNullable<LayerStepStats["params"]> = new Array(np);
      for (let pi = 0; pi < np; pi++) {
        const p = layer.params[pi];
        const t = p.tensor;
        const ta = tensorAcc[pi];
        ta.reset();
        // One pass per gradient: Σg², Σ|g|, max|g|, zeros and the histogram. The weight norm comes
        // with the update ratio, from the pre-step snapshot, after the optimizer step.
        ta.add(t._g, t.size);
        acc.merge(ta);
        params[pi] = {
          name: p.name, gradNorm: ta.norm, gradRms: ta.rms, gradMeanAbs: ta.meanAbs, gradMaxAbs: ta.maxAbs,
          weightNorm: 0, updateRatio: 0, zeroFraction: ta.zeroFraction, histogram: ta.histogram(this.edges),
        };
      }
      const source = np ? acc : slot?.gotGrad ? slot.grad : acc;
      const stats: LayerStepStats = {
        name: layer.name,
        kind: layer.kind,
        gradSource: np ? "parameters" : "output",
        gradNorm: source.norm,
        gradRms: source.rms,
        gradMeanAbs: source.meanAbs,
        gradMaxAbs: source.maxAbs,
        weightNorm: 0,
        updateRatio: 0,
        zeroFraction: source.zeroFraction,
        histogram: source.histogram(this.edges),
      };
      if (np) stats.params = params;
      const o = this.measuringOutputs ? this.outputs.get(layer.module) : undefined;
      if (o && o.count > 1) {
        const mean = o.sum / o.count;
        stats.outputStd = Math.sqrt(Math.max(0, o.sumSq / o.count - mean * mean));
      }
      if (slot) {
        stats.activation = { mean: slot.mean, std: slot.std };
        if (slot.deadFraction !== undefined) stats.activation.deadFraction = slot.deadFraction;
        if (slot.saturatedFraction !== undefined) stats.activation.saturatedFraction = slot.saturatedFraction;
      }
      out[li] = stats;
    }
    return out;
  }

  /**
   * Weight norms (before the step) and ‖Δw‖/‖w‖, per tensor and per layer, from the optimizer's update
   * events. A tensor with no update event this step (not optimized, or no gradient) did not move: Δw = 0
   * and its norm is read from its values.
   */
  private collectUpdates(stats: LayerStepStats[]): void {
    for (let li = 0; li < this.slots.length; li++) {
      const { layer } = this.slots[li];
      const np = layer.params.length;
      if (!np) continue;
      let dSq = 0, wSq = 0;
      const entries = stats[li].params;
      for (let pi = 0; pi < np; pi++) {
        const t = layer.params[pi].tensor;
        const k = this.paramIndex.get(t) ?? -1;
        const moved = k >= 0 && this.updated[k] === 1;
        const d = moved ? this.updateSq[k] : 0;
        const w = moved ? this.weightSq[k] : sumSquares(t.data);
        dSq += d;
        wSq += w;
        const entry = entries?.[pi];
        if (entry) {
          entry.weightNorm = Math.sqrt(w);
          entry.updateRatio = ratio(d, w);
        }
      }
      stats[li].weightNorm = Math.sqrt(wSq);
      stats[li].updateRatio = ratio(dSq, wSq);
    }
  }
}

/** ‖Δw‖/‖w‖ from the squares (∞ for a tensor that moved from zero). */
function ratio(updateSq: number, weightSq: number): number {
  return weightSq > 0 ? Math.sqrt(updateSq / weightSq) : updateSq > 0 ? Infinity : 0;
}
