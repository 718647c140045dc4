/**
 * Module: named parameters and children, train/eval mode, and the layer scope every op records.
 * Names are paths ("layers.3.weight") assigned from the root, as in PyTorch's `named_parameters()`.
 */
import { captureLocation, listening, report, Tensor, withScope } from "../engine";
import type { SourceLocation } from "../report";

const LAYER = Symbol.for("gradient-lens.failed-layer");

/** The layer an error was thrown in (the innermost module whose forward threw), when a module's call threw it. */
export function layerOfError(e: unknown): { name: string; kind: string; location?: SourceLocation } | undefined {
  return typeof e === "object" && e !== null ? (e as { [LAYER]?: { name: string; kind: string; location?: SourceLocation } })[LAYER] : undefined;
}

/** Marks an error thrown by a module's forward with the innermost layer (the runner names the line that built it); the message is left as thrown. */
function blameLayer(e: unknown, module: Module): unknown {
  if (!(e instanceof Error) || layerOfError(e)) return e;
  Object.defineProperty(e, LAYER, { value: { name: module.path, kind: module.kind, location: module.location }, enumerable: false });
  return e;
}

export abstract class Module {
  /** True in training mode (dropout active, batch norm uses batch statistics). */
  training = true;
  /** Where this module was constructed in the user's source, when the runner captured it. */
  location: SourceLocation | undefined;
  /** @internal the module's path from the root, assigned by `namedModules()`. */
  _path = "";
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private readonly buffers = new Map<string, Tensor>();

  constructor() {
    this.location = captureLocation();
  }

  /** The class name ("Linear", "ReLU"): the layer kind shown in reports. */
  get kind(): string {
    return this.constructor.name;
  }

  /** The module's path ("layers.0"); "model" for the root. */
  get path(): string {
    return this._path || "model";
  }

  /** The computation. Call modules through `call()` (or the `Sequential` container) so ops record their layer. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** Runs `forward` with this module as the active layer scope and reports the call to observers (`module` event). */
  call(...inputs: Tensor[]): Tensor {
    let out: Tensor;
    try {
      out = withScope(this.path, () => this.forward(...inputs));
    } catch (e) {
      throw blameLayer(e, this);
    }
    if (listening("module")) report.module({ module: this, inputs, output: out });
    return out;
  }

  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.params.set(name, t);
    return t;
  }

  /**
   * Registers state that is not trained by the optimizer but belongs to the model (batch norm's running
   * statistics), as PyTorch's `register_buffer`: named with the module's path, never in `parameters()`.
   */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    t.requiresGrad = false;
    this.buffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /**
   * Registers what a subclass assigned to its own properties without calling `registerModule` /
   * `registerParameter` (`this.fc = new nn.Linear(…)`, `this.blocks = [a, b]`, `this.scale = tensor(…,
   * { requiresGrad: true })`), as PyTorch's `__setattr__` does. Without this such a layer would silently
   * be left out of training and of the gradient check.
   */
  private adoptAttributes(): void {
    const known = new Set<unknown>([...this.children.values(), ...this.params.values(), ...this.buffers.values()]);
    for (const [key, value] of Object.entries(this)) {
      if (known.has(value)) continue;
      if (value instanceof Module) {
        this.children.set(key, value);
      } else if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Module)) {
        value.forEach((m: Module, i) => {
          if (!known.has(m)) this.children.set(`${key}.${i}`, m);
        });
      } else if (value instanceof Tensor && value.requiresGrad && value.isLeaf) {
        this.params.set(key, value);
      }
    }
  }

  /** Parameters owned by this module itself (not its children), by local name. */
  ownParameters(): Array<[string, Tensor]> {
    return [...this.params];
  }

  /** Every submodule with its path, root first ("" for the root); also assigns paths and names parameters. */
  namedModules(prefix = ""): Array<[string, Module]> {
    this.adoptAttributes();
    this._path = prefix;
    for (const [local, p] of this.params) p.name = prefix ? `${prefix}.${local}` : local;
    for (const [local, b] of this.buffers) b.name = prefix ? `${prefix}.${local}` : local;
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.children) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  /** Every parameter with its full path, e.g. ["layers.0.weight", tensor]. */
  namedParameters(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    // A module used twice (weight tying) owns its parameters once: listed twice, an optimizer would
    // step them twice. PyTorch's named_parameters(remove_duplicate=True) does the same.
    const seen = new Set<Tensor>();
    for (const [path, m] of this.namedModules(this._path)) {
      for (const [local, p] of m.params) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path ? `${path}.${local}` : local, p]);
      }
    }
    return out;
  }

  /** Every buffer with its full path, e.g. ["layers.1.runningMean", tensor]. */
  namedBuffers(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [path, m] of this.namedModules(this._path)) {
      for (const [local, b] of m.buffers) out.push([path ? `${path}.${local}` : local, b]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Sets training mode on this module and every child. */
  train(mode = true): this {
    this.training = mode;
    for (const c of this.children.values()) c.train(mode);
    return this;
  }

  /** Evaluation mode: dropout off, batch norm uses running statistics. */
  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
}
