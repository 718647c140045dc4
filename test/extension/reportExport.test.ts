import { describe, expect, it } from "vitest";
import { csvField, layerTableCsv, LAYER_CSV_COLUMNS, reportToJson } from "../../src/extension/reportExport";
import { summarizeReport, shortExp } from "../../src/extension/summary";
import { sampleReport } from "./fixtures";

describe("layerTableCsv", () => {
  it("writes one row per layer with statistics, the check and the rules", () => {
    const lines = layerTableCsv(sampleReport()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(LAYER_CSV_COLUMNS.join(","));
    expect(lines).toHaveLength(5);
    const l0 = lines[1].split(",");
    expect(l0.slice(0, 5)).toEqual(["layers.0", "Linear", "96", "/ws/deep-sigmoid.ts", "15"]);
    expect(Number(l0[5])).toBe(4e-7); // last
    expect(Number(l0[6])).toBeCloseTo(2.5e-7); // mean
    expect(l0.slice(11)).toEqual(["20", "2e-9", "pass", "vanishing-gradient"]);
    expect(lines[2].startsWith("layers.1,Sigmoid,0,")).toBe(true);
    expect(lines[3]).toContain("pass (kinks)");
  });

  it("quotes fields per RFC 4180", () => {
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField(undefined)).toBe("");
    expect(csvField(1e-9)).toBe("1e-9");
  });

  it("exports the JSON unchanged", () => {
    expect(JSON.parse(reportToJson(sampleReport()))).toEqual(sampleReport());
  });
});

describe("summarizeReport", () => {
  it("reads like the CodeLens: warnings · check · max error", () => {
    // The sample's two warnings share one root cause (vanishing gradients, the flat loss its symptom).
    expect(summarizeReport(sampleReport())).toBe("1 problem (2 warnings) · gradcheck passed · max rel err 2e-9");
    expect(summarizeReport(sampleReport({ warnings: [sampleReport().warnings[0]] }))).toBe("1 warning · gradcheck passed · max rel err 2e-9");
    const failed = sampleReport({ warnings: [{ rule: "gradcheck-failed", severity: "error", message: "x", evidence: {} }] });
    failed.gradcheck!.passed = false;
    failed.gradcheck!.layers[0].passed = false;
    expect(summarizeReport(failed)).toBe("1 error · gradcheck FAILED (1 of 2 layers) · max rel err 2e-9");
    expect(summarizeReport(sampleReport({ warnings: [], gradcheck: undefined }))).toBe("no warnings");
  });

  it("formats small errors briefly", () => {
    expect(shortExp(2.04e-9)).toBe("2e-9");
    expect(shortExp(0.438)).toBe("4e-1");
    expect(shortExp(0)).toBe("0");
  });
});
