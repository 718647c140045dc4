/**
 * The recorder: per-layer statistics on the recorded steps of a training run, collected through the
 * loop's hooks (gradients, weights, updates) and the module observer (activations). Layers are the
 * modules that own parameters plus the activation modules, in `namedModules()` order (forward order
 * for a Sequential).
 */
import type { Tensor } from "../engine";
import { addModuleObserver, type Module } from "../nn";
import type { LayerStepStats } from "../report";
import type { AfterStepContext, StepContext, TrainHooks } from "../train/loop";
import type { RecordSchedule } from "./types";
import { GradAccumulator, histogramEdges, sumSquaredDiff } from "./stats";

/**
 * |x| at or above which a sigmoid/tanh input counts as saturated: σ'(5) ≈ 0.0066 and tanh'(5) ≈ 1.8e-4,
 * so almost no gradient passes (DeepDiagnosis, ICSE 2022, uses the same cut-off).
 */
export const SATURATION_THRESHOLD = 5;

/** Default schedule: every step (the overhead budget allows it for the models Gradient Lens targets). */
export const DEFAULT_RECORD: RecordSchedule = { kind: "every", interval: 1 };

/** The set of recorded steps for a run of `totalSteps` (the first and last steps are always included). */
export function recordedSteps(schedule: RecordSchedule, totalSteps: number): Set<number> {
  const out = new Set<number>();
  if (totalSteps <= 0) return out;
  switch (schedule.kind) {
    case "every": {
      const k = Math.max(1, Math.floor(schedule.interval ?? 1));
      for (let s = 0; s < totalSteps; s += k) out.add(s);
      break;
    }
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

interface ActivationSlot {
  mean: number;
  std: number;
  deadFraction?: number;
  saturatedFraction?: number;
  grad: GradAccumulator;
  gotGrad: boolean;
}

export class Recorder {
  readonly layers: RecordedLayer[] = [];
  /** Layer statistics by step (only recorded steps). */
  readonly stats = new Map<number, LayerStepStats[]>();
  /** Milliseconds spent inside the recorder (its share of the training time). */
  recordMs = 0;
  private readonly steps: Set<number>;
  private recording = false;
  private current: LayerStepStats[] | null = null;
  private weightSq: Float64Array = new Float64Array(0);
  private readonly tensorAcc: GradAccumulator[] = [];
  private readonly layerAcc: GradAccumulator[] = [];
  private readonly activations = new Map<Module, ActivationSlot>();
  private aliveScratch = new Uint8Array(0);
  private readonly edges = histogramEdges();
  private removeObserver: (() => void) | null = null;

  constructor(readonly schedule: RecordSchedule, readonly totalSteps: number) {
    this.steps = recordedSteps(schedule, totalSteps);
  }

  isRecorded(step: number): boolean {
    return this.steps.has(step);
  }

  /** Discovers the layers of a named model and starts observing its activations. */
  attach(model: Module, params: ReadonlyArray<readonly [string, Tensor]>): void {
    const index = new Map<Tensor, number>();
    params.forEach(([, p], i) => index.set(p, i));
    for (const [path, m] of model.namedModules()) {
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
      this.layerAcc.push(new GradAccumulator());
      if (typeof activation === "string") this.activations.set(m, { mean: NaN, std: NaN, grad: new GradAccumulator(), gotGrad: false });
    }
    for (let i = 0; i < params.length; i++) this.tensorAcc.push(new GradAccumulator());
    this.weightSq = new Float64Array(params.length);
    if (this.activations.size) {
      this.removeObserver = addModuleObserver({
        afterForward: (module, inputs, output) => {
          if (!this.recording) return;
          const slot = this.activations.get(module);
          if (!slot) return;
          const t0 = performance.now();
          this.observeActivation(module, slot, inputs[0], output);
          this.recordMs += performance.now() - t0;
        },
      });
    }
  }

  detach(): void {
    this.removeObserver?.();
    this.removeObserver = null;
    this.recording = false;
  }

  /** The loop hooks that feed this recorder. */
  hooks(): Pick<TrainHooks, "beforeStep" | "afterBackward" | "wantsPrevious" | "afterStep"> {
    return {
      beforeStep: (ctx) => {
        this.recording = this.steps.has(ctx.step);
        if (this.recording) for (const slot of this.activations.values()) slot.gotGrad = false;
      },
      afterBackward: (ctx) => {
        if (!this.recording) return;
        const t0 = performance.now();
        this.current = this.collectGradients(ctx);
        this.stats.set(ctx.step, this.current);
        this.recordMs += performance.now() - t0;
      },
      wantsPrevious: (step) => this.steps.has(step),
      afterStep: (ctx) => {
        if (!this.recording || !this.current) return;
        const t0 = performance.now();
        this.collectUpdates(ctx, this.current);
        this.current = null;
        this.recording = false;
        this.recordMs += performance.now() - t0;
      },
    };
  }

  private observeActivation(module: Module, slot: ActivationSlot, input: Tensor | undefined, output: Tensor): void {
    const y = output.data;
    let s = 0, s2 = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i];
      s += v;
      s2 += v * v;
    }
    const n = Math.max(1, y.length);
    slot.mean = s / n;
    slot.std = Math.sqrt(Math.max(0, s2 / n - slot.mean * slot.mean));
    const kind = (module as { activation?: string }).activation;
    const x = input?.data;
    if ((kind === "relu" || kind === "leakyRelu") && x && x.length === y.length) {
      // A unit is dead when its input is ≤ 0 for every example of the batch: then relu outputs zero and
      // passes no gradient to anything before it for that whole batch.
      const rows = output.ndim >= 2 ? output.shape[0] : 1;
      const units = y.length / Math.max(1, rows);
      if (this.aliveScratch.length < units) this.aliveScratch = new Uint8Array(units);
      const alive = this.aliveScratch;
      alive.fill(0, 0, units);
      for (let r = 0; r < rows; r++) {
        const o = r * units;
        for (let u = 0; u < units; u++) if (x[o + u] > 0) alive[u] = 1;
      }
      let dead = 0;
      for (let u = 0; u < units; u++) dead += 1 - alive[u];
      slot.deadFraction = dead / Math.max(1, units);
    } else if ((kind === "sigmoid" || kind === "tanh") && x) {
      let sat = 0;
      for (let i = 0; i < x.length; i++) if (x[i] >= SATURATION_THRESHOLD || x[i] <= -SATURATION_THRESHOLD) sat++;
      slot.saturatedFraction = sat / Math.max(1, x.length);
    }
    // The gradient reaching the activation's output: the flow through parameter-free layers.
    if (output.requiresGrad) {
      slot.grad.reset();
      output.registerHook((g) => {
        const t0 = performance.now();
        slot.grad.add(g.data, g.size);
        slot.gotGrad = true;
        this.recordMs += performance.now() - t0;
      });
    }
  }

  private collectGradients(ctx: StepContext): LayerStepStats[] {
    const out: LayerStepStats[] = [];
    this.layers.forEach((layer, li) => {
      const acc = this.layerAcc[li];
      acc.reset();
      const params: NonNullable<LayerStepStats["params"]> = [];
      let wSq = 0;
      for (const p of layer.params) {
        const t = p.tensor;
        const ta = p.index >= 0 ? this.tensorAcc[p.index] : new GradAccumulator();
        ta.reset();
        const sq = ta.add(t._g, t.size, t.data);
        acc.merge(ta);
        if (p.index >= 0) this.weightSq[p.index] = sq;
        wSq += sq;
        params.push({
          name: p.name, gradNorm: ta.norm, gradRms: ta.rms, gradMeanAbs: ta.meanAbs, gradMaxAbs: ta.maxAbs,
          weightNorm: Math.sqrt(sq), updateRatio: 0, zeroFraction: ta.zeroFraction, histogram: ta.histogram(this.edges),
        });
      }
      const slot = this.activations.get(layer.module);
      const source = layer.params.length ? acc : slot?.gotGrad ? slot.grad : acc;
      const stats: LayerStepStats = {
        name: layer.name,
        kind: layer.kind,
        gradSource: layer.params.length ? "parameters" : "output",
        gradNorm: source.norm,
        gradRms: source.rms,
        gradMeanAbs: source.meanAbs,
        gradMaxAbs: source.maxAbs,
        weightNorm: Math.sqrt(wSq),
        updateRatio: 0,
        zeroFraction: source.zeroFraction,
        histogram: source.histogram(this.edges),
      };
      if (params.length) stats.params = params;
      if (slot) {
        stats.activation = { mean: slot.mean, std: slot.std };
        if (slot.deadFraction !== undefined) stats.activation.deadFraction = slot.deadFraction;
        if (slot.saturatedFraction !== undefined) stats.activation.saturatedFraction = slot.saturatedFraction;
      }
      out.push(stats);
    });
    void ctx;
    return out;
  }

  private collectUpdates(ctx: AfterStepContext, stats: LayerStepStats[]): void {
    if (!ctx.previous) return;
    const prev = ctx.previous;
    this.layers.forEach((layer, li) => {
      if (!layer.params.length) return;
      let dSq = 0, wSq = 0;
      layer.params.forEach((p, pi) => {
        if (p.index < 0) return;
        const d = sumSquaredDiff(p.tensor.data, prev[p.index]);
        const w = this.weightSq[p.index];
        dSq += d;
        wSq += w;
        const entry = stats[li].params?.[pi];
        if (entry) entry.updateRatio = w > 0 ? Math.sqrt(d / w) : d > 0 ? Infinity : 0;
      });
      stats[li].updateRatio = wSq > 0 ? Math.sqrt(dSq / wSq) : dSq > 0 ? Infinity : 0;
    });
  }
}
