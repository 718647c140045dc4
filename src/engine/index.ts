/** The engine: tensors, the tape, ops with their backward rules, kernels and the seeded generator. */
import "./ops/methods";

export { Tensor, noGrad, isGradEnabled, withScope, currentScope, type DType, type GraphNode, type GradHook } from "./tensor";
export {
  observe, listening, report, addOpObserver,
  type Observer, type OpEvent, type BackwardEvent, type ModuleEvent, type ObservedModule, type StepEvent, type UpdateEvent, type OpObserver,
  type TapSeriesInfo, type TapEvent, type TapGradientEvent, type AttentionEvent,
} from "./observer";
export { tensor, zeros, ones, full, randn, rand, arange, type TensorOptions } from "./create";
export { kernels, setKernels, jsKernels, type Kernels, type FloatArray } from "./kernels";
export { Random, globalRandom, manualSeed, type RandomState } from "./random";
export { broadcastShapes, sizeOf, formatShape, type Shape } from "./shape";
export { listOps, getOp, type OpInfo, type OpKind } from "./ops/registry";
export { defineOp, type CustomOpSpec } from "./ops/custom";
export * as ops from "./ops/all";
export { tap, tapSeries } from "./ops/tap";
export { setLocationCapture, captureLocation } from "./location";
