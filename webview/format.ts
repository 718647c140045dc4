/** Number formatting shared by the webviews. */
export function sci(x: number | undefined, digits = 2): string {
  if (x === undefined || Number.isNaN(x)) return "—";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-2 && a < 1e4) return x.toPrecision(digits + 1).replace(/\.?0+$/, (m) => (m.includes(".") ? "" : m));
  const [m, e] = x.toExponential(digits).split("e");
  return `${m}e${Number(e)}`;
}

export function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "—" : `${(x * 100).toFixed(0)}%`;
}
