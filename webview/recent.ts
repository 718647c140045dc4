/**
 * The recent window the charts are scaled to: the last N recorded steps (or all of them). A run's first
 * steps often have gradients and losses orders of magnitude off the rest; scaling to all-time extremes
 * would flatten everything after them. Pure.
 */

/** How many recorded steps the panel shows by default. */
export const RECENT_STEPS = 50;

export type WindowSize = number | "all";

/** [start, end) of the last `size` of `count` items (all of them for "all"). */
export function recentWindow(count: number, size: WindowSize): [number, number] {
  if (size === "all" || size >= count) return [0, count];
  return [count - Math.max(1, Math.floor(size)), count];
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

/** The first x of the window: the step at `start` of the recorded steps, else of the points themselves. */
export function windowStart(recordedSteps: number[], pointXs: number[], size: WindowSize): number {
  const xs = recordedSteps.length ? recordedSteps : pointXs;
  if (!xs.length) return -Infinity;
  return xs[recentWindow(xs.length, size)[0]];
}
