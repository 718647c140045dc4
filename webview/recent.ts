/**
 * The recent window the charts are scaled to: the last N training steps (or all of them). A run's first
 * steps often have gradients and losses orders of magnitude off the rest; scaling to all-time extremes
 * would flatten everything after them. Pure.
 */

/** How many steps the panel shows by default. */
export const RECENT_STEPS = 50;

/** A window keeps at least this many recorded steps (columns of a heat map), when there are that many. */
export const MIN_COLUMNS = 8;

export type WindowSize = number | "all";

/**
 * [start, end) over `recorded` (sorted step numbers): the recorded steps among the last `size` training
 * steps up to `lastStep`, widened back to at least MIN_COLUMNS of them (sparse recording, a compacted report).
 */
export function recentWindow(recorded: number[], lastStep: number, size: WindowSize): [number, number] {
  const n = recorded.length;
  if (size === "all") return [0, n];
  const from = lastStep - Math.max(1, Math.floor(size)) + 1;
  let start = recorded.findIndex((s) => s >= from);
  if (start < 0) start = n;
  return [Math.max(0, Math.min(start, n - MIN_COLUMNS)), n];
}

/** The first training step a window shows: its first recorded step, else the last `size` steps'. */
export function windowStartStep(recorded: number[], lastStep: number, size: WindowSize): number {
  if (size === "all") return -Infinity;
  const [start, end] = recentWindow(recorded, lastStep, size);
  return start < end ? Math.min(recorded[start], lastStep - Math.max(1, Math.floor(size)) + 1) : lastStep - Math.max(1, Math.floor(size)) + 1;
}

/** The points from `fromX` on, and the y range they span (padded by 5% of the span; a flat line gets ±5% of its value). */
export function windowedPoints(points: Array<{ x: number; y: number }>, fromX: number): { points: Array<{ x: number; y: number }>; y?: [number, number] } {
  const kept = points.filter((p) => p.x >= fromX);
  const ys = kept.map((p) => p.y).filter(Number.isFinite);
  if (!ys.length) return { points: kept };
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(lo) * 0.05 || 1;
  return { points: kept, y: [lo - pad, hi + pad] };
}
