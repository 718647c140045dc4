/**
 * `tap(x, name)`: the identity, except that while a recording sink is installed the gradient reaching x
 * is measured (its Frobenius norm) and handed to the sink under `name`, like PyTorch's `retain_grad()`
 * without keeping the tensor. A tap called several times in one step (inside a loop over time) records
 * one entry per call in forward order: the series "h" is h[0], h[1], …
 *
 * The sink is installed by the recorder for the forward and backward pass of a recorded step only. With
 * no sink (or no gradient to measure) `tap` returns x itself: no node, no copy, nothing on the tape.
 * The same slot carries attention statistics (`MultiheadAttention` hands it each head's entropy), so
 * `nn` can report what only it sees without importing the debugger, which sits above it.
 */
import type { SourceLocation } from "../../report";
import { kernels } from "../kernels";
import { captureLocation } from "../location";
import { currentScope, gradBuffer, isGradEnabled, makeResult, type Tensor } from "../tensor";
import { registerOp } from "./registry";

/** What a series is: a recurrent layer's hidden state, or a user's tap. */
export interface TapSeriesInfo {
  kind: "recurrent" | "tap";
  /** The module path the series belongs to (the recurrent layer; for a user's tap, the layer active when it ran). */
  layer?: string;
  /**
   * Where a user's `tap()` was called in their source. A function because a stack costs time to capture:
   * the sink calls it at most once per series, inside `opened` (while the tap's caller is on the stack).
   */
  callSite?: () => SourceLocation | undefined;
}

/** Receives what taps and attention layers measure during a recorded step (the recorder implements it). */
export interface TapSink {
  /** A tap ran forward: returns the entry its gradient will be reported under. */
  opened(name: string, info: TapSeriesInfo): number;
  /** The gradient reached entry `entry`; `sumSquares` is Σ g² over all its elements (batch and features). */
  reached(entry: number, sumSquares: number): void;
  /**
   * One attention call's per-head entropies, each the mean over `rows` (batch × queries) of −Σ p log p in
   * nats; `uniformEntropy` is the same mean for uniform attention over the keys each query may see.
   */
  attention?(layer: string, entropy: Float64Array, uniformEntropy: number, rows: number): void;
}

let sink: TapSink | null = null;

/** Installs `next` as the recording sink (null: none) and returns the previous one. */
export function setTapSink(next: TapSink | null): TapSink | null {
  const prev = sink;
  sink = next;
  return prev;
}

/** The installed sink, or null when nothing records (callers skip their measuring then). */
export function tapSink(): TapSink | null {
  return sink;
}

export const TAP = registerOp({ name: "tap", kind: "layout", differentiable: true, kinks: null, nonFinite: null });

/**
 * Records the gradient reaching `x` under `name` (one entry per call in forward order) and returns x
 * unchanged. Backward passes the gradient through untouched and reports ‖g‖² to the sink that was
 * installed when the tap ran forward. The series is located at the line of its first `tap()` call (when
 * the runner captures locations), so what the debugger says about it points there.
 */
export function tap(x: Tensor, name: string): Tensor {
  return tapSeries(x, name, { kind: "tap", layer: currentScope() ?? undefined, callSite: captureLocation });
}

/** `tap` with the series' kind and layer given (recurrent layers tap their hidden state through it). */
export function tapSeries(x: Tensor, name: string, info: TapSeriesInfo): Tensor {
  const s = sink;
  if (!s || !x.requiresGrad || !isGradEnabled()) return x;
  const entry = s.opened(name, info);
  return makeResult(TAP, x.data, x.shape, [x], (g) => {
    kernels.accumulate(gradBuffer(x), g);
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    s.reached(entry, sq);
  });
}
