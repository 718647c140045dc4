/**
 * The CSV export reads each layer's gradient-check verdict through `gradcheckLayerStatus` (src/report.ts),
 * as every other front end does: an inconclusive layer (`passed` false, nothing shown wrong) is written
 * "inconclusive", never "fail"; a report written before `status` existed is read from `passed`.
 */
import { describe, expect, it } from "vitest";
import { layerTableCsv, LAYER_CSV_COLUMNS } from "../../src/extension/reportExport";
import type { GradcheckLayer } from "../../src/report";
import { sampleReport } from "./fixtures";

const statusColumn = LAYER_CSV_COLUMNS.indexOf("gradcheck_status");

/** The status cell of each checked layer (layers.0 and layers.2 in the sample), with layers.0 changed. */
function statuses(layer0: Partial<GradcheckLayer>): string[] {
  const report = sampleReport();
  report.gradcheck!.layers[0] = { ...report.gradcheck!.layers[0], ...layer0 };
  const lines = layerTableCsv(report).trimEnd().split("\r\n").slice(1);
  return lines.map((l) => l.split(",")[statusColumn]).filter((_, i) => i === 0 || i === 2);
}

describe("layerTableCsv: the gradient check's status column", () => {
  it("an inconclusive layer is 'inconclusive', not 'fail'", () => {
    expect(statuses({ passed: false, status: "inconclusive" })).toEqual(["inconclusive", "pass (kinks)"]);
  });

  it("a failed layer is 'fail', a passed one 'pass' (with or without `status`)", () => {
    expect(statuses({ passed: false, status: "failed" })).toEqual(["fail", "pass (kinks)"]);
    expect(statuses({ passed: true, status: "passed" })).toEqual(["pass", "pass (kinks)"]);
    // `status` is authoritative over `passed`.
    expect(statuses({ passed: true, status: "failed" })).toEqual(["fail", "pass (kinks)"]);
  });

  it("an older report without `status` is read from `passed`", () => {
    expect(statuses({ passed: false, status: undefined })).toEqual(["fail", "pass (kinks)"]);
    expect(statuses({ passed: true, status: undefined })).toEqual(["pass", "pass (kinks)"]);
  });
});
