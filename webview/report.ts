/**
 * The report panel: "where to look first" (the tensors furthest from healthy), gradient flow as the
 * module tree, the grouped layers × steps heat map, loss curve, update ratios, per-layer histograms,
 * the gradient-check table, the warnings, and gradients through time. Live while a run runs (progress
 * points), complete at the end (the report). Charts are scaled to the recent window of recorded steps
 * (a select switches to all steps).
 */
import type { Chart } from "chart.js";
import type { ProgressPoint, RunSnapshot } from "../src/protocol/webview";
import type { GradcheckLayer, Report, Warning } from "../src/report";
import { gradcheckLayerStatus } from "../src/report";
import { h } from "./dom";
import { LiveView } from "./liveView";
import { logAxis, makeChart, palette } from "./charts";
import { gradcheckLayerBadge, gradcheckVerdict, lastHistogram, layerSeries, lossSeries } from "./derive";
import { Heatmap } from "./heatmap";
import { FlowTree } from "./flowTree";
import { ancestorsOf, defaultExpanded, gradientModel, groupRow, nodeOfLayer, tensorSeries, visibleRows, type GradientModel } from "./tensors";
import { triage, type TriageItem } from "./triage";
import { triageList } from "./triageList";
import { timeCards } from "./timeCards";
import { RECENT_STEPS, recentWindow, windowedPoints, windowStartStep, type WindowSize } from "./recent";
import { badge, basename, card, severityKind } from "./ui";
import { furthestFromHealthy } from "./derive";

/** Lines the update-ratio chart draws at most. */
const UPDATE_RATIO_LINES = 12;
import { sci } from "./format";
import { RULES } from "./explanations";
import { act } from "./host";
import { problemList } from "./problems";
import { problemsOf } from "../src/instrument/problems";
import { themeColors, withAlpha } from "./theme";
import type { SourceLocation } from "../src/report";

export { badge, basename } from "./ui";

export class ReportView extends LiveView {
  private flow?: FlowTree;
  private loss?: Chart<"line">;
  private heatmap?: Heatmap;
  private heatRows: string[] = [];
  private progressLabel?: HTMLElement;
  private progressBar?: HTMLElement & { value?: number; max?: number };
  /** How many recorded steps the charts are scaled to. */
  private windowSize: WindowSize = RECENT_STEPS;
  /** Open groups of the module tree, kept across redraws of the same model (`treeKey`). */
  private expanded = new Set<string>();
  private treeKey = "";
  private model?: GradientModel;

  protected render(): void {
    const t0 = performance.now();
    this.reset();
    this.flow = this.loss = undefined;
    this.heatmap = undefined;
    const s = this.snapshot;
    if (!s) {
      this.root.append(
        h("section", { class: "empty" },
          h("h1", {}, "Gradient Lens"),
          h("p", {}, "No run yet. Click “Check gradients” above a model exported with defineModel, or run a Gradient Lens command from the palette."),
          h("div", { class: "actions" }, button("Check gradients of a model…", () => act({ type: "run", command: "check" }))),
        ),
      );
      return;
    }
    const r = s.report;
    this.updateModel();
    this.root.append(this.header(s));
    if (s.error && s.phase !== "cancelled") {
      this.root.append(h("section", { class: "error-box", role: "alert" },
        h("strong", {}, `Run failed (${s.error.kind}): `), s.error.message,
        s.error.location ? h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); act({ type: "reveal", location: s.error!.location! }); } }, ` ${basename(s.error.location.file)}:${s.error.location.line}`) : null,
        s.error.stack ? h("pre", {}, s.error.stack) : null,
      ));
    }
    const grid = h("div", { class: "grid" });
    this.root.append(grid);

    // Where to look first, then gradient flow and the warnings: what to read before the charts.
    if (r && this.model) grid.append(this.triageCard(r, this.model));
    grid.append(this.flowCard(s));
    grid.append(card("Warnings", r ? warningsSubtitle(r) : "live", this.warnings(r), "warnings"));
    grid.append(card("Gradient check", r?.gradcheck ? gradcheckVerdict(r.gradcheck).label : "", this.gradcheck(r), "gradcheck"));
    grid.append(this.lossCard(s));
    if (r) {
      grid.append(this.updateRatioCard(s));
      grid.append(this.histogramCard(r));
    }
    const heat = new Heatmap({
      labelWidth: 170,
      valueLabel: this.model?.series.metric === "rms" ? "gradient RMS" : "‖g‖",
      onRowClick: (i) => {
        const path = this.heatRows[i];
        if (path !== undefined && this.model && !this.isLeaf(path)) this.toggle(path);
      },
    });
    this.heatmap = heat;
    grid.append(card("Gradient · modules × steps", "grouped like the tree: a group shows its worst member; click a group to open it", heat.element, "heatmap", true));
    this.updateHeatmap();
    if (r) for (const c of timeCards(r, (steps) => recentWindow(steps, this.lastStep(), this.windowSize), (location) => act({ type: "reveal", location }))) grid.append(c);
    // Draw time, for the end-to-end test and the size benchmark: the synchronous render, then the first frame after it.
    document.body.dataset.renderSyncMs = (performance.now() - t0).toFixed(1);
    requestAnimationFrame(() => setTimeout(() => (document.body.dataset.renderMs = (performance.now() - t0).toFixed(1)), 0));
  }

  /** Series, window, health and tree of the snapshot's tensors; the open groups reset when the tensors change. */
  private updateModel(): void {
    const s = this.snapshot;
    if (!s) return;
    const series = tensorSeries(s);
    const model = gradientModel(series, recentWindow(series.steps, this.lastStep(), this.windowSize), s.report?.warnings ?? []);
    const key = series.names.join("\n");
    if (key !== this.treeKey) {
      this.treeKey = key;
      this.expanded = defaultExpanded(model.root);
    }
    this.model = model;
  }

  /** The last training step of the run shown (recorded or not). */
  private lastStep(): number {
    const s = this.snapshot;
    const r = s?.report;
    if (r?.steps.length) return r.steps[r.steps.length - 1].step;
    return s?.progress.length ? s.progress[s.progress.length - 1].step : 0;
  }

  private isLeaf(path: string): boolean {
    return this.model?.series.names.includes(path) ?? false;
  }

  private toggle(path: string): void {
    if (this.expanded.has(path)) this.expanded.delete(path);
    else this.expanded.add(path);
    this.updateFlow();
    this.updateHeatmap();
  }

  /** Opens the tree down to a triage item's tensor (or its layer's group), selects it and scrolls to it. */
  private revealInTree(item: TriageItem): void {
    const m = this.model;
    if (!m) return;
    const path = item.tensor !== undefined ? item.name : nodeOfLayer(m.root, item.layer)?.path;
    if (!path) return;
    for (const a of ancestorsOf(m.root, path)) this.expanded.add(a);
    this.updateFlow();
    this.updateHeatmap();
    this.flow?.select(path);
  }

  private locations(): Map<string, SourceLocation> {
    const r = this.snapshot?.report;
    const out = new Map<string, SourceLocation>();
    if (!r) return out;
    for (const l of r.model.layers) if (l.location) out.set(l.name, l.location);
    // A group whose layers were all built on one line (a block constructed by the user) points there too.
    if (this.model) {
      const walk = (n: GradientModel["root"]) => {
        for (const c of n.children) {
          walk(c);
          if (out.has(c.path)) continue;
          const locs = [...new Set(c.members.map((i) => out.get(this.model!.series.layers[i])).filter((x) => x).map((x) => `${x!.file}:${x!.line}:${x!.column}`))];
          const first = out.get(this.model!.series.layers[c.members[0]]);
          if (locs.length === 1 && first) out.set(c.path, first);
        }
      };
      walk(this.model.root);
    }
    return out;
  }

  private triageCard(r: Report, m: GradientModel): HTMLElement {
    const items = triage(m.health, r.warnings, m.series.metric);
    const locs = this.locations();
    const list = triageList(items, (layer) => locs.get(layer), (item) => this.revealInTree(item), (location) => act({ type: "reveal", location }));
    return card("Where to look first", `${m.series.names.length} tensors, ranked by warning and distance from the median`, list, "triage", true);
  }

  /** The recent-window toggle: the charts scaled to the last RECENT_STEPS steps, or to all of them. */
  private windowToggle(steps: number): HTMLElement {
    const recent = this.windowSize !== "all";
    const b = button(recent ? `Scale to all ${steps} steps` : `Scale to the last ${RECENT_STEPS} steps`, () => {
      this.windowSize = recent ? "all" : RECENT_STEPS;
      this.render();
    }, false);
    b.id = "window-toggle";
    b.title = recent ? `The charts show the last ${RECENT_STEPS} steps, scaled to them` : "The charts show every step";
    return b;
  }


  private header(s: RunSnapshot): HTMLElement {
    const r = s.report;
    const running = s.phase === "running";
    const last = s.progress[s.progress.length - 1];
    this.progressLabel = h("span", { class: "muted", id: "progress-label" }, progressText(s, last));
    const bar = document.createElement("vscode-progress-bar") as HTMLElement & { value?: number; max?: number };
    bar.setAttribute("max", String(Math.max(1, s.totalSteps)));
    bar.setAttribute("value", String(last ? last.step + 1 : 0));
    this.progressBar = bar;
    const phase = { running: "running", done: "done", failed: "failed", cancelled: "stopped" }[s.phase];
    return h("header", { class: "report-header" },
      h("div", { class: "title-row" },
        h("h1", {}, s.model.name),
        badge(phase, s.phase === "failed" ? "error" : s.phase === "running" ? "info" : "ok"),
        h("span", { class: "muted" }, `${s.command === "check" ? "gradient check" : "train & inspect"} · ${basename(s.model.file)}${s.model.line ? `:${s.model.line}` : ""}`),
      ),
      r ? h("p", { class: "summary" }, summaryLine(r)) : null,
      h("div", { class: "actions" },
        running ? button("Stop", () => act({ type: "stop" }), false) : null,
        button("Check gradients", () => act({ type: "run", command: "check", model: s.model }), !running),
        button("Train & inspect", () => act({ type: "run", command: "train", model: s.model }), false),
        r ? button("Export JSON", () => act({ type: "export", format: "json" }), false) : null,
        r ? button("Export CSV", () => act({ type: "export", format: "csv" }), false) : null,
        r && r.steps.length > RECENT_STEPS ? this.windowToggle(r.steps.length) : null,
      ),
      running ? h("div", { class: "progress" }, bar, this.progressLabel) : null,
    );
  }

  private flowCard(s: RunSnapshot): HTMLElement {
    const flow = new FlowTree({ toggle: (path) => this.toggle(path), reveal: (location) => act({ type: "reveal", location }) });
    this.flow = flow;
    this.updateFlow();
    const m = this.model;
    const [a, b] = m?.window ?? [0, 0];
    const scope = m && m.series.steps.length ? (a === 0 && b === m.series.steps.length ? `all ${b} recorded steps` : `steps ${m.series.steps[a]}–${m.series.steps[b - 1]}`) : "";
    return card("Gradient flow", `${m?.series.metric === "rms" ? "gradient RMS" : "gradient norm"} per tensor, geometric mean over ${scope || "the run"} · click a group to open it${s.phase === "running" ? " · live" : ""}`, flow.element, "gradient-flow", true);
  }

  private updateFlow(): void {
    if (this.flow && this.model) this.flow.set(this.model, this.expanded, this.locations(), this.model.series.metric === "rms" ? "RMS" : "‖g‖");
  }

  private lossCard(s: RunSnapshot): HTMLElement {
    const t = themeColors();
    const { element, chart } = makeChart<"line">({
      type: "line",
      data: { datasets: [{ label: "loss", data: [], borderColor: t.blue, backgroundColor: withAlpha(t.blue, 0.15), pointRadius: 0, borderWidth: 1.5, fill: true }] },
      options: {
        parsing: false,
        scales: { x: { type: "linear", title: { display: true, text: "step" } }, y: { title: { display: true, text: "loss" } } },
        plugins: { legend: { display: false } },
      },
    }, 200);
    this.loss = chart;
    this.charts.push(chart);
    this.updateLoss();
    const val = s.report?.validation;
    return card("Loss", val ? `validation ${sci(val.loss, 3)}${val.accuracy !== undefined ? ` · acc ${(val.accuracy * 100).toFixed(1)}%` : ""}` : "", element, "loss");
  }

  private updateLoss(): void {
    if (!this.loss || !this.snapshot) return;
    const all = lossSeries(this.snapshot);
    const from = windowStartStep(this.model?.series.steps ?? [], this.lastStep(), this.windowSize);
    const { points, y } = windowedPoints(all, from);
    this.loss.data.datasets[0].data = points;
    const scale = this.loss.options.scales!.y!;
    scale.min = y?.[0];
    scale.max = y?.[1];
    this.loss.update();
  }

  /** Rows follow the tree's open groups (a group row shows its worst member at each step); columns are the window's steps. */
  private updateHeatmap(): void {
    if (!this.heatmap || !this.model) return;
    const m = this.model;
    const rows = visibleRows(m.root, this.expanded);
    const [a, b] = m.window;
    this.heatRows = rows.map((r) => r.node.path);
    this.heatmap.set({
      rows: rows.map((r) => `${"  ".repeat(r.depth)}${r.node.tensor === undefined ? (this.expanded.has(r.node.path) ? "▾ " : "▸ ") : ""}${r.node.label}`),
      columns: m.series.steps.slice(a, b),
      values: rows.map((r) => groupRow(r.node, m.series, m.stepMedians, a, b)),
    });
  }

  private updateRatioCard(s: RunSnapshot): HTMLElement {
    const t = themeColors();
    const full = layerSeries(s);
    const [a, b] = recentWindow(full.steps, this.lastStep(), this.windowSize);
    const window = { ...full, steps: full.steps.slice(a, b), updateRatio: full.updateRatio.map((row) => row.slice(a, b)) };
    // Many layers: the ones furthest from the healthy 1e-3 (a dozen lines stay readable).
    const shown = furthestFromHealthy(window.updateRatio, 1e-3, UPDATE_RATIO_LINES);
    const series = { ...window, layers: shown.map((i) => window.layers[i]), updateRatio: shown.map((i) => window.updateRatio[i]) };
    const colors = palette(t);
    const { element, chart } = makeChart<"line">({
      type: "line",
      data: {
        datasets: series.layers.map((name, i) => ({
          label: name,
          data: series.steps.map((x, j) => ({ x, y: series.updateRatio[i][j] > 0 ? series.updateRatio[i][j] : NaN })),
          borderColor: colors[i % colors.length],
          backgroundColor: colors[i % colors.length],
          pointRadius: 0,
          borderWidth: 1.2,
          // Past the palette's length, repeat colors dashed so every layer stays distinguishable.
          borderDash: i >= colors.length ? [5, 3] : undefined,
          spanGaps: true,
        })),
      },
      options: {
        parsing: false,
        scales: { x: { type: "linear", title: { display: true, text: "step" } }, y: logAxis("‖Δw‖ / ‖w‖") },
        plugins: { legend: { position: "bottom" } },
      },
    }, 240);
    this.charts.push(chart);
    const subtitle = shown.length < window.layers.length ? `healthy near 1e-3 · the ${shown.length} of ${window.layers.length} layers furthest from it` : "healthy near 1e-3";
    return card("Update ratio", subtitle, element, "update-ratio");
  }

  private histogramCard(r: Report): HTMLElement {
    const t = themeColors();
    const layers = layerSeries({ ...this.snapshot!, report: r }).layers;
    const select = document.createElement("vscode-single-select") as HTMLElement & { value: string };
    for (const name of layers) {
      const o = document.createElement("vscode-option");
      o.textContent = name;
      o.setAttribute("value", name);
      select.append(o);
    }
    const { element, chart } = makeChart<"bar">({
      type: "bar",
      data: { labels: [], datasets: [{ label: "entries", data: [], backgroundColor: t.purple, borderWidth: 0, barPercentage: 1, categoryPercentage: 1 }] },
      options: {
        scales: { x: { title: { display: true, text: "log₁₀ |g|" } }, y: { title: { display: true, text: "entries" } } },
        plugins: { legend: { display: false } },
      },
    }, 200);
    this.charts.push(chart);
    const note = h("p", { class: "muted" });
    const draw = (layer: string) => {
      const hist = lastHistogram(r, layer);
      if (!hist) {
        chart.data.labels = [];
        chart.data.datasets[0].data = [];
        note.textContent = `No histogram recorded for ${layer}.`;
      } else {
        const { edges, counts, zeros } = hist.histogram;
        chart.data.labels = counts.map((_, i) => ((edges[i] + edges[i + 1]) / 2).toFixed(1));
        chart.data.datasets[0].data = counts;
        note.textContent = `${layer} at step ${hist.step}${zeros ? ` · ${zeros} exact zeros (not shown)` : ""}`;
      }
      chart.update();
    };
    select.addEventListener("change", () => draw(select.value));
    if (layers.length) draw(layers[0]);
    return card("Gradient histogram", "", h("div", {}, select, note, element), "histograms");
  }

  private gradcheck(r: Report | undefined): HTMLElement {
    const g = r?.gradcheck;
    if (!g) return h("p", { class: "muted" }, r ? "No gradient check in this run." : "The check runs after the recorded steps.");
    const table = h("vscode-table", { "zebra": true, "bordered-rows": true, "columns": JSON.stringify(["34%", "16%", "26%", "24%"]), "id": "gradcheck-table" },
      h("vscode-table-header", { slot: "header" },
        ...["Layer", "Checked", "Max rel. error", "Result"].map((x) => h("vscode-table-header-cell", {}, x)),
      ),
      h("vscode-table-body", { slot: "body" },
        ...g.layers.map((l) => h("vscode-table-row", { "data-layer": l.name },
          h("vscode-table-cell", {}, l.name),
          h("vscode-table-cell", {}, String(l.checked)),
          h("vscode-table-cell", {}, belowResolution(l) ? "below FD resolution" : sci(l.maxRelError, 2)),
          h("vscode-table-cell", {}, resultBadge(l)),
        )),
      ),
    );
    const notes = [
      `mode ${g.mode} · eps ${sci(g.eps, 0)}${g.atol !== undefined ? ` · atol ${sci(g.atol, 0)}` : ""}${g.rtol !== undefined ? ` · rtol ${sci(g.rtol, 0)}` : ""}${g.durationMs !== undefined ? ` · ${g.durationMs.toFixed(0)} ms` : ""}`,
      ...(g.notes ?? []),
    ];
    const culprit = g.culprit
      ? h("p", { class: "error-text" }, `Culprit: the backward rule of “${g.culprit.op}”${g.culprit.layer ? ` in ${g.culprit.layer}` : ""} (inputs ${g.culprit.inputShapes.map((s) => `[${s.join("×")}]`).join(", ")})`)
      : null;
    const worst = h("div", { class: "worst" },
      ...g.layers.filter((l) => l.worst.length).map((l) => {
        const c = h("vscode-collapsible", { title: `${l.name} — worst entries`, class: "worst-entries" },
          h("table", { class: "plain" },
            h("thead", {}, h("tr", {}, ...["index", "analytic", "numeric", "rel. error", ""].map((x) => h("th", {}, x)))),
            h("tbody", {}, ...l.worst.map((e) => h("tr", {},
              h("td", {}, `[${e.index.join(", ")}]`),
              h("td", {}, sci(e.analytic, 4)),
              h("td", {}, sci(e.numeric, 4)),
              h("td", {}, sci(e.relError, 2)),
              h("td", {}, e.kink ? "kink" : e.passed === false ? "fail" : ""),
            ))),
          ),
        );
        if (gradcheckLayerStatus(l) === "failed") c.setAttribute("open", "");
        return c;
      }),
    );
    const verdict = gradcheckVerdict(g);
    const why = verdict.reason ? h("p", { class: "warn-text", "data-verdict": "inconclusive" }, `Inconclusive, not a failure: ${verdict.reason}`) : null;
    return h("div", {}, why, culprit, table, h("p", { class: "muted small" }, notes.join(" · ")), worst);
  }

  private warnings(r: Report | undefined): HTMLElement {
    if (!r) return h("p", { class: "muted" }, "Warnings appear when the run ends.");
    if (!r.warnings.length) return h("p", { class: "ok-text" }, "No warnings: gradients look healthy.");
    // Grouped by root cause: one item per problem, its symptoms expandable beneath.
    return problemList(r, warningItem, (location) => act({ type: "reveal", location }));
  }

  protected updateLive(): void {
    const s = this.snapshot;
    if (!s) return;
    const last = s.progress[s.progress.length - 1];
    if (this.progressLabel) this.progressLabel.textContent = progressText(s, last);
    if (this.progressBar && last) {
      this.progressBar.setAttribute("max", String(Math.max(1, s.totalSteps)));
      this.progressBar.setAttribute("value", String(last.step + 1));
    }
    this.updateLoss();
    if (last?.layers) {
      this.updateModel();
      this.updateFlow();
      this.updateHeatmap();
    }
  }
}

export function warningItem(w: Warning, loc: { file: string; line: number; column: number } | undefined, detailed: boolean, heading?: string): HTMLElement {
  const rule = RULES[w.rule];
  const reveal = () => loc && act({ type: "reveal", location: loc });
  const li = h("li", { class: `warning ${w.severity}`, "data-rule": w.rule, tabindex: loc ? 0 : undefined, role: loc ? "button" : undefined },
    h("div", { class: "warning-head" },
      badge(w.severity, severityKind(w.severity)),
      h("strong", {}, heading ?? rule?.title ?? w.rule),
      w.layer && !heading?.includes(w.layer) ? h("span", { class: "layer" }, w.layer) : null,
      w.step !== undefined ? h("span", { class: "muted" }, `step ${w.step}`) : null,
      loc ? h("span", { class: "link" }, `${basename(loc.file)}:${loc.line}`) : null,
    ),
    h("div", { class: "warning-message" }, w.message),
    detailed && rule ? h("div", { class: "muted small" }, rule.explanation) : null,
    detailed ? h("div", { class: "fix" }, h("span", { class: "fix-label" }, "Suggested fix: "), w.hint ?? rule?.fix ?? "") : null,
  );
  if (loc) {
    li.addEventListener("click", reveal);
    li.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Enter") reveal();
    });
    li.title = `Go to ${loc.file}:${loc.line}`;
  }
  return li;
}

export function button(label: string, onClick: () => void, primary = true): HTMLElement {
  const b = h("vscode-button", { secondary: !primary }, label);
  b.addEventListener("click", onClick);
  return b;
}

/** "7" when every warning is its own problem, else "1 problem · 7 warnings". */
function warningsSubtitle(r: Report): string {
  const n = problemsOf(r).length;
  return n === r.warnings.length ? `${n}` : `${n} problem${n === 1 ? "" : "s"} · ${r.warnings.length} warnings`;
}

function resultBadge(l: GradcheckLayer): HTMLElement {
  const b = gradcheckLayerBadge(l);
  return badge(b.text, b.kind);
}

function summaryLine(r: Report): string {
  const parts = [`${r.model.parameters.toLocaleString()} parameters`, `${r.model.layers.length} layers`, `${r.steps.length} steps`];
  // A log schedule, or a long run's compacted report (src/instrument/compact.ts), keeps per-layer statistics on some steps only.
  const detailed = r.steps.filter((st) => st.layers.length).length;
  if (detailed && detailed < r.steps.length) parts.push(`per-layer statistics on ${detailed} of them`);
  if (r.status?.durationMs !== undefined) parts.push(`${(r.status.durationMs / 1000).toFixed(1)} s`);
  if (r.timing) parts.push(`recording overhead ${(r.timing.overhead * 100).toFixed(0)}%`);
  return parts.join(" · ");
}

function progressText(s: RunSnapshot, last: ProgressPoint | undefined): string {
  if (!last) return "starting…";
  return `step ${last.step + 1}/${s.totalSteps || "?"} · loss ${sci(last.loss, 3)}${last.accuracy !== undefined ? ` · acc ${(last.accuracy * 100).toFixed(0)}%` : ""}`;
}

/** True when every checked entry of a layer is below what central differences resolve (its max rel. error says nothing). */
function belowResolution(l: { checked: number; tensors?: Array<{ negligible?: number }> }): boolean {
  const negligible = (l.tensors ?? []).reduce((a, t) => a + (t.negligible ?? 0), 0);
  return l.checked > 0 && negligible >= l.checked;
}
