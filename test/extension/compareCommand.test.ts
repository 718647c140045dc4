/**
 * Comparing runs through the host, with a fake `vscode`: finished runs land in the workspace storage's
 * history, the webview's `listRuns`/`loadRun` queries are answered (and validated), "Compare with…"
 * picks two runs and the panel is sent both, and a bad report file chosen with "Browse…" is an error
 * message that says what is wrong.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fakeRunner, settle } from "./fakeRunner";
import { sampleReport } from "./fixtures";
import { isHostMessage, type ComparedRun, type Outcome, type RunEntry } from "../../src/protocol/webview";

vi.mock("vscode", () => import("./fakeVscode"));
const runner = vi.hoisted(() => ({ current: undefined as undefined | ReturnType<typeof import("./fakeRunner").fakeRunner> }));
vi.mock("../../src/runner", () => ({ startRun: (...a: Parameters<ReturnType<typeof fakeRunner>["startRun"]>) => runner.current!.startRun(...a) }));

const vscode = await import("./fakeVscode");
const { GradientLens } = await import("../../src/extension/gradientLens");

const SOURCE = `import { defineModel } from "gradient-lens";\n\nexport const a = defineModel({\n  name: "Sigmoid",\n});\n\nexport const b = defineModel({\n  name: "ReLU",\n});\n`;

let root: string;
let modelFile: string;
let storage: string;
let lens: InstanceType<typeof GradientLens>;

beforeEach(() => {
  vscode.resetFake();
  runner.current = fakeRunner();
  root = mkdtempSync(path.join(tmpdir(), "gl-compare-"));
  const ws = path.join(root, "ws");
  mkdirSync(ws);
  modelFile = path.join(ws, "models.ts");
  writeFileSync(modelFile, SOURCE);
  storage = path.join(root, "storage");
  vscode.fake.workspaceFolders = [ws];
  vscode.fake.workspaceFiles = [modelFile];
  lens = new GradientLens({ extensionUri: vscode.Uri.file(path.join(root, "ext")), storageUri: vscode.Uri.file(storage), subscriptions: [] } as never);
});

afterEach(() => {
  lens.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Trains export `name` to the end with `report`; resolves once the history holds it. */
async function train(exportName: string, report = sampleReport()): Promise<void> {
  const kept = vscode.fake.log.filter((l) => /kept run/.test(l)).length;
  const done = vscode.commands.executeCommand("gradientLens.trainModel", { file: modelFile, exportName, name: exportName === "a" ? "Sigmoid" : "ReLU" });
  await vi.waitFor(() => expect(runner.current!.runs.length).toBeGreaterThan(0));
  const run = runner.current!.runs.at(-1)!;
  run.emit({ type: "started", totalSteps: 2, exportName, name: exportName === "a" ? "Sigmoid" : "ReLU" } as never);
  run.end({ ok: true, report: { ...report, model: { ...report.model, name: exportName === "a" ? "Sigmoid" : "ReLU" } } });
  await done;
  await vi.waitFor(() => expect(vscode.fake.log.filter((l) => /kept run/.test(l)).length).toBe(kept + 1));
}

async function openPage() {
  await vscode.commands.executeCommand("gradientLens.openReport");
  const panel = vscode.fake.panels.at(-1)!;
  panel.webview.send({ type: "ready" });
  await settle();
  return panel.webview;
}

const relu = () => {
  const r = sampleReport();
  r.warnings = [];
  return r;
};

describe("the run history", () => {
  it("keeps every finished run in the workspace storage, bounded by gradientLens.history.maxRuns", async () => {
    vscode.fake.configuration["history.maxRuns"] = 2;
    for (let i = 0; i < 3; i++) await train("a");
    await train("b");
    const folders = readdirSync(path.join(storage, "runs"));
    expect(folders).toHaveLength(2);
    const counts = folders.map((f) => readdirSync(path.join(storage, "runs", f)).filter((n) => n.endsWith(".meta.json")).length).sort();
    expect(counts).toEqual([1, 2]);
  });

  it("keeps a stopped or failed run that recorded steps, marked with how it ended; not a failed run without steps", async () => {
    const partial = (steps: number, reason: "cancelled" | "error") => {
      const r = sampleReport();
      r.steps = r.steps.slice(0, steps);
      r.status = { ok: false, reason, error: reason, steps, totalSteps: 300 };
      return r;
    };
    const start = async (exportName: string) => {
      const done = vscode.commands.executeCommand("gradientLens.trainModel", { file: modelFile, exportName, name: exportName === "a" ? "Sigmoid" : "ReLU" });
      const n = runner.current!.runs.length;
      await vi.waitFor(() => expect(runner.current!.runs.length).toBe(n + 1));
      return { run: runner.current!.runs.at(-1)!, done };
    };
    // Stopped by the user after one step (the Stop command's partial report).
    let { run, done } = await start("a");
    run.end({ ok: false, error: { kind: "cancelled", message: "stopped", partialReport: partial(1, "cancelled") } });
    await done;
    await vi.waitFor(() => expect(vscode.fake.log.some((l) => /kept run #1 of Sigmoid in the history \(.*\), stopped by the user after 1 of 300 steps/.test(l))).toBe(true));
    // An exception before the first step: nothing to compare, not kept.
    ({ run, done } = await start("b"));
    run.end({ ok: false, error: { kind: "runtime", message: "ReLU failed: boom", partialReport: partial(0, "error") } });
    await done;
    // An exception after two steps: kept as failed.
    ({ run, done } = await start("b"));
    run.end({ ok: false, error: { kind: "runtime", message: "ReLU failed: boom", partialReport: partial(2, "error") } });
    await done;
    await vi.waitFor(() => expect(vscode.fake.log.filter((l) => /kept run/.test(l))).toHaveLength(2));
    await settle(30);
    expect(vscode.fake.log.some((l) => /kept run #2/.test(l))).toBe(false);

    const page = await openPage();
    const listed = (await page.request({ type: "listRuns" })) as { result: { runs: RunEntry[] } };
    expect(listed.result.runs.map((r) => [r.model.name, r.phase, r.reason, r.steps])).toEqual([["ReLU", "failed", "error", 2], ["Sigmoid", "cancelled", "cancelled", 1]]);
    // The palette's picker says how each ended; picking the stopped run compares with it.
    const picks: string[][] = [];
    vi.spyOn(vscode.window, "showQuickPick").mockImplementation((async (items: Array<{ label: string; description?: string }>) => {
      picks.push(items.filter((i) => i.description && !i.label.includes("Browse")).map((i) => `${i.label}: ${i.description}`));
      return items.find((i) => i.label === (picks.length === 1 ? "ReLU" : "Sigmoid"));
    }) as never);
    const before = page.posted.length;
    expect(await vscode.commands.executeCommand("gradientLens.compareWith")).toEqual({ status: "ok" });
    expect(picks).toEqual([
      [expect.stringMatching(/^ReLU: .* · train · failed after 2 of 300 steps · 1 warning · 1 note · shown$/), expect.stringMatching(/^Sigmoid: .* · stopped by the user after 1 of 300 steps/)],
      [expect.stringMatching(/^Sigmoid: .* · train · stopped by the user after 1 of 300 steps · 1 warning · 1 note$/)],
    ]);
    const sent = page.posted.slice(before).find((m) => (m as { type: string }).type === "compare") as { a: ComparedRun; b: ComparedRun };
    expect([sent.a.name, sent.b.name]).toEqual(["ReLU", "Sigmoid"]);
    expect(sent.b.report.status).toMatchObject({ reason: "cancelled", steps: 1 });
  });

  it("keeps nothing when maxRuns is 0 (the window's runs can still be compared)", async () => {
    vscode.fake.configuration["history.maxRuns"] = 0;
    const done = vscode.commands.executeCommand("gradientLens.trainModel", { file: modelFile, exportName: "a", name: "Sigmoid" });
    await vi.waitFor(() => expect(runner.current!.runs).toHaveLength(1));
    runner.current!.runs[0].end({ ok: true, report: sampleReport() });
    await done;
    await settle(30);
    expect(existsSync(path.join(storage, "runs"))).toBe(false);
    const page = await openPage();
    const answer = (await page.request({ type: "listRuns" })) as Outcome;
    expect(answer.status === "ok" && answer.result?.kind === "runs" && answer.result.runs.map((r) => r.id)).toEqual(["session/r1"]);
  });
});

describe("the webview's queries", () => {
  it("lists the kept runs newest first and loads one, both answers valid protocol messages", async () => {
    await train("a");
    await train("b", relu());
    const page = await openPage();
    const listed = (await page.request({ type: "listRuns" })) as Outcome;
    expect(listed.status).toBe("ok");
    const runs = (listed as { result: { runs: RunEntry[] } }).result.runs;
    // The sigmoid run's report: one warning and one info-level finding, listed as a note.
    expect(runs.map((r) => [r.model.name, r.steps, r.warnings, r.notes])).toEqual([["ReLU", 2, 0, undefined], ["Sigmoid", 2, 1, 1]]);
    const loaded = (await page.request({ type: "loadRun", id: runs[1].id })) as Outcome;
    expect(loaded).toMatchObject({ status: "ok", result: { kind: "run", run: { name: "Sigmoid", source: "history", date: runs[1].startedAt } } });
    // What the host posted passes the page's own guard.
    for (const m of page.posted) expect(isHostMessage(m), JSON.stringify(m).slice(0, 80)).toBe(true);
  });

  it("refuses an id outside the history without looking, and a run that is gone", async () => {
    await train("a");
    const page = await openPage();
    const before = page.posted.length;
    page.send({ type: "loadRun", id: "../../etc/passwd", requestId: 41 });
    await settle();
    expect(page.posted.slice(before)).toEqual([]); // invalid: dropped, never answered
    expect(vscode.fake.log.some((l) => /ignored an invalid message/.test(l))).toBe(true);
    expect(await page.request({ type: "loadRun", id: "models-000000000000/20200101T000000000Z-r1" })).toEqual({
      status: "refused", reason: "That run is no longer in the history (it was pruned or deleted).",
    });
  });
});

describe("Gradient Lens: Compare with…", () => {
  it("picks the run shown first, then the other, and sends both to the panel", async () => {
    await train("a");
    await train("b", relu());
    const page = await openPage();
    const titles: string[] = [];
    vi.spyOn(vscode.window, "showQuickPick").mockImplementation((async (items: Array<{ label: string; description?: string }>, o: { title: string }) => {
      titles.push(o.title);
      // The run shown (ReLU, the last) comes first, marked; the other pick excludes it.
      if (titles.length === 1) {
        expect(items[0].label).toBe("ReLU");
        expect(items[0].description).toMatch(/ · train · 2 steps · 0 warnings · shown$/);
        expect(items.at(-1)!.label).toBe("$(folder-opened) Browse…");
        return items[0];
      }
      expect(items.map((i) => i.label)).toEqual(["Sigmoid", "", "$(folder-opened) Browse…"]);
      return items[0];
    }) as never);
    const before = page.posted.length;
    expect(await vscode.commands.executeCommand("gradientLens.compareWith")).toEqual({ status: "ok" });
    expect(titles).toEqual(["Compare runs (1/2): this run", "Compare runs (2/2): ReLU with…"]);
    await settle();
    const sent = page.posted.slice(before).filter((m) => (m as { type: string }).type === "compare") as Array<{ a: ComparedRun; b: ComparedRun }>;
    expect(sent).toHaveLength(1);
    expect([sent[0].a.name, sent[0].b.name]).toEqual(["ReLU", "Sigmoid"]);
    expect(sent[0].b.report.warnings).toHaveLength(2);
    expect(isHostMessage(sent[0])).toBe(true);
  });

  it("compares with a report file, and refuses a file that is not a report with a message saying why", async () => {
    await train("b", relu());
    const good = path.join(root, "good.json");
    writeFileSync(good, JSON.stringify({ ...sampleReport(), model: { ...sampleReport().model, name: "From disk" } }));
    const bad = path.join(root, "bad.json");
    writeFileSync(bad, JSON.stringify({ version: 1, model: { name: "x", parameters: 1, layers: [] }, steps: [{ step: "0" }], warnings: [] }));
    // First pick: the run shown; second: "Browse…" (the last item).
    let picks = 0;
    vi.spyOn(vscode.window, "showQuickPick").mockImplementation((async (items: Array<{ label: string }>) => (picks++ % 2 === 0 ? items[0] : items.at(-1))) as never);
    const page = await openPage();

    vscode.fake.openTargets = [vscode.Uri.file(bad)];
    expect(await vscode.commands.executeCommand("gradientLens.compareWith")).toEqual({ status: "cancelled" });
    expect(vscode.fake.messages.filter((m) => m.level === "error").map((m) => m.text)).toEqual([
      `Gradient Lens: bad.json is not a Gradient Lens report: steps[0] is missing "loss".`,
    ]);

    vscode.fake.openTargets = [vscode.Uri.file(good)];
    const before = page.posted.length;
    expect(await vscode.commands.executeCommand("gradientLens.compareWith")).toEqual({ status: "ok" });
    await settle();
    const sent = page.posted.slice(before).find((m) => (m as { type: string }).type === "compare") as { a: ComparedRun; b: ComparedRun };
    expect([sent.a.name, sent.b.name, sent.b.source]).toEqual(["ReLU", "From disk", "file"]);
  });

  it("opens the panel when none is open and sends the comparison once its page listens", async () => {
    await train("a");
    await train("b", relu());
    vi.spyOn(vscode.window, "showQuickPick").mockImplementation((async (items: Array<{ label: string }>) => items[0]) as never);
    // A run opened the panel; the user closed it.
    for (const p of vscode.fake.panels) p.dispose();
    const panels = vscode.fake.panels.length;
    expect(await vscode.commands.executeCommand("gradientLens.compareWith")).toEqual({ status: "ok" });
    expect(vscode.fake.panels).toHaveLength(panels + 1);
    const page = vscode.fake.panels.at(-1)!.webview;
    const compares = () => page.posted.filter((m) => (m as { type: string }).type === "compare").length;
    expect(compares()).toBe(0); // not before the page's script runs
    page.send({ type: "ready" });
    await settle();
    expect(compares()).toBe(1);
    page.send({ type: "ready" }); // a later reload of the page keeps its own state: not sent again
    await settle();
    expect(compares()).toBe(1);
  });

  it("sends the comparison to a hidden panel's page when it is shown again (and loads anew)", async () => {
    await train("a");
    await train("b", relu());
    vi.spyOn(vscode.window, "showQuickPick").mockImplementation((async (items: Array<{ label: string }>) => items[0]) as never);
    const page = await openPage();
    const panel = vscode.fake.panels.at(-1)!;
    panel.visible = false;
    panel.viewState.fire();
    const compares = () => page.posted.filter((m) => (m as { type: string }).type === "compare").length;
    expect(await vscode.commands.executeCommand("gradientLens.compareWith")).toEqual({ status: "ok" });
    expect(compares()).toBe(0);
    panel.visible = true;
    page.send({ type: "ready" });
    await settle();
    expect(compares()).toBe(1);
  });
});
