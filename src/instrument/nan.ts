/**
 * NaN/Inf origin tracking through the one instrumentation surface, `addOpObserver` (tfjs-core's
 * `checkComputationForErrors` per kernel is the model). The origin is the first op, forward or
 * backward, whose output holds a NaN or ±Inf while all of its inputs were finite: the exp that
 * overflowed, not the loss that merely inherited the NaN. PyTorch's `detect_anomaly` only covers NaN
 * in backward; this covers Inf too and the forward pass.
 */
import { addOpObserver, type FloatArray, type Tensor } from "../engine";
import { addLoopObserver } from "../train/loop";
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
 * Watches every op until the first NaN/Inf origin, and every optimizer step of a training loop (an
 * optimizer updates parameters in place, outside the graph: Adam with eps 0 divides 0 by 0 where a
 * gradient is exactly 0). Cost: one pass over each op's output in forward and over each input's
 * gradient buffer in backward, one pass over the parameters after each optimizer step; inputs are
 * scanned only once an output is non-finite.
 */
export class NanTracker {
  origin: NanOrigin | null = null;
  step = 0;
  private remove: (() => void) | null = null;
  private removeLoop: (() => void) | null = null;
  /** Parameters already non-finite when training started: not the optimizer's doing. */
  private readonly bornBad = new Set<Tensor>();

  start(): this {
    this.removeLoop = addLoopObserver({
      onStart: ({ params }) => {
        this.bornBad.clear();
        for (const [, p] of params) if (!allFinite(p.data)) this.bornBad.add(p);
      },
      afterUpdate: (ctx) => {
        if (this.origin) return;
        for (const [name, p] of ctx.params) {
          if (allFinite(p.data) || this.bornBad.has(p)) continue;
          const g = p._g;
          const bad = firstNonFinite(p.data);
          const dot = name.lastIndexOf(".");
          this.origin = {
            op: `${ctx.optimizer.constructor?.name || "Optimizer"}.step`,
            layer: dot > 0 ? name.slice(0, dot) : null,
            parameter: name,
            step: ctx.step,
            phase: "update",
            value: bad.value,
            nonFiniteCount: bad.count,
            outputShape: [...p.shape],
            inputShapes: [[...p.shape]],
            inputRanges: [g ? range(g) : { min: 0, max: 0 }],
          };
          return;
        }
      },
    });
    this.remove = addOpObserver({
      forward: (e) => {
        if (this.origin || allFinite(e.output.data)) return;
        // Inputs already non-finite: the NaN came from upstream, which was reported (or predates tracking).
        if (!e.inputs.every((t) => allFinite(t.data))) return;
        this.found("forward", e.op, e.scope, e.inputs, e.output.data, e.output.shape);
      },
      backward: (e) => {
        if (this.origin) return;
        if (!allFinite(e.outputGrad)) return;
        for (const t of e.inputs) {
          const g = t._g;
          if (!t.requiresGrad || !g || allFinite(g)) continue;
          // A finite incoming gradient through finite forward values produced a non-finite input gradient
          // (e.g. sqrt's 0.5/y at y = 0, log's 1/x at x = 0).
          if (!e.inputs.every((x) => allFinite(x.data)) || !allFinite(e.output.data)) return;
          this.found("backward", e.op, e.scope, e.inputs, g, t.shape, range(e.outputGrad));
          return;
        }
      },
    });
    return this;
  }

  stop(): void {
    this.remove?.();
    this.remove = null;
    this.removeLoop?.();
    this.removeLoop = null;
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
