/**
 * NaN/Inf origin tracking as an `Observer` of ops and optimizer updates (tfjs-core's
 * `checkComputationForErrors` per kernel is the model). The origin is the first op, forward or
 * backward, whose output holds a NaN or ±Inf while all of its inputs were finite: the exp that
 * overflowed, not the loss that merely inherited the NaN. PyTorch's `detect_anomaly` only covers NaN
 * in backward; this covers Inf too and the forward pass.
 */
import { observe, type BackwardEvent, type FloatArray, type Observer, type OpEvent, type StepEvent, type Tensor, type UpdateEvent } from "../engine";
import { allFinite, range } from "./stats";

export interface NanOrigin {
  /** The op; for phase "update", "<Optimizer class>.step" (e.g. "Adam.step"). */
  op: string;
  /** Module path active when the op ran (phase "update": the module owning the parameter). */
  layer: string | null;
  step: number;
  /**
   * forward/backward: an op of the graph; update: the optimizer step turned a finite parameter
   * non-finite (its inputs are the parameter's gradient: `inputRanges[0]` is the gradient's range).
   */
  phase: "forward" | "backward" | "update";
  /** Phase "update": the parameter that became non-finite ("layers.0.bias"). */
  parameter?: string;
  /** What appeared: NaN, +Inf or −Inf (the first non-finite value found). */
  value: "NaN" | "Infinity" | "-Infinity";
  /** Non-finite entries in the op's output (its input gradients in backward). */
  nonFiniteCount: number;
  outputShape: number[];
  inputShapes: number[][];
  /** Value range of each input; in backward, the range of the incoming gradient is `outputGradRange`. */
  inputRanges: Array<{ min: number; max: number }>;
  outputGradRange?: { min: number; max: number };
}

function firstNonFinite(x: FloatArray): { value: NanOrigin["value"]; count: number } {
  let count = 0;
  let value: NanOrigin["value"] | null = null;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v - v !== 0) {
      count++;
      value ??= v !== v ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
    }
  }
  return { value: value ?? "NaN", count };
}

/**
 * Watches every op until the first NaN/Inf origin, and every optimizer update (an optimizer updates
 * parameters in place, outside the graph: Adam with eps 0 divides 0 by 0 where a gradient is exactly 0).
 * Cost: one pass over each op's output in forward and over each input's gradient buffer in backward;
 * updates cost nothing extra (their ‖Δw‖² is non-finite exactly when a finite weight went non-finite);
 * inputs are scanned only once an output is non-finite. Attach it with `start()` (or `observe(tracker)`).
 */
export class NanTracker implements Observer {
  origin: NanOrigin | null = null;
  /** The training step in progress (the loop's `beforeStep` sets it). */
  step = 0;
  private detach: (() => void) | null = null;

  start(): this {
    this.detach ??= observe(this);
    return this;
  }

  stop(): void {
    this.detach?.();
    this.detach = null;
  }

  beforeStep(ctx: StepEvent): void {
    this.step = ctx.step;
  }

  forward(e: OpEvent): void {
    if (this.origin || allFinite(e.output.data)) return;
    // Inputs already non-finite: the NaN came from upstream, which was reported (or predates tracking).
    if (!e.inputs.every((t) => allFinite(t.data))) return;
    this.found("forward", e.op, e.scope, e.inputs, e.output.data, e.output.shape);
  }

  backward(e: BackwardEvent): void {
    if (this.origin) return;
    for (const t of e.inputs) {
      const g = t._g;
      if (!t.requiresGrad || !g || allFinite(g)) continue;
      // The origin only if a finite incoming gradient through finite forward values produced it (e.g.
      // sqrt's 0.5/y at y = 0, log's 1/x at x = 0). Checked here, on the rare path: the incoming
      // gradient was itself checked when the ops that produced it ran.
      if (!allFinite(e.outputGrad) || !e.inputs.every((x) => allFinite(x.data)) || !allFinite(e.output.data)) return;
      this.found("backward", e.op, e.scope, e.inputs, g, t.shape, range(e.outputGrad));
      return;
    }
  }

  update(e: UpdateEvent): void {
    // A finite weight (finite ‖w‖²) that moved by a non-finite amount went non-finite; a weight that was
    // non-finite before is not this update's doing. (‖Δw‖² can also overflow on finite values: checked.)
    if (this.origin || Number.isFinite(e.updateSq) || !Number.isFinite(e.weightSq) || allFinite(e.param.data)) return;
    const p = e.param;
    const bad = firstNonFinite(p.data);
    const name = p.name ?? null;
    const dot = name ? name.lastIndexOf(".") : -1;
    this.origin = {
      op: `${e.optimizer.constructor?.name || "Optimizer"}.step`,
      layer: name && dot > 0 ? name.slice(0, dot) : null,
      ...(name ? { parameter: name } : {}),
      step: this.step,
      phase: "update",
      value: bad.value,
      nonFiniteCount: bad.count,
      outputShape: [...p.shape],
      inputShapes: [[...p.shape]],
      inputRanges: [range(e.grad)],
    };
  }
  private found(
    phase: NanOrigin["phase"], op: string, scope: string | null, inputs: readonly Tensor[], out: FloatArray,
    outShape: readonly number[], outputGradRange?: { min: number; max: number },
  ): void {
    const bad = firstNonFinite(out);
    this.origin = {
      op, layer: scope, step: this.step, phase, value: bad.value, nonFiniteCount: bad.count,
      outputShape: [...outShape],
      inputShapes: inputs.map((t) => [...t.shape]),
      inputRanges: inputs.map((t) => range(t.data)),
      ...(outputGradRange ? { outputGradRange } : {}),
    };
  }
}
