/** Summarizing judged entries and directions into per-tensor and per-layer verdicts, with the reasons. */
import type { GradcheckResult, GradcheckStatus } from "../../report";
import type { DirectionalOutcome } from "./directional";
import { noiseFloor, type Judged } from "./judge";
import type { GradcheckDirectionDetail, GradcheckEntryDetail, GradcheckLayerDetail, GradcheckTensorSummary, Problem } from "./setup";
import type { GRADCHECK_DEFAULTS } from "./setup";

/** 1.2e8 → "1e8": an order of magnitude for a sentence. */
export function sci(x: number): string {
  const [m, e] = Math.abs(x).toExponential(0).split("e");
  return `${x < 0 ? "-" : ""}${m}e${Number(e)}`;
}
export const worse = (a: GradcheckStatus, b: GradcheckStatus): GradcheckStatus =>
  a === "failed" || b === "failed" ? "failed" : a === "inconclusive" || b === "inconclusive" ? "inconclusive" : "passed";

/** Sort key of a listed entry: failures first, then non-finite, then judged entries, then kinks and negligible ones. */
export const rank = (e: GradcheckEntryDetail) => (e.nonFinite ? 1 : e.passed === false ? 0 : e.kink || e.negligible ? 3 : 2);

export function summarize(
  problem: Problem, entries: GradcheckEntryDetail[][], directions: GradcheckDirectionDetail[][],
  o: typeof GRADCHECK_DEFAULTS, f0: number, directional?: DirectionalOutcome,
): GradcheckResult {
  const joint = directional?.joint ?? [];
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
  let jointJudged = false;
  for (const [name, tis] of byLayer) {
    const tensors = tis.map((ti): GradcheckTensorSummary => {
      const es = entries[ti];
      const ds = directions[ti];
      // Entries decide when there are any (sampled, full, or directional after its fallback): a direction
      // whose entry-by-entry fallback found nothing wrong was round-off or kinks along u, not a failure.
      // A tensor directional mode did not narrow down to is judged by the direction over all parameters.
      const judged: Array<Omit<Judged, "passed"> & { passed?: boolean }> = es.length ? es : ds.length ? ds : joint;
      const tensorName = problem.tensors[ti].name;
      const failures = judged.filter((e) => !e.passed && !e.nonFinite).length;
      const nonFinite = judged.filter((e) => e.nonFinite).length;
      const unverified = judged.filter((e) => e.unverified).length;
      const negligible = judged.filter((e) => e.negligible && !e.kink).length;
      // Below the noise floor where that floor is above atol: nothing can be said about these.
      const unresolvable = judged.filter((e) => e.negligible && !e.kink && e.noiseFloor !== undefined).length;
      // The direction over all parameters judges many tensors but is one comparison: counted once below.
      if (judged !== joint) {
        unresolvableTotal += unresolvable;
        negligibleTotal += negligible;
      } else jointJudged = true;
      const maxRel = Math.max(0, ...judged.filter((e) => !e.kink && !e.negligible && !e.nonFinite).map((e) => e.relError));
      const count = es.length || ds.length || joint.length;
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
      } else if (directional?.undecided.has(ti)) {
        status = "inconclusive";
        reasons.push(directional.undecided.get(ti)!);
      }
      const kinks = es.filter((e) => e.kink).length + ds.filter((d) => d.kink).length;
      kinkTotal += kinks;
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
  if (jointJudged) {
    unresolvableTotal += joint.filter((d) => d.negligible && !d.kink && d.noiseFloor !== undefined).length;
    negligibleTotal += joint.filter((d) => d.negligible && !d.kink).length;
    kinkTotal += joint.filter((d) => d.kink).length;
  }
  if (kinkTotal) notes.push(`${kinkTotal} checked entries or directions crossed a kink (ReLU at 0, a max tie…): judged against the one-sided differences`);
  if (negligibleTotal) notes.push(`${negligibleTotal} entries with |analytic| and |numeric| below the resolution of central differences (100·ε_machine·|loss|/eps) are left out of maxRelError`);
  const floor = noiseFloor(o.eps, f0);
  if (unresolvableTotal) {
    // In the user's terms, and first among the reasons (the one a front end shows).
    reasons.unshift(`the loss is ~${sci(f0)}: central differences (eps ${sci(o.eps)}) cannot resolve gradients below ~${sci(floor)} here, and ${unresolvableTotal} checked entries are below that; rescale the loss (a mean instead of a sum, a smaller init) or check on a smaller batch`);
  }
  let status = layers.reduce<GradcheckStatus>((s, l) => worse(s, l.status), "passed");
  if (directional?.unlocalized && status === "passed") {
    status = "inconclusive";
    reasons.push(directional.unlocalized);
  }
  if (directional) {
    notes.push(...directional.notes);
    // Comparisons made: the joint ones, then each tensor's direction and entry (a layer's `checked`
    // counts the joint direction once for each tensor it judged).
    checked = joint.length + entries.reduce((s, es) => s + es.length, 0) + directions.reduce((s, ds) => s + ds.length, 0);
  }
  notes.push(...reasons);
  const result: GradcheckResult = {
    mode: o.mode, eps: o.eps, atol: o.atol, rtol: o.rtol,
    passed: status === "passed",
    status,
    layers, checked, notes,
  };
  if (joint.length) result.joint = joint;
  return result;
}
