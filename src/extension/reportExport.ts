/** Export of a report: JSON as is, and the per-layer table as CSV (RFC 4180 quoting). Pure. */
import { gradcheckLayerStatus, type Report } from "../report";

export function reportToJson(report: Report): string {
  return JSON.stringify(report, null, 2) + "\n";
}

export const LAYER_CSV_COLUMNS = [
  "layer", "kind", "parameters", "file", "line",
  "grad_norm_last", "grad_norm_mean", "grad_norm_min", "grad_norm_max",
  "update_ratio_last", "zero_fraction_last",
  "gradcheck_checked", "gradcheck_max_rel_error", "gradcheck_status",
  "warnings",
] as const;

/** One row per layer of the model: gradient statistics over the recorded steps, the check, the rules that fired. */
export function layerTableCsv(report: Report): string {
  const rows: Array<Array<string | number | undefined>> = [[...LAYER_CSV_COLUMNS]];
  const names = report.model.layers.map((l) => l.name);
  // Layers that appear only in the statistics (a report without layer metadata) still get a row.
  for (const s of report.steps) for (const l of s.layers) if (!names.includes(l.name)) names.push(l.name);

  for (const name of names) {
    const info = report.model.layers.find((l) => l.name === name);
    const series = report.steps.flatMap((s) => s.layers.filter((l) => l.name === name));
    const norms = series.map((l) => l.gradNorm).filter(Number.isFinite);
    const last = series[series.length - 1];
    const check = report.gradcheck?.layers.find((l) => l.name === name);
    // The layer's three-valued verdict, read as every front end reads it: an inconclusive layer
    // (`passed` false, nothing shown wrong) is not a failure.
    const verdict = check ? gradcheckLayerStatus(check) : undefined;
    const status = !verdict ? "" : verdict === "failed" ? "fail" : verdict === "inconclusive" ? "inconclusive" : check!.kinks ? "pass (kinks)" : "pass";
    const rules = [...new Set(report.warnings.filter((w) => w.layer === name).map((w) => w.rule))].join(";");
    rows.push([
      name, info?.kind, info?.parameters, info?.location?.file, info?.location?.line,
      last?.gradNorm,
      norms.length ? norms.reduce((a, b) => a + b, 0) / norms.length : undefined,
      norms.length ? Math.min(...norms) : undefined,
      norms.length ? Math.max(...norms) : undefined,
      last?.updateRatio, last?.zeroFraction,
      check?.checked, check?.maxRelError, status, rules,
    ]);
  }
  return rows.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

export function csvField(v: string | number | undefined): string {
  if (v === undefined) return "";
  const s = typeof v === "number" ? (Number.isFinite(v) ? String(v) : String(v)) : v;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
