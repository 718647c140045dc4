/**
 * Gradients through time: one steps × time heat map per recurrent layer or tap (rows = recorded steps,
 * columns = t, log color), and the attention entropy per layer and head as a colored table.
 */
import type { Report, SourceLocation } from "../src/report";
import { h } from "./dom";
import { sci } from "./format";
import { Heatmap } from "./heatmap";
import { logRange } from "./derive";
import { mix, parseColor, themeColors } from "./theme";
import { attentionTable, survivalDecades, timeHeats, type TimeHeat } from "./timeSeries";
import { basename, card } from "./ui";

export function timeCards(r: Report, window: (steps: number[]) => [number, number], reveal: (loc: SourceLocation) => void): HTMLElement[] {
  const heats = timeHeats(r, window);
  // One color scale for all the maps: a series whose gradient survives must not look like one that dies.
  const range = logRange(heats.flatMap((x) => x.values));
  const cards = heats.map((heat, i) => timeCard(heat, i, range, reveal));
  const att = attentionCard(r);
  return att ? [...cards, att] : cards;
}

function timeCard(heat: TimeHeat, index: number, range: [number, number], reveal: (loc: SourceLocation) => void): HTMLElement {
  const map = new Heatmap({ columnLabel: (t) => `t=${t}`, valueLabel: "‖∂L/∂h_t‖", labelWidth: 70, maxHeight: 260, empty: "No time steps recorded." });
  map.set({ rows: heat.steps.map((s) => `step ${s}`), columns: heat.times, values: heat.values, range });
  const d = survivalDecades(heat);
  const loc = heat.info.location;
  const note = h("p", { class: "muted small" },
    `${heat.info.kind === "recurrent" ? "recurrent layer" : "tap"}${heat.info.layer && heat.info.layer !== heat.info.name ? ` of ${heat.info.layer}` : ""} · `,
    Number.isFinite(d) ? `at step ${heat.steps[heat.steps.length - 1]}, ‖∂L/∂h₀‖ is ${sci(10 ** d, 1)}× ‖∂L/∂h_T‖${d < -2 ? ": the gradient dies going back through time" : ""}` : "",
    loc ? " · " : null,
    loc ? h("a", { href: "#", class: "loc", onclick: (e: Event) => { e.preventDefault(); reveal(loc); } }, `${basename(loc.file)}:${loc.line}`) : null,
  );
  const el = card(`Gradient through time · ${heat.info.name}`, "recorded steps × time steps, log color", h("div", {}, note, map.element), `time-${index}`, true);
  el.classList.add("time-card");
  el.dataset.series = heat.info.name;
  return el;
}

function attentionCard(r: Report): HTMLElement | undefined {
  const a = attentionTable(r);
  if (!a) return undefined;
  const t = themeColors();
  const finite = a.entropy.flat().filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const [bg, fg] = [parseColor(t.background), parseColor(t.blue)];
  const table = h("table", { class: "plain attention-table", id: "attention-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "layer"), ...Array.from({ length: a.heads }, (_, i) => h("th", {}, `head ${i}`)))),
    h("tbody", {}, ...a.layers.map((layer, i) => h("tr", {},
      h("td", { class: "mono" }, layer),
      ...a.entropy[i].map((v) => {
        const td = h("td", { class: "mono num" }, Number.isFinite(v) ? v.toFixed(2) : "—");
        if (Number.isFinite(v)) td.style.background = mix(bg, fg, 0.15 + 0.6 * (hi > lo ? (v - lo) / (hi - lo) : 0.5));
        return td;
      }),
    ))),
  );
  return card("Attention entropy", `nats per head, step ${a.step} · low: a head attends to one key; ln(keys): uniform`, table, "attention");
}
