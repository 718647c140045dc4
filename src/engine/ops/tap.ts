/**
 * `tap(x, name)`: the identity, except that while an observer listens to taps (the recorder, on a
 * recorded step) the gradient reaching x is measured (its Frobenius norm) and reported under `name`,
 * like PyTorch's `retain_grad()` without keeping the tensor. A tap called several times in one step
 * (inside a loop over time) reports one event per call in forward order: the series "h" is h[0], h[1], …
 * With no listener (or no gradient to measure) `tap` returns x itself: no node, no copy, nothing on the
 * tape. Events go through the one instrumentation surface (../observer.ts).
 */
import { kernels } from "../kernels";
import { captureLocation } from "../location";
import { listening, report, type TapEvent, type TapSeriesInfo } from "../observer";
import { currentScope, gradBuffer, isGradEnabled, makeResult, type Tensor } from "../tensor";
import { registerOp } from "./registry";

export const TAP = registerOp({ name: "tap", kind: "layout", differentiable: true, kinks: null, nonFinite: null });

/**
 * Records the gradient reaching `x` under `name` (one entry per call in forward order) and returns x
 * unchanged. Backward passes the gradient through untouched and reports ‖g‖² with the call's forward
 * event. The series is located at the line of its first `tap()` call (when the runner captures
 * locations), so what the debugger says about it points there.
 */
export function tap(x: Tensor, name: string): Tensor {
  return tapSeries(x, name, { kind: "tap", layer: currentScope() ?? undefined, callSite: captureLocation });
}

/** `tap` with the series' kind and layer given (recurrent layers tap their hidden state through it). */
export function tapSeries(x: Tensor, name: string, info: TapSeriesInfo): Tensor {
  if (!listening("tap") || !x.requiresGrad || !isGradEnabled()) return x;
  const event: TapEvent = { name, info };
  report.tap(event);
  return makeResult(TAP, x.data, x.shape, [x], (g) => {
    kernels.accumulate(gradBuffer(x), g);
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    report.tapGradient({ tap: event, sumSquares: sq });
  });
}
