import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compareReports, formatComparison } from "../../src/cli/compare";
import { parseArgs } from "../../src/cli/args";
import { sampleReport } from "../extension/fixtures";
import { buildOnce, CLI, ROOT } from "../runner/build-once";
import type { Report } from "../../src/report";

/** b: every gradient norm ×10 and update ratio ×10 on the same steps, no warnings, a falling loss. */
function scaled(r: Report, k: number): Report {
  const b = structuredClone(r);
  for (const s of b.steps) for (const l of s.layers) { l.gradNorm *= k; l.updateRatio *= k; }
  b.warnings = [];
  b.steps[b.steps.length - 1].loss = 0.3;
  return b;
}

describe("compareReports", () => {
  it("gives per-layer b/a ratios of medians over matching steps, the loss and the warnings in one run only", () => {
    const a = sampleReport();
    const c = compareReports(a, scaled(a, 10));
    expect(c.basis).toBe("matching-steps");
    expect(c.steps).toEqual([0, 1]);
    const l0 = c.layers.find((l) => l.name === "layers.0")!;
    expect(l0.gradNormA).toBeCloseTo(2.5e-7, 15); // median of 1e-7 and 4e-7
    expect(l0.gradNormRatio).toBeCloseTo(10, 9);
    expect(l0.updateRatioRatio).toBeCloseTo(10, 9);
    expect(c.layers.map((l) => l.name)).toEqual(["layers.0", "layers.2", "layers.3"]);
    expect(c.loss).toEqual({ firstA: 1.1, lastA: 1.05, firstB: 1.1, lastB: 0.3 });
    expect(c.warnings).toEqual({ onlyA: ["vanishing-gradient layers.0", "loss-not-decreasing"], onlyB: [], both: [] });
    expect(c.problems).toEqual({ onlyA: ["vanishing gradients in layers.0"], onlyB: [], both: [] });
  });

  it("falls back to each run's own medians when no recorded step numbers match", () => {
    const a = sampleReport();
    const b = scaled(a, 4);
    for (const s of b.steps) s.step += 100;
    const c = compareReports(a, b);
    expect(c.basis).toBe("medians");
    expect(c.steps).toBeUndefined();
    expect(c.layers[0].gradNormRatio).toBeCloseTo(4, 9);
  });

  it("prints a table with the ratios and the difference in problems", () => {
    const a = sampleReport();
    const text = formatComparison(compareReports(a, scaled(a, 10)), { a: "A", b: "B" });
    expect(text).toMatch(/layers\.0\s+250e-9\s+2\.50e-6\s+10\.0×/);
    expect(text).toContain("medians over 2 matching recorded steps");
    expect(text).toContain("problems: 1 only in a, 0 only in b, 0 in both\n  only a  vanishing gradients in layers.0");
  });

  it("parses `compare a b` and rejects one file", () => {
    expect(parseArgs(["compare", "a.json", "b.json", "--json"])).toMatchObject({ command: "compare", file: "a.json", file2: "b.json", json: true });
    expect(() => parseArgs(["compare", "a.json"])).toThrow(/two report files/);
  });
});

describe("gradient-lens compare (built CLI)", () => {
  beforeAll(buildOnce, 180_000);
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined }, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it("exits 0, sanitizes names from the files, and --json is the exact comparison", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gl-compare-"));
    const a = sampleReport({ gradcheck: undefined });
    a.model.name = "evil\x1b]0;pwned\x07";
    a.warnings[0].layer = "layers.0";
    const b = scaled(a, 10);
    writeFileSync(path.join(dir, "a.json"), JSON.stringify(a));
    writeFileSync(path.join(dir, "b.json"), JSON.stringify(b));
    const r = cli("compare", path.join(dir, "a.json"), path.join(dir, "b.json"));
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\x1b");
    expect(r.stdout).toContain("evil\\x1b]0;pwned\\x07");
    const j = cli("compare", path.join(dir, "a.json"), path.join(dir, "b.json"), "--json");
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual(JSON.parse(JSON.stringify(compareReports(a, b))));
    expect(cli("compare", path.join(dir, "a.json"), path.join(dir, "missing.json")).code).toBe(2);
  });
});
