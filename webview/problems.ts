/**
 * The report's warnings section as problems: each problem (warnings grouped by root cause) is one item
 * with its title, the first cause's message, the blamed line and one fix; its other warnings sit
 * beneath in a collapsed <details> ("N symptoms"). A problem of one warning is that warning's own item,
 * headed by the problem's title.
 * Text only (built with `h`, never innerHTML): titles and messages carry names from user code.
 */
import type { Problem, Report, SourceLocation, Warning } from "../src/report";
import { problemsOf } from "../src/instrument/problems";
import { h } from "./dom";

/** Renders one warning; `heading`, when given, replaces the rule's title (a lone warning's problem title). */
export type WarningRenderer = (w: Warning, loc: SourceLocation | undefined, detailed: boolean, heading?: string) => HTMLElement;

const basename = (f: string) => f.split(/[\\/]/).pop() ?? f;

export function problemList(
  r: Report,
  renderWarning: WarningRenderer,
  reveal: (loc: SourceLocation) => void,
  options: { detailed: boolean; listClass?: string } = { detailed: true },
): HTMLElement {
  const layerLoc = new Map(r.model.layers.map((l) => [l.name, l.location]));
  const locOf = (w: Warning) => w.location ?? (w.layer ? layerLoc.get(w.layer) : undefined);
  const items = problemsOf(r).map((p) => {
    const members = [...p.causes, ...p.symptoms].filter((i) => r.warnings[i]);
    if (members.length === 1) {
      // A problem of one warning is that warning, headed by the problem's name ("vanishing gradients
      // through time in layers.0") as grouped problems are — unless the name is only its message again.
      const w = r.warnings[members[0]];
      const item = renderWarning(w, locOf(w), options.detailed, p.title !== w.message ? p.title : undefined);
      item.setAttribute("data-problem", p.id);
      return item;
    }
    return problemItem(p, r.warnings, locOf, renderWarning, reveal, options.detailed);
  });
  return h("ul", { class: `warning-list problem-list${options.listClass ? ` ${options.listClass}` : ""}` }, ...items);
}

function problemItem(
  p: Problem,
  warnings: readonly Warning[],
  locOf: (w: Warning) => SourceLocation | undefined,
  renderWarning: WarningRenderer,
  reveal: (loc: SourceLocation) => void,
  detailed: boolean,
): HTMLElement {
  const first = warnings[p.causes[0]];
  const loc = p.location ?? locOf(first);
  const others = [...p.causes.slice(1), ...p.symptoms].map((i) => warnings[i]).filter(Boolean);
  const otherCauses = p.causes.length - 1;
  const label = [
    otherCauses ? `${otherCauses} more layer${otherCauses === 1 ? "" : "s"}` : "",
    p.symptoms.length ? `${p.symptoms.length} symptom${p.symptoms.length === 1 ? "" : "s"}` : "",
  ].filter(Boolean).join(", ");
  const details = h("details", { class: "problem-symptoms" },
    h("summary", {}, label),
    h("ul", { class: "warning-list symptom-list compact" }, ...others.map((w) => renderWarning(w, locOf(w), false))),
  );
  // Clicks inside the symptoms (expanding them, opening a symptom's line) are not clicks on the problem.
  details.addEventListener("click", (e) => e.stopPropagation());
  details.addEventListener("keydown", (e) => e.stopPropagation());
  const severityClass = p.severity === "error" ? "error" : p.severity === "warning" ? "warn" : "info";
  const li = h("li", { class: `warning problem ${p.severity}`, "data-rule": p.rule, "data-problem": p.id, tabindex: loc ? 0 : undefined, role: loc ? "button" : undefined },
    h("div", { class: "warning-head" },
      h("span", { class: `pill ${severityClass}` }, p.severity),
      h("strong", {}, p.title),
      h("span", { class: "muted" }, `${others.length + 1} warnings`),
      loc ? h("span", { class: "link" }, `${basename(loc.file)}:${loc.line}`) : null,
    ),
    h("div", { class: "warning-message" }, first.message),
    detailed && p.fix ? h("div", { class: "fix" }, h("span", { class: "fix-label" }, "Suggested fix: "), p.fix) : null,
    details,
  );
  if (loc) {
    li.addEventListener("click", () => reveal(loc));
    li.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Enter") reveal(loc);
    });
    li.title = `Go to ${loc.file}:${loc.line}`;
  }
  return li;
}
