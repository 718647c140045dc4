/**
 * `directional` mode: PyTorch gradcheck's fast mode over the whole model at once. One seeded random unit
 * direction u spans every parameter tensor jointly; (g·u) from the one backward pass is compared with
 * (f(θ+εu) − f(θ−εu))/2ε, two forward passes whatever the model's size. Only when they disagree (or u
 * crosses a kink it cannot verify, or a value is non-finite) does the check narrow down, along the same
 * u: its restriction to each tensor, then in each tensor that disagrees every entry (small tensors) or
 * halves of u's restriction, bisected down to the entries that are wrong (large ones; a large tensor
 * whose direction only crossed kinks unverified gets `samples` entries checked instead, as in sampled
 * mode). Every comparison is judged by `judge`, against the same noise floor as an entry's.
 */
import type { FloatArray } from "../../engine";
import { Random } from "../../engine";
import type { GradcheckJointDirection } from "../../report";
import { judge, type Judged } from "./judge";
import { fillUniform, sampleIndices } from "./perturb";
import type { GRADCHECK_DEFAULTS, GradcheckDirectionDetail, GradcheckEntryDetail, Problem } from "./setup";

/**
 * Tensors up to this size are checked entry by entry when their direction disagrees (two forward passes
 * per entry, every wrong entry counted); larger ones are bisected (about 4·log₂(size) forward passes per
 * named entry, up to `worst` of them, and at most 4·`worst`·⌈log₂ size⌉ comparisons in all).
 */
export const FULL_FALLBACK = 512;

/** What the directional stages need from the check: the point, its gradient and loss, and evaluation. */
export interface Probe {
  problem: Problem;
  /** The parameters' values at the checked point (restored after every perturbation). */
  orig: readonly FloatArray[];
  analytic: readonly Float64Array[];
  f0: number;
  o: typeof GRADCHECK_DEFAULTS;
  /** The loss at the current parameter values, and whether that evaluation crossed a kink. */
  lossAt(): { f: number; kink: boolean };
  checkEntry(ti: number, i: number): GradcheckEntryDetail;
}

export interface DirectionalOutcome {
  joint: GradcheckJointDirection[];
  /** Tensors whose direction disagreed while no part of it did: inconclusive unless their entries failed. */
  undecided: Map<number, string>;
  /** The whole-model direction disagreed and no tensor's part of it did: the check cannot call it either way. */
  unlocalized?: string;
  notes: string[];
}

/** A range of one tensor's flat entries. */
interface Segment {
  ti: number;
  lo: number;
  hi: number;
}

/** Whether a comparison calls for a closer look: it failed, is non-finite, or crossed a kink unverified. */
const suspect = (j: Judged) => !j.passed || !!j.nonFinite || !!j.unverified;
/** How far past its tolerance a comparison is (the worse half of a bisection is searched first). */
const excess = (j: Judged, o: typeof GRADCHECK_DEFAULTS) =>
  j.nonFinite ? Infinity : Math.abs(j.analytic - j.numeric) / (o.atol + (j.noiseFloor ?? 0) + o.rtol * Math.abs(j.numeric));

/**
 * Runs the stages above; fills `directions` (per tensor) and `entries` only where the check narrowed
 * down. Cost on a correct model: 2·`directions` forward passes.
 */
export function checkDirectional(p: Probe, entries: GradcheckEntryDetail[][], directions: GradcheckDirectionDetail[][]): DirectionalOutcome {
  const { problem, o } = p;
  const sizes = problem.tensors.map((c) => c.tensor.size);
  const total = sizes.reduce((s, n) => s + n, 0);
  const rng = new Random(o.seed);
  const whole = sizes.map((n, ti): Segment => ({ ti, lo: 0, hi: n }));
  const joint: GradcheckJointDirection[] = [];
  let u: Float64Array[] | null = null;
  // At least one: a check that compared nothing must not pass.
  for (let d = 0; d < Math.max(1, o.directions) && !u; d++) {
    const ud = sizes.map((n) => fillUniform(new Float64Array(n), rng.nextUint32()));
    const j = compareAlong(p, ud, whole);
    joint.push({ tensors: sizes.length, entries: total, ...j });
    if (suspect(j)) u = ud;
  }
  const outcome: DirectionalOutcome = { joint, undecided: new Map(), notes: [] };
  const spanned = `${joint.length} random direction${joint.length === 1 ? "" : "s"} over all ${sizes.length} parameter tensors (${total.toLocaleString("en")} entries) at once`;
  if (!u) {
    outcome.notes.push(`directional: ${spanned}; tensors and entries are checked one by one only when it disagrees`);
    return outcome;
  }
  outcome.notes.push(`directional: ${spanned}, which disagreed: narrowed down along it to each tensor, then to the entries of the tensors that disagreed`);
  let localized = false;
  problem.tensors.forEach((c, ti) => {
    const dir: GradcheckDirectionDetail = { tensor: c.name, ...compareAlong(p, u!, [whole[ti]]) };
    directions[ti].push(dir);
    if (!suspect(dir)) return;
    localized = true;
    if (sizes[ti] <= FULL_FALLBACK) {
      for (let i = 0; i < sizes[ti]; i++) entries[ti].push(p.checkEntry(ti, i));
      return;
    }
    if (dir.passed && !dir.nonFinite) {
      // Only kinks along u, which no wrong gradient needs to explain: entries decide, a seeded sample of
      // them (bisecting would follow kinks, which a bias at a ReLU's 0 makes of every entry).
      const rng = new Random(o.seed ^ 0x1b873593 ^ ti);
      for (const i of sampleIndices(rng, sizes[ti], o.samples)) entries[ti].push(p.checkEntry(ti, i));
      outcome.notes.push(`${c.name}: its direction crossed kinks unverified; ${entries[ti].length} of its ${sizes[ti].toLocaleString("en")} entries sampled instead`);
      return;
    }
    bisect(p, u!, ti, entries[ti]);
    const named = entries[ti].filter((e) => e.passed === false || e.nonFinite).length;
    if (named) {
      outcome.notes.push(`${c.name}: ${sizes[ti].toLocaleString("en")} entries, too many to check one by one: bisecting its direction named ${named} wrong entr${named === 1 ? "y" : "ies"} (it stops at ${o.worst}; not every entry was checked)`);
    } else {
      outcome.undecided.set(ti, `${c.name}: its direction disagreed (relative error ${dir.relError.toExponential(1)}) but no half of it did when bisected to name entries: inconclusive`);
    }
  });
  const disagreed = joint[joint.length - 1];
  if (!localized && (!disagreed.passed || disagreed.nonFinite)) {
    outcome.unlocalized = `the direction over all parameters disagreed (analytic ${disagreed.analytic.toPrecision(6)}, numeric ${disagreed.numeric.toPrecision(6)}) but no tensor's part of it did: inconclusive`;
  }
  return outcome;
}

/**
 * The comparison along u restricted to `segments` and renormalized to a unit vector: the analytic
 * derivative (g·u)/‖u‖ against the central difference of the loss with those entries moved by ±ε·u/‖u‖.
 */
export function compareAlong(p: Probe, u: readonly Float64Array[], segments: readonly Segment[]): Judged {
  const { o } = p;
  let norm2 = 0;
  let a = 0;
  for (const { ti, lo, hi } of segments) {
    const ut = u[ti];
    const g = p.analytic[ti];
    for (let j = lo; j < hi; j++) {
      norm2 += ut[j] * ut[j];
      a += g[j] * ut[j];
    }
  }
  const k = 1 / (Math.sqrt(norm2) || 1);
  const at = (step: number) => {
    for (const { ti, lo, hi } of segments) {
      const x = p.problem.tensors[ti].tensor.data;
      const x0 = p.orig[ti];
      const ut = u[ti];
      for (let j = lo; j < hi; j++) x[j] = x0[j] + step * ut[j];
    }
    return p.lossAt();
  };
  try {
    const plus = at(o.eps * k);
    const minus = at(-o.eps * k);
    return judge(a * k, p.f0, plus.f, minus.f, plus.kink || minus.kink, o);
  } finally {
    for (const { ti, lo, hi } of segments) p.problem.tensors[ti].tensor.data.set(p.orig[ti].subarray(lo, hi), lo);
  }
}

/**
 * Names wrong entries of a large tensor whose direction disagreed: compares both halves of u's
 * restriction, descends into those that fail or are non-finite (the worse first; a half that only
 * crosses kinks is no sign of a wrong gradient), and checks single entries at the bottom. Stops once
 * `worst` wrong or non-finite entries are found, or after 4·`worst`·⌈log₂ size⌉ comparisons.
 */
function bisect(p: Probe, u: readonly Float64Array[], ti: number, out: GradcheckEntryDetail[]): void {
  const { o } = p;
  let named = 0;
  let budget = 4 * o.worst * Math.ceil(Math.log2(p.analytic[ti].length));
  const visit = (lo: number, hi: number): void => {
    if (named >= o.worst || budget <= 0) return;
    if (hi - lo === 1) {
      const e = p.checkEntry(ti, lo);
      out.push(e);
      if (e.passed === false || e.nonFinite) named++;
      return;
    }
    const mid = lo + ((hi - lo) >> 1);
    budget -= 2;
    const halves = [{ lo, hi: mid }, { lo: mid, hi }].map((h) => ({ ...h, j: compareAlong(p, u, [{ ti, ...h }]) }));
    halves.sort((x, y) => Number(excess(y.j, o) > excess(x.j, o)) - Number(excess(y.j, o) < excess(x.j, o)));
    for (const h of halves) if (!h.j.passed || h.j.nonFinite) visit(h.lo, h.hi);
  };
  visit(0, p.analytic[ti].length);
}
