/** Helpers shared by the benchmarks. */

/** The median (of an even count, the mean of the middle two). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
