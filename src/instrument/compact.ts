/**
 * Keeps a report small enough to load at once (the panel, the CLI's --json, a CI artifact). A long run
 * of a big model records far more than anyone reads: 1,000 steps × 200 tensors with a histogram each is
 * about 300 MB of JSON. Past a byte budget, `compactReport`:
 *  - rounds the recorded statistics to 4 significant digits (the charts show 2–3);
 *  - keeps per-layer statistics on a subset of the recorded steps: the last ones (the recent window
 *    the panel scales to), log-spaced ones (dense early, where gradients change fastest, as in Cockpit's
 *    log schedule), evenly spaced ones, and every step a warning names; the others keep their loss;
 *  - keeps histograms on a log-spaced few of those (the panel draws the latest).
 * Losses, warnings, problems and the gradient check are kept exactly; a report under the budget is
 * returned unchanged. The rules have already run on the full statistics when this is applied.
 */
import type { Report, StepRecord } from "../report";

export interface CompactOptions {
  /** Byte budget of the report's JSON (default 4.5 MB, under the 5 MB the panel loads at once). */
  maxBytes?: number;
  /** Steps that keep histograms, at most (default 12). */
  histogramSteps?: number;
  /** Significant digits of the kept statistics (default 4). */
  digits?: number;
}

export const COMPACT_DEFAULTS: Required<CompactOptions> = { maxBytes: 4_500_000, histogramSteps: 12, digits: 4 };

/** Per-step fields that hold per-layer or per-time-step detail: dropped on the steps not kept. */
const DETAIL_FIELDS = ["timeNorms", "attention"] as const;


export function compactReport(report: Report, options: CompactOptions = {}): Report {
  const o = { ...COMPACT_DEFAULTS, ...options };
  const steps = report.steps as StepRecord[];
  const detailed = steps.map((s, i) => (hasDetail(s) ? i : -1)).filter((i) => i >= 0);
  if (!detailed.length) return report;
  const base = bytes({ ...report, steps: steps.map(stripDetail) });
  const sample = evenly(detailed, Math.min(detailed.length, 16));
  const fullSize = mean(sample.map((i) => bytes(steps[i]) - bytes(stripDetail(steps[i]))));
  if (base + detailed.length * fullSize <= o.maxBytes) return report;

  // Sizes after rounding, with and without histograms, from the same sample.
  const rounded = sample.map((i) => roundStep(steps[i], o.digits));
  const withHist = mean(rounded.map((s) => bytes(s) - bytes(stripDetail(s))));
  const noHist = mean(rounded.map((s) => bytes(dropHistograms(s)) - bytes(stripDetail(s))));
  const histSteps = Math.min(o.histogramSteps, detailed.length);
  const room = o.maxBytes - base - histSteps * (withHist - noHist);
  const keepCount = Math.max(Math.min(8, detailed.length), Math.min(detailed.length, Math.floor(room / Math.max(1, noHist))));

  const warned = new Set(report.warnings.map((w) => w.step).filter((s): s is number => s !== undefined));
  const required = detailed.map((i, k) => (warned.has(steps[i].step) ? k : -1)).filter((k) => k >= 0);
  const keep = pickSteps(detailed.length, keepCount, required).map((k) => detailed[k]);
  const withHistograms = new Set(pickSteps(keep.length, histSteps, []).map((k) => keep[k]));
  const kept = new Set(keep);
  return {
    ...report,
    steps: steps.map((s, i) => {
      if (!kept.has(i)) return stripDetail(s);
      const r = roundStep(s, o.digits);
      return withHistograms.has(i) ? r : dropHistograms(r);
    }),
  };
}

/**
 * About `k` of the indices 0…n−1 (sorted, distinct; never fewer than min(k, n) unless duplicates
 * collapse): the last quarter of `k` as a dense tail, the rest split between log-spaced and evenly
 * spaced indices, plus `required`. Always includes the first and the last.
 */
export function pickSteps(n: number, k: number, required: number[]): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k <= 0 || n === 0) return [];
  const out = new Set<number>([0, n - 1, ...required.filter((i) => i >= 0 && i < n)]);
  const tail = Math.floor(k / 4);
  for (let i = n - tail; i < n; i++) out.add(i);
  const spread = Math.max(2, Math.ceil((k - tail) / 2));
  for (let j = 0; j < spread; j++) {
    out.add(Math.round(Math.expm1((j / (spread - 1)) * Math.log1p(n - 1))));
    out.add(Math.round((j * (n - 1)) / (spread - 1)));
  }
  return [...out].sort((a, b) => a - b);
}

/** `x` to `digits` significant digits; integers and non-finite values unchanged. */
export function roundTo(x: number, digits: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  return Number(x.toPrecision(digits));
}

function roundDeep(v: unknown, digits: number): unknown {
  if (typeof v === "number") return roundTo(v, digits);
  if (Array.isArray(v)) return v.map((x) => roundDeep(x, digits));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = roundDeep(x, digits);
    return out;
  }
  return v;
}

/** The step's layers and time-step detail rounded; its loss, accuracy and clip record exact. */
function roundStep(s: StepRecord, digits: number): StepRecord {
  const r: StepRecord = { ...s, layers: roundDeep(s.layers, digits) as StepRecord["layers"] };
  if (s.timeNorms) r.timeNorms = roundDeep(s.timeNorms, digits) as StepRecord["timeNorms"];
  if (s.attention) r.attention = roundDeep(s.attention, digits) as StepRecord["attention"];
  return r;
}

const EMPTY_HISTOGRAM = { edges: [], counts: [] };

function dropHistograms(s: StepRecord): StepRecord {
  return {
    ...s,
    layers: s.layers.map((l) => ({
      ...l,
      histogram: EMPTY_HISTOGRAM,
      ...(l.params ? { params: l.params.map(({ histogram: _, ...p }) => p) } : {}),
    })),
  };
}

function stripDetail(s: StepRecord): StepRecord {
  const r: StepRecord = { ...s, layers: [] };
  for (const f of DETAIL_FIELDS) delete r[f];
  return r;
}

function hasDetail(s: StepRecord): boolean {
  return s.layers.length > 0 || DETAIL_FIELDS.some((f) => s[f] !== undefined);
}

function bytes(v: unknown): number {
  return JSON.stringify(v).length;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

function evenly<T>(xs: T[], k: number): T[] {
  if (k >= xs.length) return xs;
  return Array.from({ length: k }, (_, j) => xs[Math.round((j * (xs.length - 1)) / Math.max(1, k - 1))]);
}
