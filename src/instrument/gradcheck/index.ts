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
import { globalRandom, noGrad, Random, type Tensor } from "../../engine";
import type { GradcheckResult } from "../../report";
import { locateCulprit } from "./culprit";
import { checkDirectional, type DirectionalOutcome } from "./directional";
import { judge } from "./judge";
import { observeOps } from "./observe";
import { KinkWatch, multiIndex, sampleIndices } from "./perturb";
import {
  GRADCHECK_DEFAULTS, prepare, type CheckGradientsOptions, type GradcheckDirectionDetail, type GradcheckEntryDetail, type GradcheckTarget,
} from "./setup";
import { summarize } from "./summary";

export {
  GRADCHECK_BATCH, GRADCHECK_DEFAULTS, pickRows,
  type CheckGradientsOptions, type FunctionTarget, type GradcheckDirectionDetail, type GradcheckEntryDetail, type GradcheckLayerDetail,
  type GradcheckStatus, type GradcheckTarget, type GradcheckTensorSummary, type ModuleTarget,
} from "./setup";
export { noiseFloor } from "./judge";

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
  const userRandom = globalRandom.saveState();
  const problem = prepare(target, options, o.seed);
  // Every loss evaluation is a forward pass: counted for the report (what the check cost).
  let evaluations = 0;
  const evaluate = problem.evaluate;
  problem.evaluate = () => {
    evaluations++;
    return evaluate();
  };
  const fixedRandom = globalRandom.saveState();
  const kinks = new KinkWatch();
  const removeKinks = observeOps(kinks);
  const savedGrads = problem.tensors.map((c) => c.tensor._g);
  const savedData = problem.tensors.map((c) => c.tensor.data.slice());
  try {
    // Analytic: one backward pass from zeroed gradients. Its forward also records which side of every
    // kink each element sits on (the same op events as a forward under noGrad) and gives f(θ).
    for (const c of problem.tensors) c.tensor._g = null;
    globalRandom.restoreState(fixedRandom);
    kinks.begin("record");
    const root = problem.evaluate();
    kinks.end();
    if (root.size !== 1) throw new Error(`checkGradients: the loss must be a scalar, got shape [${root.shape.join(", ")}]`);
    const f0 = root.item();
    root.backward();
    // The buffers this backward created are taken, not copied (the caller's are restored at the end).
    const analytic = problem.tensors.map((c) => {
      const g = c.tensor._g;
      return g instanceof Float64Array ? g : g ? new Float64Array(g) : new Float64Array(c.tensor.size);
    });
    for (const c of problem.tensors) c.tensor._g = null;

    if (!Number.isFinite(f0)) {
      return {
        mode: o.mode, eps: o.eps, atol: o.atol, rtol: o.rtol, passed: false, status: "inconclusive", layers: [], checked: 0,
        notes: [...problem.notes, `the loss is ${f0} at the checked point: nothing to compare (inconclusive; see the nan-or-inf warning)`],
        durationMs: performance.now() - t0, evaluations,
      };
    }

    const lossAt = (): number => {
      globalRandom.restoreState(fixedRandom);
      kinks.begin("compare");
      const v = noGrad(() => problem.evaluate().item());
      kinks.end();
      return v;
    };

    const entries: GradcheckEntryDetail[][] = problem.tensors.map(() => []);
    const directions: GradcheckDirectionDetail[][] = problem.tensors.map(() => []);
    let directional: DirectionalOutcome | undefined;

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
        for (const i of sampleIndices(rng, c.tensor.size, o.samples)) entries[ti].push(checkEntry(ti, i));
      });
    } else {
      directional = checkDirectional({
        problem, orig: savedData, analytic, f0, o, checkEntry,
        lossAt: () => ({ f: lossAt(), kink: kinks.crossed }),
      }, entries, directions);
    }

    const result = summarize(problem, entries, directions, o, f0, directional);
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
    result.evaluations = evaluations;
    return result;
  } finally {
    removeKinks();
    problem.tensors.forEach((c, i) => {
      c.tensor.data.set(savedData[i]);
      c.tensor._g = savedGrads[i];
    });
    problem.restore();
    globalRandom.restoreState(userRandom);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
