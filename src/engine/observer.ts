/**
 * The one instrumentation surface. The engine (every op, forward and backward; taps), modules (after
 * their forward; attention layers' head entropies), the training loop (around each step) and optimizers
 * (each tensor's update) report here;
 * the recorder, the NaN tracker and any later instrument implement `Observer` and attach as a set.
 * Nothing else hooks into training, and no op, layer, loop or optimizer contains an instrument's code.
 *
 * It lives in the engine because ops report to it and the engine imports nothing above it; the layers
 * above report through the same functions. Their events are typed here by the little the engine can
 * name (a module is something with a path and a kind); the loop's step events are a type parameter, so
 * `train`'s observers see its full `StepContext`.
 */
import type { SourceLocation } from "../report";
import type { FloatArray } from "./kernels";
import type { Tensor } from "./tensor";

/** One op application, right after its forward. */
export interface OpEvent {
  readonly op: string;
  /** The module path active when the op ran ("layers.3"), or null outside any module. */
  readonly scope: string | null;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
}

/** One backward rule application: the rule has pushed `outputGrad` into its inputs' gradient buffers (`input._g`). */
export interface BackwardEvent extends OpEvent {
  readonly outputGrad: FloatArray;
}

/** What the engine knows of a module (nn's `Module` is one). */
export interface ObservedModule {
  /** "layers.0"; "model" for the root. */
  readonly path: string;
  /** The class name ("Linear", "ReLU"). */
  readonly kind: string;
}

/** A module's call returned `output` (after the events of every op inside it). */
export interface ModuleEvent {
  readonly module: ObservedModule;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
}

/** What every training-loop event carries (train's `StepContext` carries more). */
export interface StepEvent {
  /** 0-based step index. */
  readonly step: number;
  /** The model's parameters by name, in `namedParameters()` order. */
  readonly params: ReadonlyArray<readonly [string, Tensor]>;
}

/**
 * An optimizer updated one parameter tensor in place. The sums come from the optimizer's own update
 * loop (no copy of the weights, no second pass), measured only while some observer listens to updates.
 */
export interface UpdateEvent {
  /** The optimizer (its class names an update that went non-finite: "Adam.step"). */
  readonly optimizer: object;
  /** The updated tensor: `param.data` holds the new values. */
  readonly param: Tensor;
  /** The gradient the update read. */
  readonly grad: FloatArray;
  /** Σ(w_after − w_before)² over the stored values (float32 rounding included): ‖Δw‖². */
  readonly updateSq: number;
  /** Σ w_before²: ‖w‖² just before the update. */
  readonly weightSq: number;
}

/** What a tapped series is: a recurrent layer's hidden state, or a user's tap. */
export interface TapSeriesInfo {
  kind: "recurrent" | "tap";
  /** The module path the series belongs to (the recurrent layer; for a user's tap, the layer active when it ran). */
  layer?: string;
  /**
   * Where a user's `tap()` was called in their source. A function because a stack costs time to capture:
   * an observer calls it at most once per series, inside its `tap` event (while the caller is on the stack).
   */
  callSite?: () => SourceLocation | undefined;
}

/**
 * A tap ran forward (`tap(x, name)`, or a recurrent layer's hidden state at one time step). Sent only
 * while some observer listens to taps; each call of a tap is its own event, in forward order.
 */
export interface TapEvent {
  readonly name: string;
  readonly info: TapSeriesInfo;
}

/** The gradient reached a tap: `tap` is that call's forward event, `sumSquares` Σ g² over all its elements. */
export interface TapGradientEvent {
  readonly tap: TapEvent;
  readonly sumSquares: number;
}

/**
 * One attention call's per-head entropies, each the mean over `rows` (batch × queries) of −Σ p log p in
 * nats; `uniformEntropy` is the same mean for uniform attention over the keys each query may see.
 */
export interface AttentionEvent {
  readonly layer: string;
  readonly entropy: Float64Array;
  readonly uniformEntropy: number;
  readonly rows: number;
}

/**
 * An instrument. Every method is optional: an observer implements the events it needs, and an event
 * nobody listens to costs its producer one length test. Events of one training step arrive in this
 * order: beforeStep, forward (each op; module after a module's ops), afterBackward preceded by backward
 * (each op, in reverse), update (each parameter tensor), afterStep.
 */
export interface Observer<Step extends StepEvent = StepEvent> {
  /** An op ran (inside a training step or not, under `noGrad` too). */
  forward?(e: OpEvent): void;
  /** An op's backward rule ran. */
  backward?(e: BackwardEvent): void;
  /** A module's forward returned. */
  module?(e: ModuleEvent): void;
  /** The training loop is about to run a step's forward pass. */
  beforeStep?(step: Step): void;
  /** Backward is done: gradients are in `.grad`, the optimizer has not stepped. */
  afterBackward?(step: Step): void;
  /** An optimizer updated one parameter tensor (one call per tensor per step). */
  update?(e: UpdateEvent): void;
  /** A tap ran forward; listening makes every tap an op on the tape (without a listener it is free). */
  tap?(e: TapEvent): void;
  /** The gradient reached a tap's call. */
  tapGradient?(e: TapGradientEvent): void;
  /** An attention layer measured its heads' entropies (it measures only while someone listens). */
  attention?(e: AttentionEvent): void;
  /** The optimizer step is done: parameters hold their new values, gradients are still in `.grad`. */
  afterStep?(step: Step): void;
}

type EventName = keyof Observer;
const EVENTS: readonly EventName[] = ["forward", "backward", "module", "beforeStep", "afterBackward", "update", "afterStep", "tap", "tapGradient", "attention"];

const attached: Observer[] = [];
/** Per event, the attached observers that implement it (rebuilt on attach and detach, not per event). */
const listeners = Object.fromEntries(EVENTS.map((e) => [e, [] as Observer[]])) as Record<EventName, Observer[]>;

function rebuild(): void {
  for (const e of EVENTS) listeners[e] = attached.filter((o) => typeof o[e] === "function");
}

/**
 * Attaches `observers` as a set; returns the function that detaches that set. Events reach observers in
 * attach order. Observers attached by the training loop for one run detach when it ends.
 */
export function observe(...observers: Observer[]): () => void {
  attached.push(...observers);
  rebuild();
  let detached = false;
  return () => {
    if (detached) return;
    detached = true;
    for (const o of observers) {
      const i = attached.indexOf(o);
      if (i >= 0) attached.splice(i, 1);
    }
    rebuild();
  };
}

/** Whether an attached observer listens to `event` (producers test this before building an event). */
export function listening(event: EventName): boolean {
  return listeners[event].length > 0;
}

/** Reporting functions: each layer calls the one for its events. */
export const report = {
  forward(e: OpEvent): void {
    for (const o of listeners.forward) o.forward?.(e);
  },
  backward(e: BackwardEvent): void {
    for (const o of listeners.backward) o.backward?.(e);
  },
  module(e: ModuleEvent): void {
    for (const o of listeners.module) o.module?.(e);
  },
  beforeStep(step: StepEvent): void {
    for (const o of listeners.beforeStep) o.beforeStep?.(step);
  },
  afterBackward(step: StepEvent): void {
    for (const o of listeners.afterBackward) o.afterBackward?.(step);
  },
  update(e: UpdateEvent): void {
    for (const o of listeners.update) o.update?.(e);
  },
  afterStep(step: StepEvent): void {
    for (const o of listeners.afterStep) o.afterStep?.(step);
  },
  tap(e: TapEvent): void {
    for (const o of listeners.tap) o.tap?.(e);
  },
  tapGradient(e: TapGradientEvent): void {
    for (const o of listeners.tapGradient) o.tapGradient?.(e);
  },
  attention(e: AttentionEvent): void {
    for (const o of listeners.attention) o.attention?.(e);
  },
};

/** @deprecated An `Observer` implementing `forward` and `backward`; attach it with `observe`. */
export type OpObserver = Pick<Observer, "forward" | "backward">;

/** @deprecated Use `observe(observer)` (same behaviour: returns the detach function). */
export function addOpObserver(observer: OpObserver): () => void {
  return observe(observer);
}
