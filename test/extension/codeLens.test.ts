/** The CodeLenses of a model file, with a fake `vscode`: one pair per model, no guesses, failures shown. */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { fakeRunner, settle } from "./fakeRunner";
import { sampleReport } from "./fixtures";

vi.mock("vscode", () => import("./fakeVscode"));
const vscode = await import("./fakeVscode");
const { RunManager } = await import("../../src/extension/runs");
const { ModelCodeLens } = await import("../../src/extension/codeLens");

const FILE = "/ws/m.ts";
let runner: ReturnType<typeof fakeRunner>;
let runs: InstanceType<typeof RunManager>;
let lens: InstanceType<typeof ModelCodeLens>;

beforeEach(() => {
  vscode.resetFake();
  runner = fakeRunner();
  runs = new RunManager(runner.startRun, () => ({}), vscode.window.createOutputChannel("t", { log: true }) as never);
  lens = new ModelCodeLens(runs);
});

const lensesOf = (src: string) =>
  lens.provideCodeLenses(vscode.fakeDocument(FILE, src) as never).map((l) => ({ line: l.range.start.line, title: l.command!.title, args: l.command!.arguments }));

describe("ModelCodeLens", () => {
  it("puts one pair of lenses on a model exported under two names", () => {
    for (const tail of [`export default m;`, `export { m as default };`]) {
      const src = `import { defineModel } from "gradient-lens";\nexport const m = defineModel({ name: "M" });\n${tail}\n`;
      const lenses = lensesOf(src);
      expect(lenses.map((l) => [l.line, l.title])).toEqual([[1, "$(beaker) Check gradients"], [1, "$(graph-line) Train & inspect"]]);
      expect(lenses[0].args).toEqual([{ file: FILE, exportName: "m", name: "M", line: 2 }]);
    }
  });

  it("puts a lens on a checkGradients call only when it names a model of this file", () => {
    const src = [
      `import { checkGradients, defineModel } from "gradient-lens";`,
      `import other from "./other";`,
      `export const mine = defineModel({ name: "mine" });`,
      `checkGradients(other);`,
      `checkGradients(mine);`,
    ].join("\n");
    const checks = lensesOf(src).filter((l) => l.line >= 3);
    expect(checks).toEqual([{ line: 4, title: "$(beaker) Check gradients", args: [{ file: FILE, exportName: "mine", name: "mine", line: 3 }] }]);
  });

  it("replaces the summary of the last report with the failure of a run that ended without one", async () => {
    const src = `import { defineModel } from "gradient-lens";\nexport default defineModel({ name: "D" });\n`;
    const model = { file: FILE, exportName: "default", name: "D" };
    const first = runs.run("check", model);
    await settle();
    runner.runs[0].end({ ok: true, report: sampleReport() });
    await first;
    expect(lensesOf(src)[2].title).toMatch(/gradcheck passed/);

    const second = runs.run("train", model);
    await settle();
    runner.runs[1].end({ ok: false, error: { kind: "timeout", message: "the run exceeded 120000 ms and was stopped" } });
    await second;
    const summary = lensesOf(src)[2];
    expect(summary.title).toBe("$(error) run failed: timeout — the run exceeded 120000 ms and was stopped");
  });
});
