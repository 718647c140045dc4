/**
 * The report panel: gradient flow (one bar per layer, log scale), layers × steps heat map, loss curve,
 * update ratios, per-layer histograms, the gradient-check table and the warnings. Live while a run
 * runs (progress points), complete at the end (the report).
 */
import type { Chart } from "chart.js";
import type { ProgressPoint, RunSnapshot } from "../src/protocol/webview";
import type { GradcheckLayer, Report, Warning } from "../src/report";
import { gradcheckLayerStatus } from "../src/report";
import { h } from "./dom";
import { LiveView } from "./liveView";
import { logAxis, makeChart, palette } from "./charts";
import { gradcheckLayerBadge, gradcheckVerdict, gradientFlow, lastHistogram, layerSeries, lossSeries } from "./derive";
import { Heatmap } from "./heatmap";
import { sci } from "./format";
import { RULES } from "./explanations";
import { act } from "./host";
import { problemList } from "./problems";
import { problemsOf } from "../src/instrument/problems";
import { themeColors, withAlpha } from "./theme";

export class ReportView extends LiveView {
  private flow?: GradientFlowChart;
  private loss?: Chart<"line">;
  private heatmap?: Heatmap;
  private progressLabel?: HTMLElement;
  private progressBar?: HTMLElement & { value?: number; max?: number };

  protected render(): void {
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

    // Gradient flow + warnings side by side: the two things to look at first.
    grid.append(this.flowCard(s));
    grid.append(card("Warnings", r ? warningsSubtitle(r) : "live", this.warnings(r), "warnings"));
    grid.append(card("Gradient check", r?.gradcheck ? gradcheckVerdict(r.gradcheck).label : "", this.gradcheck(r), "gradcheck"));
    grid.append(this.lossCard(s));
    if (r) {
      grid.append(this.updateRatioCard(s));
      grid.append(this.histogramCard(r));
    }
    const heat = new Heatmap();
    this.heatmap = heat;
    grid.append(card("Gradient norms · layers × steps", "", heat.element, "heatmap", true));
    this.updateHeatmap();
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
      ),
      running ? h("div", { class: "progress" }, bar, this.progressLabel) : null,
    );
  }

  private flowCard(s: RunSnapshot): HTMLElement {
    const flagged = new Set((s.report?.warnings ?? []).filter((w) => w.rule === "vanishing-gradient" || w.rule === "exploding-gradient").map((w) => w.layer));
    const flow = new GradientFlowChart(flagged);
    this.flow = flow;
    this.charts.push(flow);
    this.updateFlow();
    return card("Gradient flow", "per layer, log scale", flow.element, "gradient-flow");
  }

  private updateFlow(): void {
    if (this.flow && this.snapshot) this.flow.update(this.snapshot);
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
    this.loss.data.datasets[0].data = lossSeries(this.snapshot);
    this.loss.update();
  }

  private updateHeatmap(): void {
    if (!this.heatmap || !this.snapshot) return;
    const series = layerSeries(this.snapshot);
    this.heatmap.set({ rows: series.layers, columns: series.steps, values: series.gradNorm });
  }

  private updateRatioCard(s: RunSnapshot): HTMLElement {
    const t = themeColors();
    const series = layerSeries(s);
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
    return card("Update ratio", "healthy near 1e-3", element, "update-ratio");
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
      this.updateFlow();
      this.updateHeatmap();
    }
  }
}

/** The gradient-flow bar chart: one bar per layer, red where a vanishing/exploding warning names the layer. */
class GradientFlowChart {
  readonly element: HTMLElement;
  private readonly chart: Chart<"bar">;

  constructor(private readonly flagged: ReadonlySet<string | undefined>) {
    const { element, chart } = makeChart<"bar">({
      type: "bar",
      data: { labels: [], datasets: [{ label: "‖g‖ (geometric mean over recorded steps)", data: [], backgroundColor: [], borderWidth: 0 }] },
      options: {
        scales: { y: logAxis("gradient norm ‖g‖"), x: { title: { display: true, text: "layer (input → output)" } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => `‖g‖ ${sci(c.parsed.y as number, 3)}` } },
        },
      },
    }, 240);
    this.element = element;
    this.chart = chart;
  }

  update(s: RunSnapshot): void {
    const t = themeColors();
    const bars = gradientFlow(layerSeries(s));
    this.chart.data.labels = bars.map((b) => b.layer);
    const ds = this.chart.data.datasets[0];
    ds.data = bars.map((b) => (Number.isFinite(b.value) ? b.value : null)) as number[];
    ds.backgroundColor = bars.map((b) => (this.flagged.has(b.layer) ? t.red : t.blue));
    this.chart.update();
  }

  destroy(): void {
    this.chart.destroy();
  }
}

export function warningItem(w: Warning, loc: { file: string; line: number; column: number } | undefined, detailed: boolean): HTMLElement {
  const rule = RULES[w.rule];
  const reveal = () => loc && act({ type: "reveal", location: loc });
  const li = h("li", { class: `warning ${w.severity}`, "data-rule": w.rule, tabindex: loc ? 0 : undefined, role: loc ? "button" : undefined },
    h("div", { class: "warning-head" },
      badge(w.severity, w.severity === "error" ? "error" : w.severity === "warning" ? "warn" : "info"),
      h("strong", {}, rule?.title ?? w.rule),
      w.layer ? h("span", { class: "layer" }, w.layer) : null,
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

function card(title: string, subtitle: string, body: HTMLElement, id: string, wide = false): HTMLElement {
  return h("section", { class: `card${wide ? " wide" : ""}`, id },
    h("h2", {}, title, subtitle ? h("span", { class: "muted subtitle" }, subtitle) : null),
    body,
  );
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

export function badge(text: string, kind: "ok" | "warn" | "error" | "info"): HTMLElement {
  return h("span", { class: `pill ${kind}` }, text);
}

function resultBadge(l: GradcheckLayer): HTMLElement {
  const b = gradcheckLayerBadge(l);
  return badge(b.text, b.kind);
}

function summaryLine(r: Report): string {
  const parts = [`${r.model.parameters.toLocaleString()} parameters`, `${r.model.layers.length} layers`, `${r.steps.length} steps`];
  if (r.status?.durationMs !== undefined) parts.push(`${(r.status.durationMs / 1000).toFixed(1)} s`);
  if (r.timing) parts.push(`recording overhead ${(r.timing.overhead * 100).toFixed(0)}%`);
  return parts.join(" · ");
}

function progressText(s: RunSnapshot, last: ProgressPoint | undefined): string {
  if (!last) return "starting…";
  return `step ${last.step + 1}/${s.totalSteps || "?"} · loss ${sci(last.loss, 3)}${last.accuracy !== undefined ? ` · acc ${(last.accuracy * 100).toFixed(0)}%` : ""}`;
}

export function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/** True when every checked entry of a layer is below what central differences resolve (its max rel. error says nothing). */
function belowResolution(l: { checked: number; tensors?: Array<{ negligible?: number }> }): boolean {
  const negligible = (l.tensors ?? []).reduce((a, t) => a + (t.negligible ?? 0), 0);
  return l.checked > 0 && negligible >= l.checked;
}
