/**
 * Gradient flow as the module tree: one row per group (its worst member's bar, the member's name and
 * ratio to the median, the most severe warning under it) or per tensor; a click on a group opens it.
 * Bars are on a log scale spanning the window's tensors, with a tick at the median. With 200+ tensors
 * the tree starts collapsed to the top groups, so it stays a screenful.
 */
import type { SourceLocation } from "../src/report";
import { h } from "./dom";
import { sci } from "./format";
import { badge, basename, severityKind } from "./ui";
import { visibleRows, type GradientModel, type TensorHealth, type TreeNode } from "./tensors";
import { ratioText } from "./triage";

export interface FlowTreeHost {
  /** Open or close a group (the view redraws the tree and the heat map). */
  toggle(path: string): void;
  /** Open a source line. */
  reveal(location: SourceLocation): void;
}

export class FlowTree {
  readonly element: HTMLElement;
  private selected?: string;

  constructor(private readonly host: FlowTreeHost) {
    this.element = h("div", { class: "flow-tree", role: "tree", id: "flow-tree" });
  }

  /** Draws the rows `expanded` shows; `locations` maps layer names to their source lines. */
  set(model: GradientModel, expanded: ReadonlySet<string>, locations: ReadonlyMap<string, SourceLocation>, metric: string): void {
    const { health } = model;
    const logs = health.filter((t) => t.status === "ok").map((t) => Math.log10(t.value));
    const lo = logs.length ? Math.min(...logs) : 0;
    const hi = logs.length ? Math.max(...logs) : 1;
    const span = hi - lo > 1e-9 ? hi - lo : 1;
    const pos = (v: number) => Math.max(0.02, Math.min(1, (Math.log10(v) - lo) / span + 0.02));
    const rows = visibleRows(model.root, expanded).map(({ node, depth }) => this.row(model, node, depth, expanded, locations, pos));
    const medianTick = Number.isFinite(model.median) ? pos(model.median) : undefined;
    this.element.replaceChildren(
      h("div", { class: "tree-head muted small" },
        h("span", {}, "module / tensor"),
        h("span", { title: `log scale from ${sci(10 ** lo, 1)} to ${sci(10 ** hi, 1)}; the tick is the median tensor's ${sci(model.median, 1)}` }, `${metric} · log scale · tick = median`),
        h("span", {}, metric),
        h("span", {}, "worst member · × median"),
        h("span", {}, ""),
      ),
      ...rows,
      h("div", { class: "tree-foot muted small" }, `Bars from ${sci(10 ** lo, 1)} to ${sci(10 ** hi, 1)} (log scale); the tick marks the median tensor (${sci(model.median, 1)}). A group shows its member furthest from the median; purple: ≥ 10× under it, orange: ≥ 10× over, red: NaN/∞.`),
    );
    if (medianTick !== undefined) this.element.querySelectorAll<HTMLElement>(".bar-median").forEach((tick) => (tick.style.left = `${(medianTick * 100).toFixed(1)}%`));
  }

  /** Marks a row as selected and scrolls it into view (after the view opened its ancestors). */
  select(path: string): void {
    this.selected = path;
    this.element.querySelectorAll<HTMLElement>(".tree-row").forEach((el) => el.classList.toggle("selected", el.dataset.path === path));
    this.element.querySelector<HTMLElement>(`.tree-row.selected`)?.scrollIntoView({ block: "nearest" });
  }

  private row(model: GradientModel, node: TreeNode, depth: number, expanded: ReadonlySet<string>, locations: ReadonlyMap<string, SourceLocation>, pos: (v: number) => number): HTMLElement {
    const summary = model.summaries.get(node.path)!;
    const group = node.tensor === undefined;
    const open = expanded.has(node.path);
    const worst: TensorHealth | undefined = summary.worst !== undefined ? model.health[summary.worst] : undefined;
    const shown = group ? worst : model.health[node.tensor!];
    const fill = h("span", { class: `bar-fill ${shown ? statusClass(shown) : ""}` });
    if (shown?.status === "ok") fill.style.width = `${(pos(shown.value) * 100).toFixed(1)}%`;
    else if (shown?.status === "non-finite") fill.style.width = "100%";
    const loc = locations.get(node.path);
    const label = h("span", { class: "tree-label" },
      h("span", { class: "twisty", "aria-hidden": "true" }, group ? (open ? "▾" : "▸") : ""),
      h("span", { class: "name" }, node.label),
      group ? h("span", { class: "muted small count-note" }, ` ${node.members.length}`) : null,
    );
    label.style.paddingLeft = `${depth * 14}px`;
    const note = group && worst
      ? h("span", { class: "tree-note", title: `${worst.name}: ${deviationText(worst)} the median` }, h("span", { class: "mono member" }, relativeName(worst.name, node.path)), h("span", { class: "ratio" }, deviationText(worst)))
      : h("span", { class: "tree-note", title: shown?.reason }, h("span", { class: "ratio" }, shown ? deviationText(shown) : "not recorded"));
    const row = h("div", {
      class: `tree-row ${group ? "group" : "leaf"}${this.selected === node.path ? " selected" : ""}`,
      role: "treeitem", tabindex: 0, "data-path": node.path, "aria-level": depth + 1, "aria-expanded": group ? String(open) : undefined,
      title: node.path,
    },
      label,
      h("span", { class: "tree-bar" }, fill, h("span", { class: "bar-median" })),
      h("span", { class: "tree-value mono" }, shown?.status === "ok" ? sci(shown.value, 1) : shown?.status === "zero" || shown?.status === "zero-by-design" ? "0" : shown?.status === "non-finite" ? "NaN/∞" : "—"),
      note,
      h("span", { class: "tree-end" },
        summary.severity ? badge(`${summary.warnings.length} ${summary.severity}${summary.warnings.length === 1 ? "" : "s"}`, severityKind(summary.severity)) : null,
        loc ? h("a", { href: "#", class: "loc", title: `Go to ${loc.file}:${loc.line}` }, `${basename(loc.file)}:${loc.line}`) : null,
      ),
    );
    const activate = (e: Event) => {
      if ((e.target as HTMLElement).closest("a.loc") && loc) {
        e.preventDefault();
        this.host.reveal(loc);
      } else if (group) this.host.toggle(node.path);
      else if (loc) this.host.reveal(loc);
    };
    row.addEventListener("click", activate);
    row.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Enter") activate(e);
    });
    return row;
  }
}

function statusClass(t: TensorHealth): string {
  if (t.status === "non-finite") return "bad";
  if (t.status === "zero") return "low";
  if (t.status !== "ok") return "";
  return t.deviation <= -1 ? "low" : t.deviation >= 1 ? "high" : "";
}

function deviationText(t: TensorHealth): string {
  if (t.status === "non-finite") return "non-finite gradient";
  if (t.status === "zero") return "gradient exactly zero";
  if (t.status === "missing") return "not recorded";
  if (t.status === "zero-by-design") return "zero by design";
  return `${ratioText(t.deviation)}`;
}

/** A member's name below its group: "layers.3.selfAttn.qProj.weight" under "layers.3" → "selfAttn.qProj.weight". */
function relativeName(name: string, group: string): string {
  return group && name.startsWith(`${group}.`) ? name.slice(group.length + 1) : name;
}
