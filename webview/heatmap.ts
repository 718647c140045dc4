/**
 * A heat map on a canvas (layers × steps of gradient norms, steps × time of gradients through time),
 * colored on a log scale between the editor background and the theme's chart color — so a vanishing
 * layer reads as a faint row in any theme. Many rows shrink to fit a height; labels thin out to match.
 * The canvas is opaque to screen readers and tests: a visually hidden table beside it holds the same
 * values, each cell with its place on the color scale (`data-level`, 0 faintest … 1 strongest) and its
 * color (`data-color`).
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

/** Cells the hidden data table holds at most; a larger map keeps every k-th column (and the last) in it. */
export const MAX_TABLE_CELLS = 3000;

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
  private readonly table: HTMLTableElement;
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
    this.table = document.createElement("table");
    this.table.className = "heatmap-data sr-only";
    this.element.append(this.canvas, this.legend, this.table);
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
    this.canvas.setAttribute("aria-label", `heat map of ${this.options.valueLabel ?? "‖g‖"}, ${data.rows.length} rows × ${data.columns.length} columns (values in the table that follows)`);
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
    // The geometry, so that a test can read a cell's pixels back (row i, column j at labelWidth + j·cellWidth, i·rowHeight).
    this.element.dataset.rowHeight = String(this.rowHeight);
    this.element.dataset.labelWidth = String(this.labelWidth);
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
      this.table.replaceChildren();
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
    /** A cell's place on the color scale (0 faintest … 1 strongest), undefined for no value. */
    const level = (v: number) => (Number.isFinite(v) && v > 0 ? Math.min(1, Math.max(0, (Math.log10(v) - lo) / (hi - lo))) : undefined);
    const color = (v: number) => {
      const f = level(v);
      return f === undefined ? t.grid : ramp(0.12 + 0.88 * f);
    };
    rows.forEach((name, i) => {
      ctx.fillStyle = t.foreground;
      if (i % labelEvery === 0) ctx.fillText(truncate(name, maxChars), 2, i * this.rowHeight + (labelEvery > 1 ? 6 : this.rowHeight / 2));
      columns.forEach((_, j) => {
        ctx.fillStyle = color(values[i][j]);
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
    this.fillTable(level, color);
  }

  /** The hidden table: a header of column labels, then one row per map row, each cell its value, level and color. */
  private fillTable(level: (v: number) => number | undefined, color: (v: number) => string): void {
    const { rows, columns, values } = this.data;
    const col = this.options.columnLabel ?? ((c: number) => `step ${c}`);
    const every = Math.max(1, Math.ceil((rows.length * columns.length) / MAX_TABLE_CELLS));
    const kept = columns.map((_, j) => j).filter((j) => j % every === 0 || j === columns.length - 1);
    const cell = (tag: "th" | "td", text: string, attrs: Record<string, string> = {}) => {
      const c = document.createElement(tag);
      c.textContent = text;
      for (const [k, v] of Object.entries(attrs)) c.setAttribute(k, v);
      return c;
    };
    const caption = document.createElement("caption");
    caption.textContent = `${this.options.valueLabel ?? "‖g‖"} by row and ${col(columns[0])}…${col(columns[columns.length - 1])}${every > 1 ? ` (one column in ${every})` : ""}`;
    const head = document.createElement("tr");
    head.append(cell("th", ""), ...kept.map((j) => cell("th", col(columns[j]), { scope: "col" })));
    const body = rows.map((name, i) => {
      const tr = document.createElement("tr");
      tr.append(cell("th", name.trim(), { scope: "row" }), ...kept.map((j) => {
        const v = values[i][j];
        const f = level(v);
        return f === undefined ? cell("td", "—") : cell("td", sci(v, 3), { "data-value": String(v), "data-level": f.toFixed(3), "data-color": color(v) });
      }));
      return tr;
    });
    this.table.replaceChildren(caption, head, ...body);
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
