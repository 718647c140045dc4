/**
 * Setting a check up and undoing it: what is differentiated (a module's parameters on one batch, or a
 * function's inputs), in which modes (Dropout off, BatchNorm in training mode), on float64 copies of
 * float32 storage, and how everything is restored bit for bit afterwards.
 */
import { globalRandom, ops, Random, Tensor, type FloatArray } from "../../engine";
import type { Module } from "../../nn";
import type { Loss } from "../../nn/losses";
import type { Dataset } from "../../data";
import type { GradcheckDirection, GradcheckEntry, GradcheckLayer, GradcheckStatus, GradcheckTensor, SourceLocation } from "../../report";
import { buildRun } from "../../train/loop";
import { isModelSpec, type ModelSpec } from "../../train/spec";
import type { GradcheckMode, GradcheckOptions } from "../types";

export type { GradcheckStatus } from "../../report";

/** The report's entry and direction types carry every detail a check records (all optional in the schema). */
export type GradcheckEntryDetail = GradcheckEntry;
export type GradcheckDirectionDetail = GradcheckDirection;
/** A per-tensor summary, always with its verdict. */
export type GradcheckTensorSummary = GradcheckTensor & { status: GradcheckStatus };
export type GradcheckLayerDetail = GradcheckLayer & { status: GradcheckStatus; tensors: GradcheckTensorSummary[] };

/** PyTorch gradcheck's defaults (torch.autograd.gradcheck: eps 1e-6, atol 1e-5, rtol 1e-3). */
export const GRADCHECK_DEFAULTS = { mode: "sampled" as GradcheckMode, eps: 1e-6, atol: 1e-5, rtol: 1e-3, samples: 10, directions: 1, seed: 0, worst: 5 };
/** Rows of the batch used when checking a ModelSpec (a check costs two forwards per entry). */
export const GRADCHECK_BATCH = 16;
export const TINY = 1e-300;

/** A module, its loss and one batch. */
export interface ModuleTarget {
  module: Module;
  loss: Loss;
  batch: Pick<Dataset, "x" | "y">;
}

/** A plain function of tensors; with a non-scalar result the check contracts it with a fixed random vector v. */
export type FunctionTarget = (...inputs: Tensor[]) => Tensor;

export type GradcheckTarget = ModelSpec | ModuleTarget | FunctionTarget;

export interface CheckGradientsOptions extends GradcheckOptions {
  /** The tensors a function target is differentiated with respect to (required for functions). */
  inputs?: Tensor[];
}

export interface Checked {
  name: string;
  layer: string;
  tensor: Tensor;
}

/** A prepared problem: what to differentiate, how to evaluate, how to undo the setup. */
export interface Problem {
  tensors: Checked[];
  /** Builds the scalar (with a graph when grad mode is on). */
  evaluate(): Tensor;
  locations: Map<string, SourceLocation>;
  notes: string[];
  restore(): void;
}

// ---- setup ------------------------------------------------------------------------------------------

/** Swaps float32 storage for float64 copies; returns the undo. */
export function toFloat64(tensors: readonly Tensor[]): () => void {
  const swapped: Array<[Tensor, FloatArray]> = [];
  for (const t of tensors) {
    if (t.data instanceof Float32Array) {
      swapped.push([t, t._swapStorage(Float64Array.from(t.data))]);
    }
  }
  return () => {
    for (const [t, d] of swapped) t._swapStorage(d);
  };
}

export function moduleProblem(module: Module, loss: Loss, batch: Pick<Dataset, "x" | "y">, extra?: (m: Module) => Tensor): Problem {
  const named = module.namedModules();
  const notes: string[] = [];
  const flags = named.map(([, m]) => m.training);
  module.eval();
  let batchNorm = false;
  for (const [, m] of named) {
    if (/BatchNorm/.test(m.kind)) {
      m.training = true;
      batchNorm = true;
    }
  }
  notes.push("Dropout and other train-only randomness off (eval mode)");
  if (batchNorm) notes.push("BatchNorm in training mode: the batch statistics are differentiated as in a training step; running statistics restored afterwards");
  const buffers = (module as { namedBuffers?: () => Array<[string, Tensor]> }).namedBuffers?.() ?? [];
  const bufferCopies = buffers.map(([, b]) => b.data.slice());
  const params = module.namedParameters();
  const locations = new Map<string, SourceLocation>();
  for (const [path, m] of named) if (m.location) locations.set(path || "model", m.location);
  const x = batch.x.detach();
  const y = batch.y.detach();
  const cast = [...params.map(([, p]) => p), ...buffers.map(([, b]) => b), x, y];
  // Read the dtypes before toFloat64 swaps float32 storage for float64 copies.
  const hadFloat32 = cast.some((t) => t.data instanceof Float32Array);
  const undoCast = toFloat64(cast);
  if (hadFloat32) notes.push("float32 tensors checked on float64 copies");
  return {
    tensors: params.map(([name, t]) => ({ name, tensor: t, layer: name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : "model" })),
    evaluate: () => {
      const out = loss(module.call(x), y);
      return extra ? ops.add(out, extra(module)) : out;
    },
    locations,
    notes,
    restore: () => {
      undoCast();
      buffers.forEach(([, b], i) => b.data.set(bufferCopies[i]));
      named.forEach(([, m], i) => (m.training = flags[i]));
    },
  };
}

export function prepare(target: GradcheckTarget, options: CheckGradientsOptions, seed: number): Problem {
  if (typeof target === "function") {
    const inputs = options.inputs;
    if (!inputs?.length) throw new Error("checkGradients: a function target needs options.inputs (the tensors to differentiate)");
    const flags = inputs.map((t) => t.requiresGrad);
    for (const t of inputs) t.requiresGrad = true;
    const hadFloat32 = inputs.some((t) => t.data instanceof Float32Array);
    const undoCast = toFloat64(inputs);
    let v: Float64Array | null = null;
    return {
      tensors: inputs.map((t, i) => ({ name: t.name ?? `input${i}`, layer: t.name ?? `input${i}`, tensor: t })),
      evaluate: () => {
        const out = target(...inputs);
        if (out.size === 1) return out.reshape([]);
        // vᵀ f: a fixed random contraction so every output entry is checked (PyTorch's fast mode uses v the same way).
        if (!v || v.length !== out.size) {
          const r = new Random(seed ^ 0x7f4a7c15);
          v = new Float64Array(out.size);
          for (let i = 0; i < v.length; i++) v[i] = r.normal();
        }
        return ops.sum(ops.mul(out, new Tensor(v, out.shape)));
      },
      locations: new Map(),
      notes: hadFloat32 ? ["float32 tensors checked on float64 copies"] : [],
      restore: () => {
        undoCast();
        inputs.forEach((t, i) => (t.requiresGrad = flags[i]));
      },
    };
  }
  if (isModelSpec(target) || (typeof target === "object" && "model" in target && typeof target.model === "function")) {
    const spec = target as ModelSpec;
    const saved = globalRandom.saveState();
    const { model, train } = buildRun(spec);
    globalRandom.restoreState(saved);
    const n = train.x.shape[0];
    // An explicit batch size (inspect passes the run's, so a model that reshapes to a fixed batch works)
    // is capped by the data only; the default 16 is also capped by the spec's batch size.
    const rows = Math.max(1, Math.min(options.batchSize ?? Math.min(GRADCHECK_BATCH, spec.batchSize ?? n), n));
    // Rows drawn at random (seeded), not the first ones: synthetic sets often start with a degenerate row
    // (spirals' first point is the origin, where every ReLU input of a zero-bias net sits on its kink).
    const picked = pickRows(n, rows, seed);
    const batch = { x: takeRows(train.x.detach(), picked), y: takeRows(train.y.detach(), picked) };
    const p = moduleProblem(model, spec.loss, batch, spec.regularizer);
    p.notes.push(rows === n ? `all ${n} training rows, no shuffling or augmentation` : `${rows} of ${n} training rows drawn at random (seed ${seed}), no augmentation`);
    return p;
  }
  const t = target as ModuleTarget;
  return moduleProblem(t.module, t.loss, t.batch);
}

/** `k` distinct row indices out of `n`, seeded, in increasing order. */
export function pickRows(n: number, k: number, seed: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const rng = new Random(seed ^ 0x5bd1e995);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let j = 0; j < k; j++) {
    const r = j + rng.int(n - j);
    const tmp = pool[j];
    pool[j] = pool[r];
    pool[r] = tmp;
  }
  return Array.from(pool.subarray(0, k)).sort((a, b) => a - b);
}

/** The rows `idx` of `t` (first axis), same dtype. */
export function takeRows(t: Tensor, idx: readonly number[]): Tensor {
  const n = t.shape[0];
  const row = n ? t.size / n : 0;
  const out = new (t.data.constructor as { new (len: number): FloatArray })(idx.length * row);
  idx.forEach((r, i) => out.set(t.data.subarray(r * row, (r + 1) * row), i * row));
  return new Tensor(out, [idx.length, ...t.shape.slice(1)]);
}

