/**
 * The numeric gradient check: central differences in float64 against one backward pass, per entry
 * (`full`), on k seeded entries per tensor (`sampled`), or along random directions (`directional`,
 * PyTorch gradcheck's fast mode). Entries whose perturbation crosses a kink (a relu/abs input changing
 * sign, a max changing its argmax, a clamp changing region, or one-sided differences that disagree) are
 * flagged as kinks and judged against the one-sided differences (f(x+ε)−f(x))/ε and (f(x)−f(x−ε))/ε:
 * the analytic value must match one of them, or lie between them (a subgradient, e.g. abs'(0) = 0, which
 * is consistent but not verified). A tensor most of whose entries are unverified kinks, or with a
 * non-finite analytic or numeric gradient, is `inconclusive`, never `passed` nor `failed`.
 * When the check fails, every intermediate tensor of the graph is checked too, which names the op whose
 * backward rule is wrong and the layer it ran in.
 *
 * Setup, as a PyTorch user expects from `torch.autograd.gradcheck` on a module: Dropout off (eval
 * mode); BatchNorm kept in training mode, so the check differentiates the batch statistics exactly as a
 * training step does (its running statistics are restored afterwards); augmentation off; the global
 * generator reset before every evaluation; float32 parameters checked on float64 copies. Parameters,
 * their gradients, buffers, training flags and the global generator are restored bit for bit.
 */
import {
  addOpObserver, getOp, globalRandom, noGrad, ops, Random, Tensor, type FloatArray, type OpObserver,
} from "../engine";
import type { Module } from "../nn";
import type { Loss } from "../nn/losses";
import type { Dataset } from "../data";
import type {
  GradcheckComparison, GradcheckCulprit, GradcheckDirection, GradcheckEntry, GradcheckLayer, GradcheckResult, GradcheckStatus,
  GradcheckTensor, SourceLocation,
} from "../report";
import { buildRun } from "../train/loop";
import { isModelSpec, type ModelSpec } from "../train/spec";
import type { GradcheckMode, GradcheckOptions } from "./types";

export type { GradcheckStatus } from "../report";

/** The report's entry and direction types carry every detail a check records (all optional in the schema). */
export type GradcheckEntryDetail = GradcheckEntry;
export type GradcheckDirectionDetail = GradcheckDirection;
/** A per-tensor summary, always with its verdict. */
export type GradcheckTensorSummary = GradcheckTensor & { status: GradcheckStatus };
export type GradcheckLayerDetail = GradcheckLayer & { status: GradcheckStatus; tensors: GradcheckTensorSummary[] };

/** PyTorch gradcheck's defaults (torch.autograd.gradcheck: eps 1e-6, atol 1e-5, rtol 1e-3). */
export const GRADCHECK_DEFAULTS = { mode: "sampled" as GradcheckMode, eps: 1e-6, atol: 1e-5, rtol: 1e-3, samples: 10, directions: 2, seed: 0, worst: 5 };
/** Rows of the batch used when checking a ModelSpec (a check costs two forwards per entry). */
export const GRADCHECK_BATCH = 16;
const TINY = 1e-300;

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

interface Checked {
  name: string;
  layer: string;
  tensor: Tensor;
}

/** A prepared problem: what to differentiate, how to evaluate, how to undo the setup. */
interface Problem {
  tensors: Checked[];
  /** Builds the scalar (with a graph when grad mode is on). */
  evaluate(): Tensor;
  locations: Map<string, SourceLocation>;
  notes: string[];
  restore(): void;
}

// ---- setup ------------------------------------------------------------------------------------------

type RandomState = Record<"s0" | "s1" | "s2" | "s3" | "spare", number | null>;
const saveRandom = (r: Random): RandomState => ({ ...(r as unknown as RandomState) });
const loadRandom = (r: Random, s: RandomState) => Object.assign(r as unknown as RandomState, s);

/** Swaps float32 storage for float64 copies; returns the undo. */
function toFloat64(tensors: readonly Tensor[]): () => void {
  const swapped: Array<[Tensor, FloatArray]> = [];
  for (const t of tensors) {
    if (t.data instanceof Float32Array) {
      swapped.push([t, t.data]);
      (t as { data: FloatArray }).data = Float64Array.from(t.data);
    }
  }
  return () => {
    for (const [t, d] of swapped) (t as { data: FloatArray }).data = d;
  };
}

function moduleProblem(module: Module, loss: Loss, batch: Pick<Dataset, "x" | "y">, extra?: (m: Module) => Tensor): Problem {
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

function prepare(target: GradcheckTarget, options: CheckGradientsOptions, seed: number): Problem {
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
    const saved = saveRandom(globalRandom);
    const { model, train } = buildRun(spec);
    loadRandom(globalRandom, saved);
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
function takeRows(t: Tensor, idx: readonly number[]): Tensor {
  const n = t.shape[0];
  const row = n ? t.size / n : 0;
  const out = new (t.data.constructor as { new (len: number): FloatArray })(idx.length * row);
  idx.forEach((r, i) => out.set(t.data.subarray(r * row, (r + 1) * row), i * row));
  return new Tensor(out, [idx.length, ...t.shape.slice(1)]);
}

// ---- kink detection ---------------------------------------------------------------------------------

/**
 * Records, for every op with a kink, which side of it each element is on; in compare mode flags any
 * change. An entry whose ±eps evaluation changes a pattern straddles a kink, where the two one-sided
 * derivatives differ and a central difference means nothing.
 */
class KinkWatch implements OpObserver {
  private base: Int8Array[] = [];
  private index = 0;
  private mode: "off" | "record" | "compare" = "off";
  crossed = false;

  begin(mode: "record" | "compare"): void {
    this.mode = mode;
    this.index = 0;
    this.crossed = false;
    if (mode === "record") this.base = [];
  }
  end(): void {
    if (this.mode === "compare" && this.index !== this.base.length) this.crossed = true;
    this.mode = "off";
  }

  forward(e: { op: string; inputs: readonly Tensor[]; output: Tensor }): void {
    if (this.mode === "off" || this.crossed) return;
    const sides = getOp(e.op)?.kinks;
    if (!sides) return;
    const pattern = sides(e.inputs, e.output);
    if (this.mode === "record") {
      this.base.push(pattern);
      this.index++;
      return;
    }
    const b = this.base[this.index++];
    if (!b || b.length !== pattern.length) {
      this.crossed = true;
      return;
    }
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== pattern[i]) {
        this.crossed = true;
        return;
      }
    }
  }
}

// ---- the check ---------------------------------------------------------------------------------------

const relError = (a: number, n: number) => Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), TINY);

function multiIndex(shape: readonly number[], flat: number): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** PyTorch gradcheck's criterion: |a − n| ≤ atol + rtol·|n|. */
function withinTolerance(a: number, n: number, o: { atol: number; rtol: number }): boolean {
  return Math.abs(a - n) <= o.atol + o.rtol * Math.abs(n);
}

/** A seeded random unit vector u the size of `grad`, and the directional derivative a = grad·u. */
function randomDirection(rng: Random, grad: ArrayLike<number>): { u: Float64Array; a: number } {
  const u = new Float64Array(grad.length);
  let norm = 0;
  for (let j = 0; j < u.length; j++) {
    u[j] = rng.normal();
    norm += u[j] * u[j];
  }
  norm = Math.sqrt(norm) || 1;
  let a = 0;
  for (let j = 0; j < u.length; j++) {
    u[j] /= norm;
    a += grad[j] * u[j];
  }
  return { u, a };
}

/** The verdict on one comparison: an entry or a direction. */
type Judged = GradcheckComparison & { passed: boolean };

/**
 * Judges an analytic directional derivative `a` from f(x) = f0, f(x+ε) = fp and f(x−ε) = fm.
 * Away from kinks: the central difference, |a − n| ≤ atol + rtol·|n|. At a kink (seen by the op
 * observer, or one-sided differences that disagree): `a` must match (f0−fm)/ε or (fp−f0)/ε with the
 * same tolerances, or lie between them (a subgradient: consistent, flagged `unverified`).
 */
function judge(a: number, f0: number, fp: number, fm: number, kinkSeen: boolean, o: typeof GRADCHECK_DEFAULTS): Judged {
  const n = (fp - fm) / (2 * o.eps);
  if (!Number.isFinite(a) || !Number.isFinite(n) || !Number.isFinite(f0)) {
    return { analytic: a, numeric: n, relError: NaN, passed: false, nonFinite: true, ...(kinkSeen ? { kink: true } : {}) };
  }
  // The resolution of a central difference at this loss: below it the numeric value is noise, so the
  // tolerance is widened by it (a difference smaller than the noise proves nothing either way).
  const floor = noiseFloor(o.eps, f0, fp, fm);
  const central = { atol: o.atol + floor, rtol: o.rtol };
  const passes = (x: number, y: number, t = central) => withinTolerance(x, y, t);
  const j: Judged = { analytic: a, numeric: n, relError: relError(a, n), passed: passes(a, n) };
  // Both values below the floor: the relative error means nothing. Such entries are still judged by
  // atol when the floor is below it (a floor at atol instead would hide every entry of a vanishing layer,
  // |g| ≈ 1e-6); when the floor is above atol they cannot be verified at all (unresolvable).
  if (Math.abs(a) <= floor && Math.abs(n) <= floor) j.negligible = true;
  if (floor > o.atol) j.noiseFloor = floor;
  const left = (f0 - fm) / o.eps;
  const right = (fp - f0) / o.eps;
  // One-sided differences divide the same round-off by ε instead of 2ε.
  const oneSided = { atol: o.atol + 2 * floor, rtol: o.rtol };
  // A kink the observer cannot see (a custom op that declared none): the central difference
  // disagrees and so do the one-sided ones, which a smooth function's never do (they differ by O(ε·f'')).
  const kink = kinkSeen || (!j.passed && !passes(left, right, oneSided) && !passes(right, left, oneSided));
  if (!kink) return j;
  j.kink = true;
  j.numericLeft = left;
  j.numericRight = right;
  const tol = oneSided.atol + o.rtol * Math.max(Math.abs(left), Math.abs(right));
  if (passes(a, left, oneSided) || passes(a, right, oneSided)) {
    j.passed = true;
  } else if (a >= Math.min(left, right) - tol && a <= Math.max(left, right) + tol) {
    j.passed = true;
    j.unverified = true;
  } else {
    j.passed = false;
  }
  return j;
}

/**
 * Machine epsilon times the loss's own summation error: a loss summed over n terms in float64 carries
 * relative round-off up to ~n·ε_machine, measured ≈ 1e-10 at |f| ≈ 1, ε = 1e-6 on the examples.
 */
const ROUND_OFF = 100 * Number.EPSILON;

/**
 * The smallest derivative a central difference with step `eps` resolves at loss values `fs`: the
 * evaluations' round-off (ROUND_OFF·|f|) divided by the step.
 */
export function noiseFloor(eps: number, ...fs: number[]): number {
  return (ROUND_OFF * Math.max(...fs.map(Math.abs))) / eps;
}

/**
 * Compares analytic gradients (one backward pass) with central differences in float64.
 *
 * `target`: a ModelSpec (checked on `batchSize` rows drawn at random, seeded, from its freshly built
 * training set; default 16 capped by the spec's batch size), a `{ module, loss, batch }`, or a function
 * of tensors with `options.inputs`.
 * Pass per entry: |a − n| ≤ atol + rtol·|n| (defaults 1e-5, 1e-3: PyTorch gradcheck's); relative error
 * |a − n| / max(|a|, |n|, tiny) is reported per entry, and per tensor and layer as the maximum over the
 * entries that are not kinks, not non-finite and not negligible (both |a| and |n| below the central
 * difference's round-off floor, where the ratio is noise: an exact 0 against a numeric 1e-10 has
 * relative error 1). CS231n: ≤ 1e-7 good,
 * > 1e-2 wrong. `status` is "passed", "failed", or "inconclusive" (the loss or a gradient is non-finite
 * at the checked point, or most entries of a tensor are unverified kinks); `passed` is status "passed".
 */
export function checkGradients(target: GradcheckTarget, options: CheckGradientsOptions = {}): GradcheckResult {
  const t0 = performance.now();
  const o = { ...GRADCHECK_DEFAULTS, ...stripUndefined(options) };
  const userRandom = saveRandom(globalRandom);
  const problem = prepare(target, options, o.seed);
  const fixedRandom = saveRandom(globalRandom);
  const kinks = new KinkWatch();
  const removeKinks = addOpObserver(kinks);
  const savedGrads = problem.tensors.map((c) => c.tensor._g);
  const savedData = problem.tensors.map((c) => c.tensor.data.slice());
  try {
    // Analytic: one backward pass from zeroed gradients.
    for (const c of problem.tensors) c.tensor._g = null;
    loadRandom(globalRandom, fixedRandom);
    const root = problem.evaluate();
    if (root.size !== 1) throw new Error(`checkGradients: the loss must be a scalar, got shape [${root.shape.join(", ")}]`);
    const base = root.item();
    root.backward();
    const analytic = problem.tensors.map((c) => (c.tensor._g ? Float64Array.from(c.tensor._g) : new Float64Array(c.tensor.size)));
    for (const c of problem.tensors) c.tensor._g = null;

    if (!Number.isFinite(base)) {
      return {
        mode: o.mode, eps: o.eps, atol: o.atol, rtol: o.rtol, passed: false, status: "inconclusive", layers: [], checked: 0,
        notes: [...problem.notes, `the loss is ${base} at the checked point: nothing to compare (inconclusive; see the nan-or-inf warning)`],
        durationMs: performance.now() - t0,
      };
    }

    const lossAt = (): number => {
      loadRandom(globalRandom, fixedRandom);
      kinks.begin("compare");
      const v = noGrad(() => problem.evaluate().item());
      kinks.end();
      return v;
    };
    loadRandom(globalRandom, fixedRandom);
    kinks.begin("record");
    const f0 = noGrad(() => problem.evaluate().item());
    kinks.end();

    const entries: GradcheckEntryDetail[][] = problem.tensors.map(() => []);
    const directions: GradcheckDirectionDetail[][] = problem.tensors.map(() => []);

    const checkEntry = (ti: number, i: number): GradcheckEntryDetail => {
      const x = problem.tensors[ti].tensor.data;
      const orig = x[i];
      x[i] = orig + o.eps;
      const fp = lossAt();
      let kink = kinks.crossed;
      x[i] = orig - o.eps;
      const fm = lossAt();
      kink ||= kinks.crossed;
      x[i] = orig;
      const e: GradcheckEntryDetail = { index: multiIndex(problem.tensors[ti].tensor.shape, i), ...judge(analytic[ti][i], f0, fp, fm, kink, o) };
      // Not judged: neither passed nor failed (so `passed === false` keeps meaning "a wrong gradient").
      if (e.nonFinite) delete e.passed;
      return e;
    };
    const checkAll = (ti: number) => {
      entries[ti] = [];
      for (let i = 0; i < problem.tensors[ti].tensor.size; i++) entries[ti].push(checkEntry(ti, i));
    };

    if (o.mode === "full") {
      problem.tensors.forEach((_, ti) => checkAll(ti));
    } else if (o.mode === "sampled") {
      const rng = new Random(o.seed);
      problem.tensors.forEach((c, ti) => {
        const size = c.tensor.size;
        const k = Math.min(o.samples, size);
        // Partial Fisher–Yates: k distinct entries, seeded.
        const pool = Int32Array.from({ length: size }, (_, i) => i);
        for (let j = 0; j < k; j++) {
          const r = j + rng.int(size - j);
          const tmp = pool[j];
          pool[j] = pool[r];
          pool[r] = tmp;
          entries[ti].push(checkEntry(ti, pool[j]));
        }
      });
    } else {
      const rng = new Random(o.seed);
      problem.tensors.forEach((c, ti) => {
        const x = c.tensor.data;
        const orig = x.slice();
        let fallback = false;
        for (let d = 0; d < o.directions; d++) {
          const { u, a } = randomDirection(rng, analytic[ti]);
          for (let j = 0; j < x.length; j++) x[j] = orig[j] + o.eps * u[j];
          const fp = lossAt();
          let kink = kinks.crossed;
          for (let j = 0; j < x.length; j++) x[j] = orig[j] - o.eps * u[j];
          const fm = lossAt();
          kink ||= kinks.crossed;
          x.set(orig);
          const dir: GradcheckDirectionDetail = { tensor: c.name, ...judge(a, f0, fp, fm, kink, o) };
          directions[ti].push(dir);
          // A direction crossing kinks of several entries at once has no clean one-sided derivative.
          if (!dir.passed || dir.unverified || dir.nonFinite) fallback = true;
        }
        // PyTorch's fast mode falls back to the slow check to say which entries are wrong.
        if (fallback) checkAll(ti);
      });
    }

    const result = summarize(problem, entries, directions, o, f0);
    if (result.status === "failed" && result.layers.some((l) => (l.failures ?? 0) > 0)) {
      const failedTensors = new Set<Tensor>();
      for (const l of result.layers) for (const t of l.tensors ?? []) {
        if (t.failures > 0) failedTensors.add(problem.tensors.find((c) => c.name === t.name)!.tensor);
      }
      const culprit = locateCulprit(problem, fixedRandom, o, failedTensors);
      if (culprit) result.culprit = culprit;
      else result.notes = [...(result.notes ?? []), "no op could be blamed: every op's own output gradient matched its central difference within that op's noise floor"];
    }
    result.durationMs = performance.now() - t0;
    return result;
  } finally {
    removeKinks();
    problem.tensors.forEach((c, i) => {
      c.tensor.data.set(savedData[i]);
      c.tensor._g = savedGrads[i];
    });
    problem.restore();
    loadRandom(globalRandom, userRandom);
  }
}

/** 1.2e8 → "1e8": an order of magnitude for a sentence. */
function sci(x: number): string {
  const [m, e] = Math.abs(x).toExponential(0).split("e");
  return `${x < 0 ? "-" : ""}${m}e${Number(e)}`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const worse = (a: GradcheckStatus, b: GradcheckStatus): GradcheckStatus =>
  a === "failed" || b === "failed" ? "failed" : a === "inconclusive" || b === "inconclusive" ? "inconclusive" : "passed";

/** Sort key of a listed entry: failures first, then non-finite, then judged entries, then kinks and negligible ones. */
const rank = (e: GradcheckEntryDetail) => (e.nonFinite ? 1 : e.passed === false ? 0 : e.kink || e.negligible ? 3 : 2);

function summarize(
  problem: Problem, entries: GradcheckEntryDetail[][], directions: GradcheckDirectionDetail[][],
  o: typeof GRADCHECK_DEFAULTS, f0: number,
): GradcheckResult {
  const byLayer = new Map<string, number[]>();
  problem.tensors.forEach((c, ti) => {
    if (!byLayer.has(c.layer)) byLayer.set(c.layer, []);
    byLayer.get(c.layer)!.push(ti);
  });
  const layers: GradcheckLayerDetail[] = [];
  const notes = [...problem.notes];
  // Why a tensor is inconclusive: listed last, so the last note is the reason a front end shows.
  const reasons: string[] = [];
  let checked = 0;
  let kinkTotal = 0;
  let negligibleTotal = 0;
  let unresolvableTotal = 0;
  for (const [name, tis] of byLayer) {
    const tensors = tis.map((ti): GradcheckTensorSummary => {
      const es = entries[ti];
      const ds = directions[ti];
      // Entries decide when there are any (sampled, full, or directional after its fallback): a direction
      // whose entry-by-entry fallback found nothing wrong was round-off or kinks along u, not a failure.
      const judged: Array<Omit<Judged, "passed"> & { passed?: boolean }> = es.length ? es : ds;
      const tensorName = problem.tensors[ti].name;
      const failures = judged.filter((e) => !e.passed && !e.nonFinite).length;
      const nonFinite = judged.filter((e) => e.nonFinite).length;
      const unverified = judged.filter((e) => e.unverified).length;
      const negligible = judged.filter((e) => e.negligible && !e.kink).length;
      // Below the noise floor where that floor is above atol: nothing can be said about these.
      const unresolvable = judged.filter((e) => e.negligible && !e.kink && e.noiseFloor !== undefined).length;
      unresolvableTotal += unresolvable;
      const maxRel = Math.max(0, ...judged.filter((e) => !e.kink && !e.negligible && !e.nonFinite).map((e) => e.relError));
      const count = es.length || ds.length;
      let status: GradcheckStatus = "passed";
      if (failures > 0) status = "failed";
      else if (nonFinite > 0) {
        status = "inconclusive";
        reasons.push(`${tensorName}: ${nonFinite} of ${count} ${es.length ? "entries" : "directions"} have a non-finite analytic or numeric gradient at the checked point (inconclusive, not a wrong rule; see the nan-or-inf warning)`);
      } else if (unresolvable * 2 > count) {
        status = "inconclusive";
        reasons.push(`${tensorName}: ${unresolvable} of ${count} ${es.length ? "entries" : "directions"} are below what central differences resolve at this loss (inconclusive, not a wrong rule)`);
      } else if (unverified * 2 > count) {
        status = "inconclusive";
        reasons.push(`${tensorName}: ${unverified} of ${count} ${es.length ? "entries" : "directions"} sit on kinks where the analytic value is only a subgradient (between the one-sided differences): inconclusive`);
      }
      const kinks = es.filter((e) => e.kink).length + ds.filter((d) => d.kink).length;
      kinkTotal += kinks;
      negligibleTotal += negligible;
      const t: GradcheckTensorSummary = { name: tensorName, checked: count, maxRelError: maxRel, passed: status === "passed", failures, kinks, status };
      if (nonFinite) t.nonFinite = nonFinite;
      if (unverified) t.unverified = unverified;
      if (negligible) t.negligible = negligible;
      if (unresolvable) t.unresolvable = unresolvable;
      return t;
    });
    const all = tis.flatMap((ti) => entries[ti].map((e) => ({ ...e, tensor: problem.tensors[ti].name })));
    const worst = all
      .sort((a, b) => rank(a) - rank(b) || (Number.isNaN(b.relError) ? -1 : Number.isNaN(a.relError) ? 1 : b.relError - a.relError))
      .slice(0, o.worst);
    const status = tensors.reduce<GradcheckStatus>((s, t) => worse(s, t.status), "passed");
    const layer: GradcheckLayerDetail = {
      name,
      checked: tensors.reduce((s, t) => s + t.checked, 0),
      maxRelError: Math.max(0, ...tensors.map((t) => t.maxRelError)),
      passed: status === "passed",
      status,
      failures: tensors.reduce((s, t) => s + t.failures, 0),
      kinks: tensors.reduce((s, t) => s + t.kinks, 0),
      tensors,
      worst,
    };
    const dirs = tis.flatMap((ti) => directions[ti]);
    if (dirs.length) layer.directions = dirs;
    const location = problem.locations.get(name);
    if (location) layer.location = location;
    checked += layer.checked;
    layers.push(layer);
  }
  if (kinkTotal) notes.push(`${kinkTotal} checked entries or directions crossed a kink (ReLU at 0, a max tie…): judged against the one-sided differences`);
  if (negligibleTotal) notes.push(`${negligibleTotal} entries with |analytic| and |numeric| below the resolution of central differences (100·ε_machine·|loss|/eps) are left out of maxRelError`);
  const floor = noiseFloor(o.eps, f0);
  if (unresolvableTotal) {
    // In the user's terms, and first among the reasons (the one a front end shows).
    reasons.unshift(`the loss is ~${sci(f0)}: central differences (eps ${sci(o.eps)}) cannot resolve gradients below ~${sci(floor)} here, and ${unresolvableTotal} checked entries are below that; rescale the loss (a mean instead of a sum, a smaller init) or check on a smaller batch`);
  }
  notes.push(...reasons);
  const status = layers.reduce<GradcheckStatus>((s, l) => worse(s, l.status), "passed");
  return {
    mode: o.mode, eps: o.eps, atol: o.atol, rtol: o.rtol,
    passed: status === "passed",
    status,
    layers, checked, notes,
  };
}

// ---- blame: which op's backward rule is wrong --------------------------------------------------------

interface OpRecord {
  op: string;
  scope: string | null;
  inputs: readonly Tensor[];
  output: Tensor;
  /** Position among all forward op events of one evaluation. */
  event: number;
  outputGrad?: Float64Array;
}

/**
 * Checks the gradient of every intermediate tensor: the backward's ∂L/∂y (seen by the op observer)
 * against a central difference obtained by perturbing y in place during a forward, along one random
 * direction. An op whose output gradient is right but whose input receives a wrong gradient applied a
 * wrong backward rule. Cost: two forwards per op of the graph.
 */
function locateCulprit(
  problem: Problem, fixedRandom: RandomState, o: typeof GRADCHECK_DEFAULTS, failedTensors: ReadonlySet<Tensor>,
): GradcheckCulprit | undefined {
  const records: OpRecord[] = [];
  const byOutput = new Map<Tensor, OpRecord>();
  // Only graph nodes (outputs that require grad) are judged; `event` counts every forward op, including
  // the ones a custom op runs inside its own forward, so the nudging pass can find op k again.
  let event = 0;
  let recording = true;
  const recorder = addOpObserver({
    forward: (e) => {
      if (!recording) return;
      const index = event++;
      if (!e.output.requiresGrad) return;
      const r: OpRecord = { op: e.op, scope: e.scope, inputs: e.inputs, output: e.output, event: index };
      records.push(r);
      byOutput.set(e.output, r);
    },
    backward: (e) => {
      const r = byOutput.get(e.output);
      if (r) r.outputGrad = Float64Array.from(e.outputGrad);
    },
  });
  let root: Tensor;
  try {
    for (const c of problem.tensors) c.tensor._g = null;
    loadRandom(globalRandom, fixedRandom);
    root = problem.evaluate();
    // Ops that backward rules run (custom ops compute with tensors) are not part of the forward graph.
    recording = false;
    root.backward();
  } finally {
    recorder();
    for (const c of problem.tensors) c.tensor._g = null;
  }
  const rng = new Random(o.seed ^ 0x2545f491);
  const correct = new Map<OpRecord, boolean>();
  records.forEach((r) => {
    const k = r.event;
    // Views (reshape) share their input's storage: nudging them would also move the input. Left unjudged.
    if (!r.outputGrad || r.inputs.some((t) => t.data === r.output.data)) return;
    const { u, a } = randomDirection(rng, r.outputGrad);
    const at = (sign: number): number => {
      let index = 0;
      const nudge = addOpObserver({
        forward: (e) => {
          if (index++ !== k) return;
          const y = e.output.data;
          for (let j = 0; j < y.length; j++) y[j] += sign * o.eps * u[j];
        },
      });
      try {
        loadRandom(globalRandom, fixedRandom);
        return noGrad(() => problem.evaluate().item());
      } finally {
        nudge();
      }
    };
    const fp = at(1);
    const fm = at(-1);
    const n = (fp - fm) / (2 * o.eps);
    // Judged against this op's own noise floor: a difference round-off can explain blames nothing.
    correct.set(r, withinTolerance(a, n, { atol: o.atol + noiseFloor(o.eps, fp, fm), rtol: o.rtol }));
  });
  // Tensors with a wrong gradient: intermediate outputs that failed, and the checked parameters that failed.
  const wrong = new Set<Tensor>();
  for (const [r, ok] of correct) if (!ok) wrong.add(r.output);
  const candidates: Array<{ record: OpRecord; index: number }> = [];
  records.forEach((r, k) => {
    const outputOk = r === byOutput.get(root) ? correct.get(r) ?? true : correct.get(r);
    if (outputOk !== true) return;
    // A correct output gradient but a wrong gradient in one of its inputs: this op's rule is wrong…
    const badInput = r.inputs.some((t) => wrong.has(t));
    // …or an input is a checked tensor (a parameter) that failed while every op consuming it is correct.
    const badLeaf = r.inputs.some((t) => failedTensors.has(t) && consumers(records, t).every((c) => correct.get(c) === true));
    if (badInput || badLeaf) candidates.push({ record: r, index: k });
  });
  if (!candidates.length) return undefined;
  // Built-in ops are gradient-checked by the engine's own suite: a custom op is the likelier culprit.
  candidates.sort((a, b) => Number(getOp(b.record.op)?.kind === "custom") - Number(getOp(a.record.op)?.kind === "custom") || b.index - a.index);
  const [first, ...rest] = candidates;
  const culprit: GradcheckCulprit = {
    op: first.record.op,
    inputShapes: first.record.inputs.map((t) => [...t.shape]),
  };
  if (first.record.scope !== null) {
    culprit.layer = first.record.scope || "model";
    const loc = problem.locations.get(culprit.layer);
    if (loc) culprit.location = loc;
  }
  if (rest.length) culprit.alternatives = rest.map((c) => ({ op: c.record.op, ...(c.record.scope !== null ? { layer: c.record.scope || "model" } : {}) }));
  return culprit;
}

function consumers(records: readonly OpRecord[], t: Tensor): OpRecord[] {
  return records.filter((r) => r.inputs.includes(t));
}

