/**
 * The report panel's overlay of two runs, above the report: gradient flow, loss and update ratios of
 * both on one chart each ("this run" and "other: <model> <date>"), and the problems and warnings only
 * one of them has. Without a comparison it is one line offering the runs kept in history (asked of
 * the host with `listRuns`, one loaded with `loadRun`). Text only (built with `h`): names and layer
 * names come from user code.
 */
import type { Chart } from "chart.js";
import type { ComparedRun, RunSnapshot } from "../src/protocol/webview";
import { isComparedRun } from "../src/protocol/webview";
import { comparedPart } from "../src/compare";
import { h, clear } from "./dom";
import { hatch, logAxis, makeChart } from "./charts";
import { overlay, pickable, type Overlay, type WarningKey } from "./compareData";
import { RULES } from "./explanations";
import { request } from "./host";
import { sci } from "./format";
import { legible, themeColors, type ThemeColors } from "./theme";

export interface ComparisonState {
  a: ComparedRun;
  b: ComparedRun;
}

/** A comparison saved in the page's state, if it is one. */
export function savedComparison(v: unknown): ComparisonState | null {
  if (typeof v !== "object" || v === null) return null;
  const { a, b } = v as { a?: unknown; b?: unknown };
  return isComparedRun(a) && isComparedRun(b) ? { a, b } : null;
}

export class CompareView {
  readonly element: HTMLElement;
  private pair: ComparisonState | null = null;
  private current: RunSnapshot | null = null;
  private charts: Chart[] = [];
  /** Set while the picker is open: the runs offered. */
  private offered: Array<{ id: string; label: string }> | undefined;
  private message = "";

  /** @param onChange called when the comparison shown changes (the page saves its state). */
  constructor(private readonly onChange: () => void) {
    this.element = h("section", { id: "compare", class: "compare" });
  }

  /** Overlays run `b` on run `a`. */
  show(a: ComparedRun, b: ComparedRun): void {
    this.pair = { a, b };
    this.offered = undefined;
    this.render();
    this.onChange();
    window.scrollTo(0, 0);
  }

  close(): void {
    this.pair = null;
    this.render();
    this.onChange();
  }

  /** The run the report shows: "this run" of the picker. */
  setCurrent(snapshot: RunSnapshot | null): void {
    const changed = snapshot?.runId !== this.current?.runId || snapshot?.phase !== this.current?.phase;
    this.current = snapshot;
    if (changed && !this.pair) {
      this.offered = undefined;
      this.message = "";
      this.render();
    }
  }

  getState(): ComparisonState | null {
    return this.pair;
  }

  setState(state: ComparisonState | null): void {
    this.pair = state;
    this.render();
  }

  rerender(): void {
    this.render();
  }

  private render(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    clear(this.element);
    if (this.pair) this.renderOverlay(overlay(this.pair.a, this.pair.b));
    else this.renderPicker();
  }

  // ── without a comparison: the picker line ──────────────────────────────────────────────────

  private renderPicker(): void {
    const s = this.current;
    this.element.className = "compare compare-idle";
    if (!s?.report || s.phase === "running") return;
    const line = h("div", { class: "compare-picker" });
    if (!this.offered) {
      line.append(button("Compare with…", () => void this.openPicker(), "compare-open"));
    } else if (!this.offered.length) {
      line.append(h("span", { class: "muted" }, "No other run kept yet: run a model again, or use “Gradient Lens: Compare with…” to open a report file."));
    } else {
      const select = document.createElement("vscode-single-select") as HTMLElement & { value: string };
      select.id = "compare-select";
      select.append(option("", "Compare this run with…"));
      for (const r of this.offered) select.append(option(r.id, r.label));
      select.addEventListener("change", () => select.value && void this.loadOther(select.value));
      line.append(select, button("Cancel", () => { this.offered = undefined; this.render(); }, "compare-cancel"));
    }
    if (this.message) line.append(h("span", { class: "muted" }, this.message));
    this.element.append(line);
  }

  private async openPicker(): Promise<void> {
    const outcome = await request({ type: "listRuns" });
    if (outcome.status !== "ok" || outcome.result?.kind !== "runs") return;
    const s = this.current;
    this.offered = pickable(outcome.result.runs, s ? { file: s.model.file, exportName: s.model.exportName, startedAt: s.startedAt } : undefined);
    this.render();
  }

  private async loadOther(id: string): Promise<void> {
    const s = this.current;
    if (!s?.report) return;
    this.message = "loading…";
    this.render();
    const outcome = await request({ type: "loadRun", id });
    this.message = "";
    if (outcome.status !== "ok" || outcome.result?.kind !== "run") {
      this.render(); // the refusal's reason is shown above
      return;
    }
    this.show({ name: s.model.name, date: s.startedAt, source: "current", report: comparedPart(s.report) }, outcome.result.run);
  }

  // ── the overlay ─────────────────────────────────────────────────────────────────────────────

  private renderOverlay(o: Overlay): void {
    const t = themeColors();
    // Each series at least 3:1 against the page (the theme's orange is not, on Light Modern's white).
    const colors = { a: legible(t.blue, t.background), b: legible(t.orange, t.background) };
    this.element.className = "compare compare-active";
    this.element.append(
      h("header", { class: "compare-head" },
        h("h2", {}, "Compare runs", h("span", { class: "muted subtitle" }, o.basis)),
        button("Close comparison", () => this.close(), "compare-close"),
      ),
      h("ul", { class: "compare-legend" },
        legendItem(colors.a, o.labels.a, o.titles.a, "a"),
        legendItem(colors.b, "other", o.titles.b, "b", true),
      ),
    );
    const grid = h("div", { class: "grid" });
    // The three charts side by side where the panel is wide, the difference in warnings beneath them.
    grid.append(
      this.barCard("compare-flow", "Gradient flow", "median ‖g‖ per layer, log scale", o, o.gradNorm, "gradient norm ‖g‖", colors, t),
      this.barCard("compare-update-ratio", "Update ratio", "median ‖Δw‖/‖w‖ per layer · healthy near 1e-3", o, o.updateRatio, "‖Δw‖ / ‖w‖", colors, t),
      this.lossCard(o, colors, t),
      this.differenceCard(o),
    );
    this.element.append(grid);
  }

  private barCard(id: string, title: string, subtitle: string, o: Overlay, values: Overlay["gradNorm"], axis: string, colors: { a: string; b: string }, t: ThemeColors): HTMLElement {
    const { element, chart } = makeChart<"bar">({
      type: "bar",
      data: {
        labels: o.layers,
        datasets: [
          { label: o.labels.a, data: values.a as number[], backgroundColor: colors.a, borderColor: colors.a, borderWidth: 0 },
          // The other run hatched and outlined as well as colored: told apart without color too.
          { label: o.labels.b, data: values.b as number[], backgroundColor: hatch(colors.b), borderColor: colors.b, borderWidth: 1.5 },
        ],
      },
      options: {
        scales: { y: logAxis(axis), x: { title: { display: true, text: "layer (input → output)" } } },
        plugins: {
          legend: { position: "bottom", labels: { color: t.foreground } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${sci(c.parsed.y as number, 3)}` } },
        },
      },
    }, 260);
    this.charts.push(chart);
    return chartCard(id, title, subtitle, element, chart);
  }

  private lossCard(o: Overlay, colors: { a: string; b: string }, t: ThemeColors): HTMLElement {
    const { element, chart } = makeChart<"line">({
      type: "line",
      data: {
        datasets: [
          { label: o.labels.a, data: o.loss.a, borderColor: colors.a, backgroundColor: colors.a, pointRadius: 0, borderWidth: 1.5 },
          { label: o.labels.b, data: o.loss.b, borderColor: colors.b, backgroundColor: colors.b, pointRadius: 0, borderWidth: 2, borderDash: [6, 3] },
        ],
      },
      options: {
        parsing: false,
        scales: { x: { type: "linear", title: { display: true, text: "step" } }, y: { title: { display: true, text: "loss" } } },
        plugins: { legend: { position: "bottom", labels: { color: t.foreground } } },
      },
    }, 260);
    this.charts.push(chart);
    const last = (xs: Array<{ y: number }>) => xs.length ? sci(xs[xs.length - 1].y, 3) : "—";
    return chartCard("compare-loss", "Loss", `last: this run ${last(o.loss.a)} · other ${last(o.loss.b)}`, element, chart);
  }

  private differenceCard(o: Overlay): HTMLElement {
    const w = o.warnings, p = o.problems;
    const body = h("div", { class: "compare-diff" },
      diffGroup("onlyA", "Only in this run", p.onlyA, w.onlyA),
      diffGroup("onlyB", "Only in the other run", p.onlyB, w.onlyB),
      diffGroup("both", "In both", p.both, w.both),
    );
    const counts = `problems ${p.onlyA.length} / ${p.onlyB.length} / ${p.both.length} · warnings ${w.onlyA.length} / ${w.onlyB.length} / ${w.both.length} (only this run / only the other / both)`;
    return h("section", { class: "card wide", id: "compare-warnings" },
      h("h2", {}, "Problems and warnings", h("span", { class: "muted subtitle" }, counts)),
      body,
    );
  }
}

function diffGroup(side: "onlyA" | "onlyB" | "both", title: string, problems: string[], warnings: WarningKey[]): HTMLElement {
  const items = [
    ...problems.map((t) => h("li", { class: "warning problem", "data-kind": "problem" }, h("strong", {}, t))),
    ...warnings.map((k) => h("li", { class: `warning ${k.severity ?? ""}`, "data-kind": "warning", "data-rule": k.rule },
      h("span", {}, RULES[k.rule]?.title ?? k.rule),
      k.layer ? h("span", { class: "layer" }, ` · ${k.layer}`) : null,
    )),
  ];
  return h("div", { class: "compare-group", "data-side": side },
    h("h3", {}, `${title} (${problems.length} problem${problems.length === 1 ? "" : "s"}, ${warnings.length} warning${warnings.length === 1 ? "" : "s"})`),
    items.length ? h("ul", { class: "warning-list compact" }, ...items) : h("p", { class: "muted small" }, "none"),
  );
}

function chartCard(id: string, title: string, subtitle: string, element: HTMLElement, chart: Chart): HTMLElement {
  const card = h("section", { class: "card", id },
    h("h2", {}, title, subtitle ? h("span", { class: "muted subtitle" }, subtitle) : null),
    element,
  );
  // What the canvas draws, for tests and screen readers.
  const labels = chart.data.datasets.map((d) => String(d.label ?? ""));
  card.dataset.datasets = String(labels.length);
  card.dataset.labels = JSON.stringify(labels);
  // Each series' line or outline color, for tests of its contrast with the page.
  card.dataset.colors = JSON.stringify(chart.data.datasets.map((d) => String(d.borderColor ?? "")));
  element.setAttribute("role", "img");
  element.setAttribute("aria-label", `${title}: ${labels.join(" and ")}`);
  return card;
}

function legendItem(color: string, label: string, title: string, side: "a" | "b", hatched = false): HTMLElement {
  const swatch = h("span", { class: "compare-swatch" });
  // CSSOM, allowed by the CSP; the other run's swatch striped like its bars.
  swatch.style.background = hatched ? `repeating-linear-gradient(135deg, ${color} 0 2px, transparent 2px 4px)` : color;
  if (hatched) swatch.style.borderColor = color;
  return h("li", { "data-side": side }, swatch, h("strong", {}, label), h("span", { class: "muted" }, ` ${title}`));
}

function button(label: string, onClick: () => void, id: string): HTMLElement {
  const b = h("vscode-button", { secondary: true, id }, label);
  b.addEventListener("click", onClick);
  return b;
}

function option(value: string, label: string): HTMLElement {
  const o = document.createElement("vscode-option");
  o.setAttribute("value", value);
  o.textContent = label;
  return o;
}
