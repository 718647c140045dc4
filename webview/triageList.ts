/**
 * The "Where to look first" list: one line per tensor far from healthy, most severe first. A click
 * reveals the tensor in the flow tree; its file:line opens the source.
 */
import type { SourceLocation } from "../src/report";
import { h } from "./dom";
import { badge, basename, severityKind } from "./ui";
import type { TriageItem } from "./triage";

export function triageList(
  items: TriageItem[],
  locationOf: (layer: string) => SourceLocation | undefined,
  revealInTree: (item: TriageItem) => void,
  openSource: (loc: SourceLocation) => void,
): HTMLElement {
  if (!items.length) return h("p", { class: "ok-text", id: "triage-empty" }, "Nothing stands out: every tensor is within 10× of the model's median and no layer has a warning.");
  return h("ol", { class: "triage-list", id: "triage-list" }, ...items.map((item, rank) => {
    const loc = locationOf(item.layer);
    const li = h("li", { class: `triage-item ${item.severity ?? "none"}`, tabindex: 0, role: "button", "data-name": item.name, title: `Show ${item.name} in the gradient-flow tree` },
      h("span", { class: "rank muted" }, `${rank + 1}`),
      item.severity ? badge(item.severity, severityKind(item.severity)) : badge("outlier", "info"),
      h("span", { class: "mono triage-name" }, item.name),
      h("span", { class: "triage-reason" }, item.reason),
      loc ? h("a", { href: "#", class: "loc", title: `Go to ${loc.file}:${loc.line}` }, `${basename(loc.file)}:${loc.line}`) : null,
    );
    const activate = (e: Event) => {
      if ((e.target as HTMLElement).closest("a.loc") && loc) {
        e.preventDefault();
        openSource(loc);
      } else revealInTree(item);
    };
    li.addEventListener("click", activate);
    li.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Enter") activate(e);
    });
    return li;
  }));
}
