/**
 * The tensor and the tape. A tensor produced by an op while gradients are enabled remembers the op
 * (a `GraphNode`): its name, its inputs, the layer that was active, and the closure that pushes the
 * output's gradient back into the inputs with `+=`. `backward()` sorts the graph once and walks it in
 * reverse, so a node reached along many paths is visited once, with the sum of all paths in its gradient.
 */
import type { FloatArray } from "./kernels";
import { listening, report } from "./observer";
import { formatShape, sizeOf, type Shape } from "./shape";

export type DType = "float32" | "float64";

/** What the tape keeps for one op application. */
export interface GraphNode {
  /** The op's registered name, e.g. "matmul". */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** The module path active when the op ran (e.g. "layers.3"), or null outside any module. */
  readonly scope: string | null;
  /** Pushes `grad` (the output's gradient, complete) into the inputs' gradient buffers with `+=`. */
  backward: ((grad: FloatArray) => void) | null;
}

/** A gradient hook: sees a tensor's complete gradient during backward and may return a replacement. */
export type GradHook = (grad: Tensor) => Tensor | void;

let nextId = 1;

export class Tensor {
  readonly id = nextId++;
  readonly data: FloatArray;
  readonly shape: Shape;
  requiresGrad: boolean;
  /** An optional name (parameters are named by their module, e.g. "layers.0.weight"). */
  name: string | undefined;
  /** @internal the op that produced this tensor, while its graph is alive. */
  _node: GraphNode | null = null;
  /** @internal gradient buffer, same dtype and size as `data`. */
  _g: FloatArray | null = null;
  /** @internal */
  _hooks: GradHook[] | null = null;
  /** @internal keep the gradient of a non-leaf after backward. */
  _retainGrad = false;
  private gradView: Tensor | null = null;

  constructor(data: FloatArray, shape: Shape, requiresGrad = false) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: data of length ${data.length} does not match shape ${formatShape(shape)} (size ${sizeOf(shape)})`);
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: invalid shape ${formatShape(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
  }

  /**
   * @internal Replaces the storage with `data` (same length; e.g. a float64 copy while a gradient check
   * runs) and returns the previous array, so the caller can put it back.
   */
  _swapStorage(data: FloatArray): FloatArray {
    if (data.length !== this.data.length) throw new Error(`Tensor._swapStorage: length ${data.length} for a tensor of size ${this.data.length}`);
    const previous = this.data;
    (this as { data: FloatArray }).data = data;
    return previous;
  }

  get dtype(): DType {
    return this.data instanceof Float32Array ? "float32" : "float64";
  }
  get size(): number {
    return this.data.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** True for tensors created by the user (parameters, inputs), false for op results. */
  get isLeaf(): boolean {
    return this._node === null;
  }
  /** The op that produced this tensor, if its graph is alive. */
  get op(): string | null {
    return this._node?.op ?? null;
  }

  /** The accumulated gradient (a tensor of the same shape), or null if none reached this tensor. */
  get grad(): Tensor | null {
    if (!this._g) return null;
    if (!this.gradView || this.gradView.data !== this._g) this.gradView = new Tensor(this._g, this.shape);
    return this.gradView;
  }
  set grad(g: Tensor | null) {
    if (g === null) {
      this._g = null;
      this.gradView = null;
      return;
    }
    if (g.size !== this.size || g.ndim !== this.ndim || g.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`grad: shape ${formatShape(g.shape)} does not match ${formatShape(this.shape)}`);
    }
    // A copy in this tensor's dtype: later backward passes accumulate into it and must not write into g.
    const own = this.data instanceof Float32Array ? new Float32Array(this.size) : new Float64Array(this.size);
    own.set(g.data);
    this._g = own;
    this.gradView = null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${formatShape(this.shape)} has ${this.size} elements, not 1`);
    return this.data[0];
  }

  /** The values as nested arrays (a number for a scalar). */
  toArray(): unknown {
    const build = (axis: number, offset: number): unknown => {
      if (axis === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(axis + 1));
      const out: unknown[] = [];
      for (let i = 0; i < this.shape[axis]; i++) out.push(build(axis + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** Clears the gradient. */
  zeroGrad(): void {
    this._g = null;
    this.gradView = null;
  }

  /** A tensor sharing this data, cut from the graph (no gradient flows through it). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** Registers a hook that sees this tensor's gradient during backward; returns a function that removes it. */
  registerHook(hook: GradHook): () => void {
    (this._hooks ??= []).push(hook);
    return () => {
      const i = this._hooks?.indexOf(hook) ?? -1;
      if (i >= 0) this._hooks!.splice(i, 1);
    };
  }

  /** Keeps this (non-leaf) tensor's gradient after backward, like PyTorch's `retain_grad()`. */
  retainGrad(): this {
    this._retainGrad = true;
    return this;
  }

  /**
   * Reverse-mode differentiation from this tensor. A scalar is seeded with 1; otherwise pass the
   * upstream gradient (same shape). Gradients accumulate into `.grad` of every leaf that requires them.
   */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    runBackward(this, gradient, options.retainGraph ?? false);
  }

  toString(): string {
    const head = `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ", requiresGrad" : ""})`;
    return this.size <= 64 ? `${head} ${JSON.stringify(this.toArray())}` : head;
  }
}

// ---- grad mode and layer scopes -------------------------------------------------------------------

let gradEnabled = true;

/** Runs `fn` without recording ops (no graph, no gradients), like `torch.no_grad()`. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

const scopeStack: string[] = [];

/** Runs `fn` with `name` as the active layer, so every op inside records it (nn's Module does this). */
export function withScope<T>(name: string, fn: () => T): T {
  scopeStack.push(name);
  try {
    return fn();
  } finally {
    scopeStack.pop();
  }
}

export function currentScope(): string | null {
  return scopeStack.length ? scopeStack[scopeStack.length - 1] : null;
}

/** @internal The buffer that accumulates `t`'s gradient, created as zeros on first use. */
export function gradBuffer(t: Tensor): FloatArray {
  if (!t._g) t._g = t.data instanceof Float32Array ? new Float32Array(t.size) : new Float64Array(t.size);
  return t._g;
}

/**
 * Every op ends here: wraps its result in a tensor and, if any input requires a gradient and grad mode
 * is on, attaches the node with the op's backward rule.
 */
export function makeResult(
  op: string,
  data: FloatArray,
  shape: Shape,
  inputs: readonly Tensor[],
  backward: ((grad: FloatArray) => void) | null,
): Tensor {
  const out = new Tensor(data, shape);
  const scope = currentScope();
  if (gradEnabled && backward && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out._node = { op, inputs, scope, backward };
  }
  if (listening("forward")) report.forward({ op, scope, inputs, output: out });
  return out;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<number>();
  // Iterative post-order DFS: deep graphs (long unrolled loops) must not overflow the call stack.
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root.id);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t._node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child.requiresGrad && !visited.has(child.id)) {
        visited.add(child.id);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Like micrograd's `backward()`: sort the graph, seed the root, walk it in reverse. Each pass computes
 * its own gradients from zero, so hooks see only this pass's gradient (as in PyTorch) and a retained
 * non-leaf pushes only this pass's share into its inputs; what earlier passes left in `.grad` is set
 * aside and added back once this pass's share is final.
 */
function runBackward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  checkBackwardStart(root, gradient);
  const order = topoOrder(root);
  const earlier = setAsideEarlierGrads(order);
  try {
    seed(root, gradient);
    for (let n = order.length - 1; n >= 0; n--) backwardThrough(order[n], earlier, retainGraph);
  } finally {
    // On an exception (a hook or a custom rule threw), gradients from earlier passes are not lost.
    for (const [t, prior] of earlier) t._g = prior;
  }
}

function checkBackwardStart(root: Tensor, gradient: Tensor | undefined): void {
  if (!root.requiresGrad) {
    throw new Error("backward: this tensor does not require a gradient (no input of its graph has requiresGrad, or it was built under noGrad)");
  }
  if (!gradient && root.size !== 1) {
    throw new Error(`backward: an upstream gradient is required for a non-scalar tensor of shape ${formatShape(root.shape)}`);
  }
  if (gradient && gradient.size !== root.size) {
    throw new Error(`backward: gradient of shape ${formatShape(gradient.shape)} does not match the tensor's shape ${formatShape(root.shape)}`);
  }
}

/** Takes the gradients earlier passes left on the graph's tensors, so this pass starts from zero. */
function setAsideEarlierGrads(order: readonly Tensor[]): Map<Tensor, FloatArray> {
  const earlier = new Map<Tensor, FloatArray>();
  for (const t of order) {
    if (t._g) {
      earlier.set(t, t._g);
      t._g = null;
    }
  }
  return earlier;
}

/** ∂root/∂root: 1 for a scalar, else the caller's upstream gradient. */
function seed(root: Tensor, gradient: Tensor | undefined): void {
  const g = gradBuffer(root);
  if (gradient) for (let i = 0; i < g.length; i++) g[i] += gradient.data[i];
  else g[0] += 1;
}

/** One node of the reverse pass: its gradient is complete; run the hooks, push it into the inputs, settle `.grad`. */
function backwardThrough(t: Tensor, earlier: Map<Tensor, FloatArray>, retainGraph: boolean): void {
  const prior = earlier.get(t);
  if (!t._g) {
    // No gradient reached it in this pass: what earlier passes left stays.
    if (prior) t._g = prior;
    earlier.delete(t);
    return;
  }
  const g = t._hooks ? runHooks(t, t._hooks, t._g) : t._g;
  const node = t._node;
  if (node) pushIntoInputs(t, node, g, retainGraph);
  if (node && !t._retainGrad) t._g = null; // an intermediate's gradient is not kept
  else if (prior) for (let i = 0; i < prior.length; i++) g[i] += prior[i];
  earlier.delete(t);
}

/** Gradient hooks in registration order, each seeing the previous one's replacement; returns the final gradient. */
function runHooks(t: Tensor, hooks: readonly GradHook[], g: FloatArray): FloatArray {
  for (const hook of hooks) {
    const replaced = hook(new Tensor(g, t.shape));
    if (!replaced) continue;
    if (replaced.size !== t.size) throw new Error(`gradient hook returned shape ${formatShape(replaced.shape)} for a tensor of shape ${formatShape(t.shape)}`);
    g = t._g = replaced.data.slice();
  }
  return g;
}

/** Runs the op's backward rule, reports it, and (unless the graph is retained) frees the node's closure and links. */
function pushIntoInputs(t: Tensor, node: GraphNode, g: FloatArray, retainGraph: boolean): void {
  if (!node.backward) {
    throw new Error(`backward: the graph through "${node.op}" was already freed; pass { retainGraph: true } to the first backward to run it twice`);
  }
  node.backward(g);
  if (listening("backward")) report.backward({ op: node.op, scope: node.scope, inputs: node.inputs, output: t, outputGrad: g });
  // Freeing the closure and the input links lets the activations be collected even while the caller
  // still holds the loss tensor.
  if (!retainGraph) t._node = { op: node.op, scope: node.scope, inputs: [], backward: null };
}
