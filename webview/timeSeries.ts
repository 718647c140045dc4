/**
 * Gradients through time: for each recurrent layer or tapped sequence (`model.timeSeries`), the norms
 * ‖∂L/∂h_t‖ of each recorded step (`steps[i].timeNorms`), as a steps × time heat map; and the attention
 * entropy per layer and head (`steps[i].attention`). Pure. The fields are additive and optional: a
 * report without them has no such maps. Their types are declared here as the report adds them.
 */
import type { Report, SourceLocation, StepRecord } from "../src/report";

export interface TimeSeriesInfo {
  name: string;
  kind: "recurrent" | "tap";
  layer?: string;
  location?: SourceLocation;
}

/** The report with the optional time-series fields. */
export type TimedReport = Omit<Report, "model" | "steps"> & {
  model: Report["model"] & { timeSeries?: TimeSeriesInfo[] };
  steps: Array<StepRecord & {
    /** norms[t] = ‖∂L/∂h_t‖, forward order. */
    timeNorms?: Array<{ name: string; norms: number[] }>;
    /** Attention entropy per head, nats. */
    attention?: Array<{ layer: string; entropy: number[] }>;
  }>;
};

export interface TimeHeat {
  info: TimeSeriesInfo;
  /** The recorded steps that carry this series (rows). */
  steps: number[];
  /** Time steps t (columns): 0 … longest − 1. */
  times: number[];
  /** values[row][t]; NaN past a row's own length. */
  values: number[][];
}

/** One map per declared series (those recorded at least once), rows from the window [start, end) that `window` picks of the steps that recorded it. */
export function timeHeats(r: Report, window: (steps: number[]) => [number, number]): TimeHeat[] {
  const tr = r as TimedReport;
  const declared = tr.model.timeSeries ?? [];
  const seen = new Set(declared.map((d) => d.name));
  // A series recorded but not declared is still shown (as a tap).
  const infos = [...declared];
  for (const st of tr.steps) for (const t of st.timeNorms ?? []) if (!seen.has(t.name)) {
    seen.add(t.name);
    infos.push({ name: t.name, kind: "tap" });
  }
  const out: TimeHeat[] = [];
  for (const info of infos) {
    const rows = tr.steps.flatMap((st) => {
      const t = st.timeNorms?.find((x) => x.name === info.name);
      return t ? [{ step: st.step, norms: t.norms }] : [];
    });
    if (!rows.length) continue;
    const [start, end] = window(rows.map((x) => x.step));
    const kept = rows.slice(start, end);
    const length = Math.max(...kept.map((x) => x.norms.length));
    out.push({
      info,
      steps: kept.map((x) => x.step),
      times: Array.from({ length }, (_, t) => t),
      values: kept.map((x) => Array.from({ length }, (_, t) => (t < x.norms.length && typeof x.norms[t] === "number" ? x.norms[t] : NaN))),
    });
  }
  return out;
}

/**
 * How much of the gradient survives from the last time step back to the first, in decades, at the last
 * row: log10(‖∂L/∂h_0‖ / ‖∂L/∂h_T‖). Strongly negative: gradients die backwards through time.
 */
export function survivalDecades(heat: TimeHeat): number {
  const row = heat.values[heat.values.length - 1];
  const first = row.find((v) => Number.isFinite(v) && v > 0);
  const last = [...row].reverse().find((v) => Number.isFinite(v) && v > 0);
  return first !== undefined && last !== undefined ? Math.log10(first / last) : NaN;
}

export interface AttentionTable {
  /** The recorded step the table shows (the last that has attention entropies). */
  step: number;
  layers: string[];
  /** entropy[layer][head], nats; NaN where a layer has fewer heads. */
  entropy: number[][];
  heads: number;
}

export function attentionTable(r: Report): AttentionTable | undefined {
  const tr = r as TimedReport;
  for (let i = tr.steps.length - 1; i >= 0; i--) {
    const a = tr.steps[i].attention;
    if (!a?.length) continue;
    const heads = Math.max(...a.map((x) => x.entropy.length));
    return {
      step: tr.steps[i].step,
      layers: a.map((x) => x.layer),
      entropy: a.map((x) => Array.from({ length: heads }, (_, h) => (typeof x.entropy[h] === "number" ? x.entropy[h] : NaN))),
      heads,
    };
  }
  return undefined;
}
