/** The CLI's text: numbers, tables, colour decisions, exit codes and error rendering, without a process. */
import { describe, expect, it } from "vitest";
import { count, eng, gradcheckStatus, exitCodeFor, exitCodeForReport, formatLayerTable, formatReport, formatRunError, formatWarnings, shouldColor, style, table, visibleLength, formatProgress, formatModels } from "../../src/cli/format";
import type { GradcheckResult, Report } from "../../src/report";

function report(overrides: Partial<Report> = {}): Report {
  const layerStats = (name: string, gradNorm: number, updateRatio: number) => ({
    name, gradNorm, gradMeanAbs: 0, gradMaxAbs: 0, weightNorm: 1, updateRatio, zeroFraction: 0, histogram: { edges: [], counts: [] },
  });
  return {
    version: 1,
    model: {
      name: "Tiny", file: "/proj/model.ts", parameters: 1234,
      layers: [
        { name: "layers.0", kind: "Linear", parameters: 24, location: { file: "/proj/model.ts", line: 12, column: 7 } },
        { name: "layers.1", kind: "Sigmoid", parameters: 0, location: { file: "/proj/model.ts", line: 13, column: 7 } },
      ],
    },
    steps: [
      { step: 0, loss: 1.1, layers: [layerStats("layers.0", 1.234e-7, 0.001), layerStats("layers.1", 0.5, 0)] },
      { step: 1, loss: 1.0, layers: [] },
      { step: 2, loss: 0.9, layers: [layerStats("layers.0", 2.5e-6, 0.0021), layerStats("layers.1", 0.25, 0)] },
    ],
    warnings: [
      { rule: "vanishing-gradient", severity: "warning", layer: "layers.0", step: 0, message: "tiny gradients", hint: "use ReLU", evidence: {}, location: { file: "/proj/model.ts", line: 12, column: 7 } },
    ],
    ...overrides,
  };
}

describe("eng", () => {
  it.each([
    // engineering notation below 1e-3 and from 1e4 on
    [1.23e-6, "1.23e-6"], [4.56e-5, "45.6e-6"], [7.89e-4, "789e-6"], [9.994e-4, "999e-6"], [1.5e-9, "1.50e-9"],
    [12345, "12.3e3"], [9999.6, "10.0e3"], [-2.5e9, "-2.50e9"], [999.96e3, "1.00e6"],
    // plain decimals in [1e-3, 1e4), three significant digits
    [0.559, "0.559"], [0.0123, "0.0123"], [0.5, "0.500"], [0.001, "0.00100"], [9.9996e-4, "0.00100"], [0.00123, "0.00123"],
    [1, "1.00"], [12.34, "12.3"], [999.4, "999"], [999.96, "1000"], [6530, "6530"], [6534, "6530"], [-0.25, "-0.250"],
    [0, "0"], [NaN, "NaN"], [Infinity, "Inf"], [-Infinity, "-Inf"], [undefined, "—"],
  ])("eng(%s) = %s", (x, text) => {
    expect(eng(x as number)).toBe(text);
  });
  it("formats counts with separators", () => expect(count(1234567)).toBe("1,234,567"));
});

describe("table", () => {
  it("aligns columns left and right, ignoring ANSI codes in widths", () => {
    const st = style(true);
    const text = table(["a", "num"], [["long name", st.red("1")], ["x", "123"]], ["left", "right"]);
    const lines = text.split("\n").map((l) => l.replace(/\x1b\[[0-9;]*m/g, ""));
    expect(lines).toEqual(["a          num", "─────────  ───", "long name    1", "x          123"]);
    expect(visibleLength(st.red("abc"))).toBe(3);
  });
});

describe("shouldColor", () => {
  it("colours a TTY only, respects NO_COLOR and FORCE_COLOR", () => {
    expect(shouldColor(true, {})).toBe(true);
    expect(shouldColor(false, {})).toBe(false);
    expect(shouldColor(undefined, {})).toBe(false);
    expect(shouldColor(true, { NO_COLOR: "1" })).toBe(false);
    expect(shouldColor(true, { NO_COLOR: "" })).toBe(true);
    expect(shouldColor(true, { TERM: "dumb" })).toBe(false);
    expect(shouldColor(false, { FORCE_COLOR: "1" })).toBe(true);
  });
  it("emits no escape codes without colour", () => {
    expect(formatReport(report(), { color: false })).not.toMatch(/\x1b/);
    expect(formatReport(report(), { color: true })).toMatch(/\x1b\[/);
  });
});

describe("exit codes", () => {
  it("0 healthy, 1 on an error-level warning or a failed check, 2 when the run failed", () => {
    expect(exitCodeForReport(report())).toBe(0);
    const errorWarning = report({ warnings: [{ rule: "nan-or-inf", severity: "error", message: "NaN", evidence: {} }] });
    expect(exitCodeForReport(errorWarning)).toBe(1);
    const failedCheck = report({ gradcheck: { mode: "full", eps: 1e-6, passed: false, layers: [] } });
    expect(exitCodeFor({ ok: true, report: failedCheck })).toBe(1);
    expect(exitCodeFor({ ok: false, error: { kind: "syntax", message: "x" } })).toBe(2);
  });
});

describe("gradient check status", () => {
  const gc = (extra: Partial<GradcheckResult>): GradcheckResult => ({ mode: "sampled", eps: 1e-6, passed: false, layers: [], ...extra });
  const failedLayer = { name: "layers.0", checked: 10, maxRelError: 0.33, passed: false, failures: 4, worst: [] };

  it("reads status when present and `passed` in older reports", () => {
    expect(gradcheckStatus(gc({ status: "inconclusive" }))).toBe("inconclusive");
    expect(gradcheckStatus(gc({ status: "failed" }))).toBe("failed");
    expect(gradcheckStatus(gc({ passed: true, status: "passed" }))).toBe("passed");
    expect(gradcheckStatus(gc({ passed: true }))).toBe("passed");
    expect(gradcheckStatus(gc({ layers: [failedLayer], checked: 10 }))).toBe("failed");
    // An old report of a check that compared nothing found no wrong gradient either.
    expect(gradcheckStatus(gc({ notes: ["the check could not run: reshape: cannot reshape"] }))).toBe("inconclusive");
  });

  it("exits 0 for an inconclusive check and 1 only for a failed one", () => {
    expect(exitCodeForReport(report({ gradcheck: gc({ status: "inconclusive", notes: ["the loss is NaN at the checked point: nothing to compare"] }) }))).toBe(0);
    expect(exitCodeForReport(report({ gradcheck: gc({ status: "failed", layers: [failedLayer] }) }))).toBe(1);
    expect(exitCodeForReport(report({ gradcheck: gc({ layers: [failedLayer], checked: 10 }) }))).toBe(1);
    // An inconclusive check does not hide an error-level warning.
    const nan = { rule: "nan-or-inf", severity: "error" as const, message: "NaN", evidence: {} };
    expect(exitCodeForReport(report({ warnings: [nan], gradcheck: gc({ status: "inconclusive" }) }))).toBe(1);
  });

  it("prints an inconclusive check with its reason and notes, never FAILED", () => {
    const text = formatReport(report({
      gradcheck: gc({ status: "inconclusive", notes: ["Dropout and other train-only randomness off (eval mode)", "the check could not run: reshape: cannot reshape [16, 2] to [32, 2]"] }),
    }), { cwd: "/proj" });
    expect(text).toContain("Gradient check inconclusive: the check could not run: reshape: cannot reshape [16, 2] to [32, 2]");
    expect(text).toContain("note: Dropout and other train-only randomness off (eval mode)");
    expect(text).not.toContain("FAILED");
    expect(text).not.toContain("Unhealthy");
    expect(text).toContain("No errors; 1 warning, gradient check inconclusive.");
  });

  it("prints the notes of a check that ran", () => {
    const text = formatReport(report({ gradcheck: gc({ passed: true, status: "passed", notes: ["first 16 training rows"] }) }));
    expect(text).toContain("Gradient check (sampled, eps 1.00e-6): passed\n  note: first 16 training rows");
  });
});

describe("report rendering", () => {
  it("lists each layer with kind, location, first/last recorded grad norm, update ratio and warnings", () => {
    const text = formatLayerTable(report(), { cwd: "/proj" });
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^layer\s+kind\s+location\s+grad norm @0\s+grad norm @2\s+update ratio\s+warnings$/);
    expect(lines[2]).toMatch(/^layers\.0\s+Linear\s+model\.ts:12\s+123e-9\s+2\.50e-6\s+0\.00210\s+1$/);
    expect(lines[3]).toMatch(/^layers\.1\s+Sigmoid\s+model\.ts:13\s+0\.500\s+0\.250\s+—\s+0$/);
  });

  it("shows warnings with layer, file:line, message and hint", () => {
    const text = formatWarnings(report().warnings, { cwd: "/proj" });
    expect(text).toBe("warning vanishing-gradient  layers.0  model.ts:12  step 0\n  tiny gradients\n  hint: use ReLU");
  });

  it("shows a failed gradient check with the culprit and a verdict", () => {
    const r = report({
      gradcheck: {
        mode: "sampled", eps: 1e-6, passed: false,
        layers: [{ name: "layers.0", checked: 10, maxRelError: 0.33, passed: false, failures: 4, worst: [{ index: [0, 1], analytic: 0.2, numeric: 0.3, relError: 0.33 }] }],
        culprit: { op: "cubeWrong", layer: "layers.1", location: { file: "/proj/model.ts", line: 13, column: 7 }, inputShapes: [[4, 8]] },
      },
    });
    const text = formatReport(r, { cwd: "/proj" });
    expect(text).toContain("Gradient check (sampled, eps 1.00e-6): FAILED");
    expect(text).toMatch(/layers\.0\s+model\.ts:12\s+10\s+0\.330\s+fail \(4\)/);
    expect(text).toContain("wrong backward rule: op cubeWrong in layers.1 at model.ts:13");
    expect(text).toContain("Unhealthy: gradient check failed.");
    expect(text).toContain("1,234 parameters, 3 steps, loss 1.10 → 0.900");
  });

  it("renders a run error with kind, location and the user's frames", () => {
    const text = formatRunError({
      kind: "runtime", message: "boom", location: { file: "/proj/model.ts", line: 8, column: 13 },
      stack: "Error: boom\n    at Broken.forward (/proj/model.ts:8:13)",
    }, { cwd: "/proj" });
    expect(text).toBe("error[runtime] boom\n  at model.ts:8:13\n  at Broken.forward (/proj/model.ts:8:13)");
  });

  it("renders every syntax diagnostic", () => {
    const loc = (line: number) => ({ file: "/proj/m.ts", line, column: 3 });
    const text = formatRunError({ kind: "syntax", message: "/proj/m.ts:1:3: a (and 1 more)", location: loc(1), diagnostics: [{ message: "a", location: loc(1) }, { message: "b", location: loc(4) }] }, { cwd: "/proj" });
    expect(text.split("\n")).toEqual(["error[syntax] /proj/m.ts:1:3: a (and 1 more)", "  m.ts:1:3: a", "  m.ts:4:3: b"]);
  });

  it("formats progress and model lists", () => {
    expect(formatProgress({ step: 9, totalSteps: 20, loss: 0.0123 }, 10)).toBe("█████░░░░░ step 10/20  loss 0.0123");
    expect(formatModels([{ exportName: "default", name: "A", location: { file: "/p/m.ts", line: 3, column: 1 } }], { cwd: "/p" })).toContain("default  A     m.ts:3");
  });
});

describe("problems", () => {
  it("prints a problem with its fix and its warnings indented beneath; a lone warning as itself", async () => {
    const { formatProblems } = await import("../../src/cli/format");
    const { groupProblems } = await import("../../src/instrument/problems");
    const loc = { file: "/proj/m.ts", line: 12, column: 3 };
    const warnings = [
      { rule: "vanishing-gradient", severity: "warning" as const, layer: "layers.0", location: loc, message: "layers.0 gets tiny gradients.", hint: "use ReLU", evidence: { gradNorm: 1e-9 } },
      { rule: "update-ratio", severity: "warning" as const, layer: "layers.0", message: "layers.0 barely moves.", hint: "raise the lr", evidence: { direction: "too-small" } },
      { rule: "loss-oscillating", severity: "warning" as const, step: 9, message: "the loss swings.", hint: "lower the lr", evidence: {} },
    ];
    const problems = groupProblems(warnings, ["layers.0"]);
    const text = formatProblems(problems, warnings, { cwd: "/proj" });
    expect(text).toContain("warning vanishing gradients in layers.0  m.ts:12  (2 warnings)\n  fix: use ReLU\n  cause   vanishing-gradient  layers.0  m.ts:12\n      layers.0 gets tiny gradients.\n  symptom update-ratio  layers.0\n      layers.0 barely moves.");
    expect(text).not.toContain("raise the lr");
    expect(text).toContain("warning loss-oscillating  step 9\n  the loss swings.\n  hint: lower the lr");
    expect(formatProblems([], [])).toBe("No warnings.");
  });
});
