/**
 * Blame: which op's backward rule is wrong. Every intermediate tensor's gradient is checked along one
 * random direction, each against its own noise floor; an op whose output gradient is right but whose
 * input's is wrong applied a wrong rule.
 */
import { getOp, globalRandom, noGrad, Random, type RandomState, type Tensor } from "../../engine";
import type { GradcheckCulprit } from "../../report";
import { noiseFloor, withinTolerance } from "./judge";
import { observeOps } from "./observe";
import { randomDirection } from "./perturb";
import type { GRADCHECK_DEFAULTS, Problem } from "./setup";

export interface OpRecord {
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
export function locateCulprit(
  problem: Problem, fixedRandom: RandomState, o: typeof GRADCHECK_DEFAULTS, failedTensors: ReadonlySet<Tensor>,
): GradcheckCulprit | undefined {
  const records: OpRecord[] = [];
  const byOutput = new Map<Tensor, OpRecord>();
  // Only graph nodes (outputs that require grad) are judged; `event` counts every forward op, including
  // the ones a custom op runs inside its own forward, so the nudging pass can find op k again.
  let event = 0;
  let recording = true;
  const recorder = observeOps({
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
    globalRandom.restoreState(fixedRandom);
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
      const nudge = observeOps({
        forward: (e) => {
          if (index++ !== k) return;
          const y = e.output.data;
          for (let j = 0; j < y.length; j++) y[j] += sign * o.eps * u[j];
        },
      });
      try {
        globalRandom.restoreState(fixedRandom);
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

export function consumers(records: readonly OpRecord[], t: Tensor): OpRecord[] {
  return records.filter((r) => r.inputs.includes(t));
}
