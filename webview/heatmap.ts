/**
 * A heat map on a canvas (layers × steps of gradient norms, steps × time of gradients through time),
 * colored on a log scale between the editor background and the theme's chart color — so a vanishing
 * layer reads as a faint row in any theme. Many rows shrink to fit a height; labels thin out to match.
 */
import { logRange } from "./derive";
import { sci } from "./format";
import { mix, parseColor, themeColors } from "./theme";

export interface HeatmapData {
  rows: string[];
  columns: number[];
  /** values[row][column] */
  values: number[][];
  /** The log10 range the colors span (default: the values' own), to share one scale between maps. */
  range?: [number, number];
}

export interface HeatmapOptions {
  /** A column's name in the axis labels and the hover text (default "step 12"). */
  columnLabel?: (c: number) => string;
  /** The value's name (default "‖g‖"). */
  valueLabel?: string;
  /** Width of the row labels, px (default 90). */
  labelWidth?: number;
  /** Tallest the map grows before rows shrink, px (default 480). */
  maxHeight?: number;
  /** A click on a row label or its cells. */
  onRowClick?: (row: number) => void;
  /** Text when there are no rows. */
  empty?: string;
}

export class Heatmap {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly legend: HTMLElement;
  private data: HeatmapData = { rows: [], columns: [], values: [] };
  private readonly labelWidth: number;
  private rowHeight = 18;

  constructor(private readonly options: HeatmapOptions = {}) {
    this.labelWidth = options.labelWidth ?? 90;
    this.element = document.createElement("div");
    this.element.className = "heatmap";
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("role", "img");
    this.legend = document.createElement("div");
    this.legend.className = "heatmap-legend";
    this.element.append(this.canvas, this.legend);
    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("click", (e) => {
      const i = this.rowAt(e);
      if (i >= 0 && i < this.data.rows.length) this.options.onRowClick?.(i);
    });
    if (options.onRowClick) this.canvas.style.cursor = "pointer";
    new ResizeObserver(() => this.draw()).observe(this.element);
  }

  set(data: HeatmapData): void {
    this.data = data;
    // What the map shows, for tests and assistive tools (the canvas itself is opaque).
    this.element.dataset.rows = String(data.rows.length);
    this.element.dataset.columns = String(data.columns.length);
    this.canvas.setAttribute("aria-label", `heat map, ${data.rows.length} rows × ${data.columns.length} columns`);
    this.draw();
  }

  draw(): void {
    const { rows, columns, values } = this.data;
    const t = themeColors();
    const width = Math.max(200, this.element.clientWidth || 400);
    // Rows shrink (to 3 px) to keep the map within maxHeight; labels then go on every k-th row.
    this.rowHeight = Math.max(3, Math.min(18, Math.floor((this.options.maxHeight ?? 480) / Math.max(1, rows.length))));
    const labelEvery = Math.ceil(12 / this.rowHeight);
    const height = Math.max(1, rows.length) * this.rowHeight + 22;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = `11px ${t.font}`;
    ctx.textBaseline = "middle";
    if (!rows.length || !columns.length) {
      ctx.fillStyle = t.muted;
      ctx.fillText(this.options.empty ?? "No per-layer statistics recorded yet.", 4, 10);
      this.legend.textContent = "";
      return;
    }
    const [lo, hi] = this.data.range ?? logRange(values);
    // A ramp through the theme's chart colors: background (no gradient) → blue → orange → yellow (strong).
    const stops = [t.background, t.blue, t.orange, t.yellow].map(parseColor);
    const ramp = (f: number) => {
      const x = Math.min(0.999, Math.max(0, f)) * (stops.length - 1);
      const i = Math.floor(x);
      return mix(stops[i], stops[i + 1], x - i);
    };
    const plotW = width - this.labelWidth;
    const cellW = plotW / columns.length;
    const maxChars = Math.floor(this.labelWidth / 6.2);
    rows.forEach((name, i) => {
      ctx.fillStyle = t.foreground;
      if (i % labelEvery === 0) ctx.fillText(truncate(name, maxChars), 2, i * this.rowHeight + (labelEvery > 1 ? 6 : this.rowHeight / 2));
      columns.forEach((_, j) => {
        const v = values[i][j];
        if (!(Number.isFinite(v) && v > 0)) {
          ctx.fillStyle = t.grid;
        } else {
          const f = (Math.log10(v) - lo) / (hi - lo);
          ctx.fillStyle = ramp(0.12 + 0.88 * f);
        }
        const gap = this.rowHeight > 6 ? 1 : 0;
        ctx.fillRect(this.labelWidth + j * cellW, i * this.rowHeight + gap, Math.max(1, cellW - (cellW > 4 ? 1 : 0)), this.rowHeight - 2 * gap);
      });
    });
    ctx.fillStyle = t.muted;
    const y = rows.length * this.rowHeight + 11;
    const col = this.options.columnLabel ?? ((c: number) => `step ${c}`);
    ctx.fillText(col(columns[0]), this.labelWidth, y);
    const lastLabel = col(columns[columns.length - 1]);
    ctx.fillText(lastLabel, width - ctx.measureText(lastLabel).width - 2, y);
    this.legend.textContent = `color: log₁₀ ${this.options.valueLabel ?? "‖g‖"}, from ${sci(10 ** lo)} (dark, blue) to ${sci(10 ** hi)} (orange, yellow) · hover a cell for its value`;
  }

  private hover(e: MouseEvent): void {
    const { rows, columns, values } = this.data;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left - this.labelWidth;
    const i = this.rowAt(e);
    const j = Math.floor((x / (rect.width - this.labelWidth)) * columns.length);
    if (x < 0 || i < 0 || i >= rows.length || j < 0 || j >= columns.length) {
      this.canvas.title = "";
      return;
    }
    const col = this.options.columnLabel ?? ((c: number) => `step ${c}`);
    this.canvas.title = `${rows[i].trim()} · ${col(columns[j])} · ${this.options.valueLabel ?? "‖g‖"} = ${sci(values[i][j], 3)}`;
  }

  private rowAt(e: MouseEvent): number {
    return Math.floor((e.clientY - this.canvas.getBoundingClientRect().top) / this.rowHeight);
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}
