/** chart.js, registered with only what the views use, themed from the VS Code theme. */
import {
  Chart, BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale,
  LogarithmicScale, Tooltip, Legend, Filler, type ChartConfiguration, type ChartType,
} from "chart.js";
import { themeColors, withAlpha, type ThemeColors } from "./theme";
import { sci } from "./format";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, LogarithmicScale, Tooltip, Legend, Filler);

export function applyThemeDefaults(t: ThemeColors = themeColors()): void {
  Chart.defaults.color = t.foreground;
  Chart.defaults.borderColor = withAlpha(t.grid, t.highContrast ? 1 : 0.35);
  Chart.defaults.font.family = t.font;
  Chart.defaults.font.size = 11;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 10;
}

/** A chart in a sized box; `update` swaps data without re-creating the chart. */
export function makeChart<T extends ChartType>(config: ChartConfiguration<T>, height = 220): { element: HTMLElement; chart: Chart<T> } {
  const box = document.createElement("div");
  box.className = "chart-box";
  box.style.height = `${height}px`; // CSSOM, not a style attribute: allowed by the CSP
  const canvas = document.createElement("canvas");
  box.append(canvas);
  const chart = new Chart(canvas, config);
  return { element: box, chart };
}

/** A log-scale axis with ticks like 1e-6, 1e-4. */
export function logAxis(title: string) {
  return {
    type: "logarithmic" as const,
    title: { display: true, text: title },
    ticks: {
      callback: (v: number | string) => {
        const x = Number(v);
        const l = Math.log10(x);
        return Math.abs(l - Math.round(l)) < 1e-9 ? sci(x, 0) : "";
      },
    },
  };
}

/**
 * A fill of diagonal stripes in `color` over a faint wash of it: a second series told apart from a
 * solid first by its texture as well as its hue (in any theme, and without color vision).
 */
export function hatch(color: string): CanvasPattern | string {
  const tile = document.createElement("canvas");
  tile.width = tile.height = 8;
  const ctx = tile.getContext("2d");
  if (!ctx) return withAlpha(color, 0.55);
  ctx.fillStyle = withAlpha(color, 0.3);
  ctx.fillRect(0, 0, 8, 8);
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  // One stripe through the tile and its two corner halves, so the tiles join into continuous lines.
  for (const [x0, y0, x1, y1] of [[0, 8, 8, 0], [-4, 4, 4, -4], [4, 12, 12, 4]]) {
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
  }
  ctx.stroke();
  return ctx.createPattern(tile, "repeat") ?? withAlpha(color, 0.55);
}

export const palette = (t: ThemeColors) => [t.blue, t.orange, t.green, t.purple, t.red, t.yellow];

export { Chart };
