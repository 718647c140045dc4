/**
 * `gradient-lens compare a.json b.json`: the comparison of src/compare.ts (per-layer b/a ratios of
 * gradient norm and update ratio, loss, warnings and problems in one run only) as a terminal table.
 */
import { eng, style, table, type FormatOptions } from "./format";
import type { Comparison } from "../compare";

export { compareReports, type Comparison, type LayerComparison } from "../compare";

const x = (v?: number) => (v === undefined ? "—" : `${eng(v)}×`);

/** The comparison for a terminal. Strings from the reports must be sanitized by the caller. */
export function formatComparison(c: Comparison, names: { a: string; b: string }, options: FormatOptions = {}): string {
  const st = style(options.color ?? false);
  const basis = c.basis === "matching-steps"
    ? `medians over ${c.steps!.length} matching recorded step${c.steps!.length === 1 ? "" : "s"}`
    : "medians over each run's recorded steps (no step numbers in common)";
  const parts = [`${st.bold("a")} ${names.a}\n${st.bold("b")} ${names.b}\n${st.dim(`per layer: b vs a, ${basis}`)}`];
  parts.push(table(
    ["layer", "grad norm a", "grad norm b", "b/a", "update ratio a", "update ratio b", "b/a"],
    c.layers.map((l) => [l.name, eng(l.gradNormA), eng(l.gradNormB), x(l.gradNormRatio), eng(l.updateRatioA), eng(l.updateRatioB), x(l.updateRatioRatio)]),
    ["left", "right", "right", "right", "right", "right", "right"],
    st,
  ));
  parts.push(`loss  a ${eng(c.loss.firstA)} → ${eng(c.loss.lastA)}   b ${eng(c.loss.firstB)} → ${eng(c.loss.lastB)}`);
  const list = (title: string, d: { onlyA: string[]; onlyB: string[]; both: string[] }) => {
    const lines = [`${title}: ${d.onlyA.length} only in a, ${d.onlyB.length} only in b, ${d.both.length} in both`];
    for (const s of d.onlyA) lines.push(`  ${st.dim("only a")}  ${s}`);
    for (const s of d.onlyB) lines.push(`  ${st.dim("only b")}  ${s}`);
    return lines.join("\n");
  };
  parts.push(list("problems", c.problems));
  parts.push(list("warnings", c.warnings));
  return parts.join("\n\n");
}
