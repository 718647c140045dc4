/**
 * Problems: warnings that share a root cause, grouped. One cause (deep sigmoid layers squashing the
 * gradient) fires many rules (vanishing-gradient on each early layer, update-ratio "too small" on the
 * same layers, loss-not-decreasing); a problem names the cause once, blames its first layer, gives one
 * fix and lists the other warnings as its symptoms. Pure: warnings and the layer order in, problems out.
 * Every warning lands in exactly one problem; the report keeps every warning too.
 */
import type { Problem, Severity, Warning } from "../report";

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Which root-cause family a warning starts, in the order causes are assigned (most fundamental first). */
type Family = "gradcheck" | "nan" | "dead" | "vanishing" | "vanishing-time" | "attention" | "exploding" | "lr-small" | "lr-large";

const direction = (w: Warning) => (w.evidence as { direction?: unknown } | undefined)?.direction;
const zeroGradient = (w: Warning) => (w.evidence as { gradNorm?: unknown } | undefined)?.gradNorm === 0;

/**
 * "layers.0–4" (or "layers.7–12.selfAttn") for names that differ in one number only, else the names
 * joined (at most three, then "and N more").
 */
export function layerSpan(names: readonly string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return names[0];
  // Split on numbers: "layers.7.selfAttn" → ["layers.", "7", ".selfAttn"]; odd indices are numbers.
  const parts = names.map((n) => n.split(/(\d+)/));
  const same = (i: number) => parts.every((p) => p[i] === parts[0][i]);
  const varying = parts[0].map((_, i) => i).filter((i) => !same(i));
  if (parts.every((p) => p.length === parts[0].length) && varying.length === 1 && varying[0] % 2 === 1) {
    const at = varying[0];
    const nums = parts.map((p) => Number(p[at]));
    return [...parts[0].slice(0, at), `${Math.min(...nums)}–${Math.max(...nums)}`, ...parts[0].slice(at + 1)].join("");
  }
  return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

/**
 * Groups `warnings` into problems. `layerOrder` is the model's layers in forward order (the report's
 * `model.layers` names): a problem's blamed layer is its earliest cause in that order.
 *
 * Causes, most fundamental first: a failed gradient check (a wrong backward rule makes every other
 * statistic suspect), a NaN/Inf, dead ReLUs (they cut the gradient to the layers before them: their
 * zero-gradient vanishing warnings and "too small" update ratios upstream are symptoms), vanishing
 * gradients and saturated sigmoid/tanh inputs (the "too small" update ratios of the same or earlier
 * layers are symptoms), gradients vanishing through time (a recurrent layer's first time steps get
 * almost nothing), exploding gradients across layers or through time (the "too large" update ratios, and
 * clipping active on every step, are symptoms), then update
 * ratios alone (a learning rate too small or too large). Loss symptoms attach to the first problem
 * that explains them: loss-not-decreasing to a vanishing/dead/too-small problem, else to any training
 * problem; loss-oscillating to an exploding/too-large problem; an inconclusive gradient check to a NaN
 * (a non-finite loss is what usually stops the check from judging). Whatever is left is a problem of its own.
 */
export function groupProblems(warnings: readonly Warning[], layerOrder: readonly string[] = []): Problem[] {
  const pos = (layer?: string) => {
    const i = layer ? layerOrder.indexOf(layer) : -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const used = new Set<number>();
  const groups: Array<{ family: Family | "alone"; causes: number[]; symptoms: number[] }> = [];
  const idx = (pred: (w: Warning, i: number) => boolean) =>
    warnings.map((w, i) => (used.has(i) || !pred(w, i) ? -1 : i)).filter((i) => i >= 0);
  const take = (family: Family, causes: number[], symptoms: number[] = []) => {
    if (!causes.length) return;
    for (const i of [...causes, ...symptoms]) used.add(i);
    groups.push({ family, causes, symptoms });
  };

  take("gradcheck", idx((w) => w.rule === "gradcheck-failed"));
  take("nan", idx((w) => w.rule === "nan-or-inf"));

  // Dead ReLUs: upstream layers that get no gradient or barely move are the dead units' doing.
  const dead = idx((w) => w.rule === "dead-relu");
  if (dead.length) {
    const lastDead = Math.max(...dead.map((i) => pos(warnings[i].layer)));
    take("dead", dead, idx((w) =>
      pos(w.layer) < lastDead && ((w.rule === "vanishing-gradient" && zeroGradient(w)) || (w.rule === "update-ratio" && direction(w) === "too-small"))));
  }

  const vanishing = idx((w) => w.rule === "vanishing-gradient" || w.rule === "saturated-activation");
  if (vanishing.length) {
    const deepest = Math.max(...vanishing.map((i) => pos(warnings[i].layer)));
    // Vanishing gradients are the cause when present; saturated inputs are then symptoms (and cause if alone).
    const causes = vanishing.filter((i) => warnings[i].rule === "vanishing-gradient");
    const roots = causes.length ? causes : vanishing;
    take("vanishing", roots, [
      ...vanishing.filter((i) => !roots.includes(i)),
      ...idx((w) => w.rule === "update-ratio" && direction(w) === "too-small" && (pos(w.layer) <= deepest || deepest === Number.MAX_SAFE_INTEGER)),
    ]);
  }

  // Through time (./timeRules.ts): a recurrent layer whose gradient vanishes over its time steps is a cause
  // of its own (the loss that does not decrease is its symptom); growth through time joins the exploding family.
  take("vanishing-time", idx((w) => w.rule === "vanishing-through-time"));
  // Attention layers whose queries and keys barely learn: one problem however many layers.
  take("attention", idx((w) => w.rule === "vanishing-query-key-gradient"));

  const exploding = idx((w) => w.rule === "exploding-gradient" || w.rule === "exploding-through-time");
  take("exploding", exploding, exploding.length ? idx((w) => w.rule === "update-ratio" && direction(w) === "too-large") : []);
  take("lr-small", idx((w) => w.rule === "update-ratio" && direction(w) === "too-small"));
  take("lr-large", idx((w) => w.rule === "update-ratio" && direction(w) === "too-large"));

  const attach = (rule: string, families: Family[]) => {
    for (const i of idx((w) => w.rule === rule)) {
      const g = families.map((f) => groups.find((x) => x.family === f)).find(Boolean);
      if (g) { g.symptoms.push(i); used.add(i); }
    }
  };
  attach("loss-not-decreasing", ["dead", "vanishing", "vanishing-time", "lr-small", "exploding", "lr-large", "nan"]);
  attach("loss-oscillating", ["exploding", "lr-large"]);
  // Clipping on every step is what exploding gradients look like once clipped.
  attach("clipping-always-active", ["exploding"]);
  attach("gradcheck-inconclusive", ["nan"]);

  for (const i of idx(() => true)) groups.push({ family: "alone", causes: [i], symptoms: [] });

  const problems = groups.map((g) => toProblem(g, warnings, pos));
  // Distinct ids even when two problems start at the same rule and layer.
  const seen = new Map<string, number>();
  for (const p of problems) {
    const n = seen.get(p.id) ?? 0;
    seen.set(p.id, n + 1);
    if (n) p.id = `${p.id}#${n + 1}`;
  }
  return problems.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
}

function toProblem(
  g: { family: Family | "alone"; causes: number[]; symptoms: number[] },
  warnings: readonly Warning[],
  pos: (layer?: string) => number,
): Problem {
  const causes = [...g.causes].sort((a, b) => pos(warnings[a].layer) - pos(warnings[b].layer) || a - b);
  const symptoms = [...g.symptoms].sort((a, b) => pos(warnings[a].layer) - pos(warnings[b].layer) || a - b);
  const first = warnings[causes[0]];
  const members = [...causes, ...symptoms].map((i) => warnings[i]);
  const severity = members.map((w) => w.severity).sort((a, b) => RANK[a] - RANK[b])[0];
  const layers = [...new Set(causes.map((i) => warnings[i].layer).filter((l): l is string => !!l))];
  const span = layerSpan(layers);
  const inSpan = span ? ` in ${span}` : "";
  const title = (() => {
    switch (g.family) {
      case "gradcheck": return `wrong backward rule${inSpan}`;
      case "nan": return `NaN/Inf${first.layer ? ` in ${first.layer}` : ""}${first.step !== undefined ? ` at step ${first.step}` : ""}`;
      case "dead": return `dead ReLUs${inSpan}`;
      case "vanishing": return first.rule === "vanishing-gradient" ? `vanishing gradients${inSpan}` : `saturated activations${inSpan}`;
      case "vanishing-time": return `vanishing gradients through time${inSpan}`;
      case "attention": {
        const attentions = causes.map((i) => (warnings[i].evidence as { attention?: unknown }).attention).filter((a): a is string => typeof a === "string");
        return `attention barely learning${attentions.length ? ` in ${layerSpan([...new Set(attentions)])}` : inSpan}`;
      }
      case "exploding": return first.rule === "exploding-through-time" ? `exploding gradients through time${inSpan}` : `exploding gradients${inSpan}`;
      case "lr-small": return `learning rate too small${inSpan ? ` for ${span}` : ""}`;
      case "lr-large": return `learning rate too large${inSpan ? ` for ${span}` : ""}`;
      default: return first.message;
    }
  })();
  const p: Problem = {
    id: `${first.rule}${first.layer ? `@${first.layer}` : ""}`,
    title,
    severity,
    rule: first.rule,
    causes,
    symptoms,
  };
  if (first.layer) p.layer = first.layer;
  if (first.location) p.location = first.location;
  if (first.hint) p.fix = first.hint;
  if (layers.length) p.layers = layers;
  return p;
}

/** A report's problems: its own, or (reports written before problems existed) grouped now from its warnings. */
export function problemsOf(report: { warnings: readonly Warning[]; problems?: Problem[]; model: { layers: ReadonlyArray<{ name: string }> } }): Problem[] {
  return report.problems ?? groupProblems(report.warnings, report.model.layers.map((l) => l.name));
}
