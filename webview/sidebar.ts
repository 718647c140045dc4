/** The side view: workspace models, the current run's live loss and per-layer gradient norms, warnings, actions. */
import type { Chart } from "chart.js";
import type { GradcheckResult } from "../src/report";
import type { ModelRef, ProgressPoint, RunSnapshot } from "../src/protocol/webview";
import { h } from "./dom";
import { LiveView } from "./liveView";
import { logAxis, makeChart } from "./charts";
import { gradcheckVerdict, gradientFlow, layerSeries, lossSeries } from "./derive";
import { sci } from "./format";
import { act } from "./host";
import { badge, basename, button, warningItem } from "./report";
import { problemList } from "./problems";
import { themeColors } from "./theme";

export class SidebarView extends LiveView {
  private models: ModelRef[] = [];
  private scanning = true;
  private loss?: Chart<"line">;
  private norms?: Chart<"bar">;
  private label?: HTMLElement;

  setModels(models: ModelRef[], scanning: boolean): void {
    this.models = models;
    this.scanning = scanning;
    this.render();
  }

  protected render(): void {
    this.reset();
    this.loss = this.norms = undefined;
    const s = this.snapshot;
    const running = s?.phase === "running";

    this.root.append(h("div", { class: "actions side-actions" },
      button("Check gradients", () => act({ type: "run", command: "check", model: s?.model }), true),
      button("Train & inspect", () => act({ type: "run", command: "train", model: s?.model }), false),
      running ? button("Stop", () => act({ type: "stop" }), false) : null,
      s ? button("Open report", () => act({ type: "openReport" }), false) : null,
    ));

    // Models.
    const list = h("ul", { class: "model-list" });
    for (const m of this.models) {
      const li = h("li", { class: "model", tabindex: 0, role: "button", title: `${m.file}${m.line ? `:${m.line}` : ""}` },
        h("div", { class: "model-name" }, m.name),
        h("div", { class: "muted small" }, `${basename(m.file)}${m.line ? `:${m.line}` : ""}${m.exportName && m.exportName !== "default" ? ` · ${m.exportName}` : ""}`),
        h("div", { class: "model-actions" },
          link("check", () => act({ type: "run", command: "check", model: m })),
          link("train", () => act({ type: "run", command: "train", model: m })),
        ),
      );
      li.addEventListener("click", (e) => {
        if ((e.target as HTMLElement).closest("a")) return;
        act({ type: "openModel", model: m });
      });
      list.append(li);
    }
    this.root.append(section("Models", this.scanning ? "scanning…" : String(this.models.length),
      this.models.length ? list : this.scanning ? h("p", { class: "muted small" }, "Looking for defineModel exports…") : emptyState(),
    ));

    if (!s) return;
    // Current run.
    const last = s.progress[s.progress.length - 1];
    this.label = h("span", { class: "muted small" }, runText(s, last));
    const phase = { running: "running", done: "done", failed: "failed", cancelled: "stopped" }[s.phase];
    const t = themeColors();
    const lossChart = makeChart<"line">({
      type: "line",
      data: { datasets: [{ label: "loss", data: [], borderColor: t.blue, pointRadius: 0, borderWidth: 1.5 }] },
      options: { parsing: false, scales: { x: { type: "linear", ticks: { maxTicksLimit: 4 } }, y: { ticks: { maxTicksLimit: 4 } } }, plugins: { legend: { display: false } } },
    }, 110);
    const normChart = makeChart<"bar">({
      type: "bar",
      data: { labels: [], datasets: [{ label: "‖g‖", data: [], backgroundColor: t.orange, borderWidth: 0 }] },
      options: {
        indexAxis: "y",
        scales: { x: { ...logAxis("‖g‖"), title: { display: false, text: "" } }, y: { ticks: { autoSkip: false } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `‖g‖ ${sci(c.parsed.x as number, 3)}` } } },
      },
    }, 40);
    this.loss = lossChart.chart;
    this.norms = normChart.chart;
    this.charts.push(lossChart.chart, normChart.chart);
    this.root.append(section("Run", "",
      h("div", { class: "title-row" }, h("strong", {}, s.model.name), badge(phase, s.phase === "failed" ? "error" : s.phase === "running" ? "info" : "ok")),
      this.label,
      s.error && s.phase === "failed" ? h("p", { class: "error-text small" }, `${s.error.kind}: ${s.error.message}`) : null,
      h("h3", {}, "Loss"), lossChart.element,
      h("h3", {}, "Gradient norm per layer"), normChart.element,
    ));
    this.updateLive();

    const r = s.report;
    if (r) {
      this.root.append(section("Warnings", String(r.warnings.length),
        r.warnings.length
          ? problemList(r, warningItem, (location) => act({ type: "reveal", location }), { detailed: false, listClass: "compact" })
          : h("p", { class: "ok-text small" }, "No warnings."),
        r.gradcheck ? gradcheckLine(r.gradcheck) : null,
      ));
    }
  }

  protected updateLive(): void {
    const s = this.snapshot;
    if (!s) return;
    const last = s.progress[s.progress.length - 1];
    if (this.label) this.label.textContent = runText(s, last);
    if (this.loss) {
      this.loss.data.datasets[0].data = lossSeries(s);
      this.loss.update();
    }
    if (this.norms) {
      const bars = gradientFlow(layerSeries(s));
      // The latest recorded norms when live; the run's geometric mean when finished.
      const latest = !s.report && last?.layers ? new Map(last.layers.map((l) => [l.name, l.gradNorm])) : undefined;
      this.norms.data.labels = bars.map((b) => b.layer);
      this.norms.data.datasets[0].data = bars.map((b) => latest?.get(b.layer) ?? b.value).map((v) => (Number.isFinite(v) && v > 0 ? v : null)) as number[];
      const box = this.norms.canvas.parentElement;
      if (box) box.style.height = `${Math.max(40, bars.length * 16 + 30)}px`;
      this.norms.resize();
      this.norms.update();
    }
  }
}

function section(title: string, count: string, ...body: Array<Node | null>): HTMLElement {
  return h("section", { class: "side-section" }, h("h2", {}, title, count ? h("span", { class: "count" }, count) : null), ...body);
}

/** No model in the workspace yet: what a model file is, and two ways to get one. */
function emptyState(): HTMLElement {
  return h("div", { class: "empty-state" },
    h("p", { class: "small" }, "No model file in this workspace yet."),
    h("p", { class: "muted small" },
      "A model file is a TypeScript file that imports gradient-lens and exports defineModel({ model, data, loss, optimizer }). " +
      "Each export gets Check gradients and Train & inspect above it.",
    ),
    h("div", { class: "actions" },
      button("New model file…", () => act({ type: "newModelFile" }), true),
      button("Open an example", () => act({ type: "openExample" }), false),
    ),
  );
}

function link(text: string, onClick: () => void): HTMLElement {
  return h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); e.stopPropagation(); onClick(); } }, text);
}

function runText(s: RunSnapshot, last: ProgressPoint | undefined): string {
  const steps = last ? `step ${last.step + 1}/${s.totalSteps || "?"} · loss ${sci(last.loss, 3)}` : s.phase === "running" ? "starting…" : "";
  return `${s.command === "check" ? "gradient check" : "training"}${steps ? ` · ${steps}` : ""}`;
}

/** One line on the check: passed, inconclusive (could not judge) or FAILED, with the largest relative error. */
function gradcheckLine(g: GradcheckResult): HTMLElement {
  const { status, label } = gradcheckVerdict(g);
  const errors = g.layers.map((l) => l.maxRelError).filter(Number.isFinite);
  const max = errors.length ? ` · max rel. error ${sci(Math.max(...errors), 1)}` : "";
  return h("p", { class: status === "failed" ? "error-text small" : status === "passed" ? "ok-text small" : "muted small" }, `Gradient check ${label}${max}`);
}
