/**
 * The built CLI as CI runs it (`node dist/cli.js …`): exit codes 0/1/2, JSON output, saved reports,
 * and the wrong-backward example failing its check with the layer and line named.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildOnce, CLI, FIXTURES, ROOT } from "../runner/build-once";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), "gl-cli-"));

beforeAll(buildOnce, 180_000);

describe("gradient-lens CLI", () => {
  it("prints help with the exit codes and exits 0", () => {
    const r = cli("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Exit codes:");
  });

  it("exits 2 on a bad command line", () => {
    const r = cli("check");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("check expects a file");
  });

  it("check exits 0 for a healthy model, with a plain (uncoloured) table", () => {
    const r = cli("check", "test/fixtures/two-models.ts", "--model", "small", "--mode", "full");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/layers\.0\s+Linear\s+test\/fixtures\/two-models\.ts:12/);
    expect(r.stdout).toContain("Gradient check (full, eps 1.00e-6): passed");
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it("check exits 1 for the wrong-backward example, naming the layer and file:line", () => {
    const r = cli("check", "examples/wrong-backward.ts");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain("Gradient check (sampled, eps 1.00e-6): FAILED");
    expect(r.stdout).toMatch(/error gradcheck-failed\s+layers\.1\s+examples\/wrong-backward\.ts:38/);
    expect(r.stdout).toMatch(/layers\.0\s+examples\/wrong-backward\.ts:37\s+\d+\s+\S+\s+fail/);
    expect(r.stdout).toContain('"cubeWrong"');
  });

  it("check exits 0 for the fixed variant of the same example", () => {
    expect(cli("check", "examples/wrong-backward.ts", "--model", "fixed").code).toBe(0);
  });

  it("check exits 0 when the gradient check could not run, printing it as inconclusive with the reason", () => {
    const r = cli("check", "test/fixtures/gradcheck-cannot-run.ts");
    expect(r.stdout).toContain("Gradient check inconclusive: the check could not run: TrainingOnly runs in training mode only");
    expect(r.stdout).not.toContain("FAILED");
    expect(r.code, r.stdout).toBe(0);
  });

  it("check exits 1 for naive-softmax because of its error-level nan-or-inf warning, not its (inconclusive) check", () => {
    const r = cli("check", "examples/naive-softmax.ts");
    // One problem (the overflow), its cause the nan-or-inf warning, the inconclusive check a symptom.
    expect(r.stdout).toMatch(/^error NaN\/Inf at step 0/m);
    expect(r.stdout).toMatch(/^\s+cause\s+nan-or-inf\b/m);
    expect(r.stdout).toMatch(/^\s+symptom\s+gradcheck-inconclusive\b/m);
    expect(r.stdout).toContain("Gradient check inconclusive: ");
    expect(r.stdout).toContain("note: ");
    expect(r.stdout).not.toContain("FAILED");
    expect(r.stdout).toContain("Unhealthy: 1 error.");
    expect(r.code).toBe(1);
  });

  it("counts the steps of an epochs spec: train runs them all, check at most 20", () => {
    const train = cli("train", "test/fixtures/epochs.ts");
    expect(train.stderr).toContain('Training "Two epochs" (export default), 8 steps…');
    expect(train.stdout).toContain("8 steps, loss");
    const check = cli("check", "test/fixtures/epochs.ts");
    expect(check.stderr).toContain("8 steps…");
    expect(check.stdout).toContain("8 steps, loss");
    const long = cli("check", "test/fixtures/epochs.ts", "--model", "long");
    expect(long.stderr).toContain("20 steps…");
    expect(long.stdout).toContain("20 steps, loss");
  });

  it("check --mode full above the parameter budget checks a sample instead and says so", () => {
    const r = cli("check", "test/fixtures/wide.ts", "--mode", "full", "--json");
    expect(r.code, r.stderr).toBe(0);
    const gc = JSON.parse(r.stdout).gradcheck;
    expect(gc.mode).toBe("sampled");
    expect(gc.notes[0]).toMatch(/^full mode would compare all 26,562 parameters .* budget of 20,000: sampled mode was used instead/);
    expect(r.stderr).toContain("full mode would compare all 26,562 parameters");
  });

  it("check exits 2 on a syntax error, printing file:line:col", () => {
    const file = path.join(tmp(), "broken.ts");
    writeFileSync(file, "export default {\n  name: ,\n};\n");
    const r = cli("check", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error[syntax] ${file}:2:9`);
  });

  it("exits 2 for a file without models and for a model that throws", () => {
    expect(cli("check", "test/fixtures/not-a-model.ts").stderr).toContain("error[invalid-model]");
    const r = cli("train", "test/fixtures/throws-in-model.ts");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[runtime]");
    expect(r.stderr).toContain("test/fixtures/throws-in-model.ts:8:13");
  });

  it("train --json prints a version 1 report and --out saves it for `report`", () => {
    const out = path.join(tmp(), "report.json");
    const r = cli("train", "test/fixtures/two-models.ts", "--steps", "4", "--json", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.version).toBe(1);
    expect(report.steps).toHaveLength(4);
    expect(JSON.parse(readFileSync(out, "utf8")).model.name).toBe("Wide MLP");
    const shown = cli("report", out);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Wide MLP/);
    expect(shown.stdout).toMatch(/layers\.0\s+Linear\s+test\/fixtures\/two-models\.ts:24/);
  });

  it("report exits 2 for a file that is not a report", () => {
    const file = path.join(tmp(), "x.json");
    writeFileSync(file, '{"hello": 1}');
    expect(cli("report", file).code).toBe(2);
  });

  describe("report validates the file against the report schema", () => {
    // A report as `train --out` writes it, then broken in one place.
    let good: Record<string, unknown>;
    beforeAll(() => {
      const out = path.join(tmp(), "good.json");
      expect(cli("train", "test/fixtures/two-models.ts", "--steps", "2", "--out", out).code).toBe(0);
      good = JSON.parse(readFileSync(out, "utf8"));
    }, 120_000);
    const write = (report: unknown) => {
      const file = path.join(tmp(), "r.json");
      writeFileSync(file, JSON.stringify(report));
      return file;
    };
    const steps = () => JSON.parse(JSON.stringify(good.steps)) as Array<Record<string, unknown>>;

    it.each([
      ["a step without layers", () => ({ ...good, steps: steps().map(({ layers: _, ...s }) => s) }), 'steps[0] is missing "layers"'],
      ["steps: [null]", () => ({ ...good, steps: [null] }), "steps[0] must be object"],
      ['warnings: "x"', () => ({ ...good, warnings: "x" }), "warnings must be array"],
      ["a warning with an unknown severity", () => ({ ...good, warnings: [{ rule: "r", severity: "fatal", message: "m", evidence: {} }] }), 'warnings[0].severity must be one of "error", "warning", "info"'],
      ["version 2", () => ({ ...good, version: 2 }), '"version" is 2, expected 1'],
      ["a JSON array", () => [], "does not hold a JSON object"],
    ])("exits 2 naming the first problem: %s", (_, make, problem) => {
      const r = cli("report", write(make()));
      expect(r.stderr).not.toContain("internal error");
      expect(r.stderr).toContain("is not a valid Gradient Lens report (version 1): ");
      expect(r.stderr).toContain(problem);
      expect(r.code).toBe(2);
    });

    it("shows a valid report with fields it does not know yet (and one without warnings)", () => {
      const { warnings: _, ...noWarnings } = good;
      const r = cli("report", write({ ...noWarnings, future: { x: 1 }, gradcheck: { mode: "sampled", eps: 1e-6, passed: false, status: "inconclusive", layers: [], notes: ["the check could not run: boom"], later: true } }));
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("Gradient check inconclusive: the check could not run: boom");
      expect(r.code).toBe(0);
    });
  });

  it("list prints the exports with their lines", () => {
    const r = cli("list", path.join(FIXTURES, "two-models.ts"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/default\s+Wide MLP\s+test\/fixtures\/two-models\.ts:22/);
    expect(r.stdout).toMatch(/small\s+Small MLP\s+test\/fixtures\/two-models\.ts:8/);
  });

  it("a NaN loss is a report with a nan-or-inf warning, not exit 2", () => {
    const r = cli("train", "test/fixtures/nan-loss.ts", "--json");
    expect(r.code).not.toBe(2);
    expect(JSON.parse(r.stdout).warnings.map((w: { rule: string }) => w.rule)).toContain("nan-or-inf");
  });
});
