/**
 * compactReport: a report under the budget is returned as is; a long one is cut to the budget with
 * rounded statistics on a subset of steps (the tail, log- and evenly spaced, the warned ones), with
 * histograms on a few of them, losses and warnings exact, and still valid against the schema.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020";
import { compactReport, pickSteps, roundTo } from "../../src/instrument/compact";
import { syntheticReport, timeSeriesReport } from "../fixtures/reports";
import type { Report } from "../../src/report";

describe("compactReport", () => {
  it("leaves a report under the budget untouched (the same object, exact numbers)", () => {
    const r = syntheticReport({ steps: 3 });
    expect(compactReport(r)).toBe(r);
    expect(compactReport(r, { maxBytes: JSON.stringify(r).length + 10 })).toBe(r);
  });

  it("cuts a long report to its budget, keeping losses and warnings exactly", () => {
    const r = syntheticReport({ steps: 200 });
    const raw = JSON.stringify(r).length;
    expect(raw).toBeGreaterThan(50e6);
    const c = compactReport(r, { maxBytes: 2e6, histogramSteps: 5 });
    const size = JSON.stringify(c).length;
    expect(size).toBeLessThanOrEqual(2e6 * 1.05);
    expect(size).toBeGreaterThan(2e6 * 0.6);
    expect(c.steps.map((s) => s.loss)).toEqual(r.steps.map((s) => s.loss));
    expect(c.warnings).toBe(r.warnings);
    const kept = c.steps.filter((s) => s.layers.length).map((s) => s.step);
    // First, last, the warned step (199) and a dense tail.
    expect(kept[0]).toBe(0);
    expect(kept.slice(-3)).toEqual([197, 198, 199]);
    const withHist = c.steps.filter((s) => s.layers.some((l) => l.histogram.counts.length)).map((s) => s.step);
    expect(withHist.length).toBeLessThanOrEqual(5 + 2);
    expect(withHist).toContain(199);
    // A kept step without histograms has none on its tensors either.
    const plain = c.steps.find((s) => s.layers.length && !s.layers[0].histogram.counts.length)!;
    expect(plain.layers.flatMap((l) => l.params ?? []).every((p) => p.histogram === undefined)).toBe(true);
    // Statistics are rounded to 4 significant digits; counts stay integers.
    const p0 = r.steps[199].layers[0].params![0];
    const q0 = c.steps[199].layers[0].params![0];
    expect(q0.gradRms).toBe(Number(p0.gradRms!.toPrecision(4)));
    expect(q0.gradRms).not.toBe(p0.gradRms);
    expect(c.steps[199].layers[0].histogram.counts).toEqual(r.steps[199].layers[0].histogram.counts);
    // The input is not modified.
    expect(r.steps[5].layers.length).toBe(113);
  });

  it("keeps the time-series detail only on kept steps, rounded", () => {
    type Timed = Omit<Report, "steps"> & { steps: Array<Report["steps"][number] & { timeNorms?: Array<{ norms: number[] }> }> };
    const r = timeSeriesReport(400) as Timed;
    const c = compactReport(r as Report, { maxBytes: 60_000 }) as Timed;
    const kept = c.steps.filter((s) => s.layers.length);
    expect(kept.length).toBeLessThan(400);
    expect(kept.every((s) => s.timeNorms?.length === 2)).toBe(true);
    expect(c.steps.filter((s) => !s.layers.length).every((s) => s.timeNorms === undefined)).toBe(true);
    const i = c.steps.indexOf(kept[kept.length - 1]);
    expect(kept[kept.length - 1].timeNorms![0].norms).toEqual(r.steps[i].timeNorms![0].norms.map((x) => Number(x.toPrecision(4))));
  });

  it("stays valid against the report schema", () => {
    const schema = JSON.parse(readFileSync("schema/report.schema.json", "utf8"));
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const c = compactReport(syntheticReport({ steps: 60 }), { maxBytes: 1e6 });
    expect(c).not.toBe(undefined);
    expect(validate(JSON.parse(JSON.stringify(c))), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });
});

describe("pickSteps and roundTo", () => {
  it("picks the first and last, a dense tail, log- and evenly spaced indices, and the required ones", () => {
    // Tail 16/4 = 4; 6 log-spaced: round(1000^(j/5) − 1) = 0, 3, 15, 62, 250, 999; 6 even: round(999·j/5) = 0, 200, 400, 599, 799, 999.
    expect(pickSteps(1000, 16, [500])).toEqual([0, 3, 15, 62, 200, 250, 400, 500, 599, 799, 996, 997, 998, 999]);
    expect(pickSteps(5, 10, [])).toEqual([0, 1, 2, 3, 4]);
    expect(pickSteps(5, 0, [])).toEqual([]);
  });

  it("rounds to significant digits, leaving integers and non-finite values", () => {
    expect(roundTo(0.000123456, 4)).toBe(0.0001235);
    expect(roundTo(123456.7, 4)).toBe(123500);
    expect(roundTo(42, 4)).toBe(42);
    expect(roundTo(Infinity, 4)).toBe(Infinity);
    expect(Number.isNaN(roundTo(NaN, 4))).toBe(true);
  });
});
