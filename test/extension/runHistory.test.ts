/** The run history on disk (no VS Code): naming, pruning, listing, and loading with the report schema. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  DEFAULT_MAX_RUNS, MAX_MAX_RUNS, RunHistory, keepsInHistory, modelFolder, parseMaxRuns, parseReport, readReportFile, runStem, stemsIn, stemsToPrune,
} from "../../src/extension/runHistory";
import { runEndLabel } from "../../src/compare";
import type { Report } from "../../src/report";
import { isRunEntry, type RunSnapshot } from "../../src/protocol/webview";
import { sampleReport } from "./fixtures";
import pkg from "../../package.json";

const model = { file: "/ws/deep-sigmoid.ts", exportName: "default", name: "Deep sigmoid", line: 3 };
const T0 = Date.UTC(2026, 11, 2, 1, 2, 3, 456);

function snapshot(runId: number, startedAt: number, m = model): RunSnapshot {
  return { runId, command: "train", model: m, phase: "done", totalSteps: 2, progress: [], report: sampleReport(), startedAt, endedAt: startedAt + 1000 };
}

/** A run that ended early: `phase`, and a partial report of `steps` steps whose status says `reason`. */
function ended(runId: number, startedAt: number, phase: RunSnapshot["phase"], steps: number, reason?: NonNullable<Report["status"]>["reason"]): RunSnapshot {
  const report = sampleReport();
  report.steps = report.steps.slice(0, steps);
  if (reason) report.status = { ok: false, reason, steps, totalSteps: 300, error: `${reason}!` };
  return { ...snapshot(runId, startedAt), phase, report };
}

describe("which runs the history keeps", () => {
  it("keeps finished runs, and stopped or failed ones that recorded a step; never a run still going or one with no steps", () => {
    expect(keepsInHistory(snapshot(1, T0))).toBe(true);
    expect(keepsInHistory(ended(2, T0, "cancelled", 1, "cancelled"))).toBe(true);
    expect(keepsInHistory(ended(3, T0, "failed", 2, "timeout"))).toBe(true);
    expect(keepsInHistory(ended(4, T0, "failed", 1, "error"))).toBe(true);
    expect(keepsInHistory(ended(5, T0, "failed", 0, "error"))).toBe(false);
    expect(keepsInHistory(ended(6, T0, "cancelled", 0, "cancelled"))).toBe(false);
    expect(keepsInHistory({ ...snapshot(7, T0), phase: "failed", report: undefined })).toBe(false);
    expect(keepsInHistory({ ...snapshot(8, T0), phase: "running" })).toBe(false);
    // A finished check may have no training steps at all: it is still a finished run.
    expect(keepsInHistory(ended(9, T0, "done", 0))).toBe(true);
  });

  it("says how a run ended: nothing for a completed one, else what stopped it and after how many steps", () => {
    expect(runEndLabel({ phase: "done", steps: 300, reason: "completed", totalSteps: 300 })).toBe("");
    expect(runEndLabel({ phase: "done", steps: 300 })).toBe("");
    expect(runEndLabel({ phase: "cancelled", steps: 37, reason: "cancelled", totalSteps: 300 })).toBe("stopped by the user after 37 of 300 steps");
    expect(runEndLabel({ phase: "failed", steps: 12, reason: "timeout", totalSteps: 300 })).toBe("timed out after 12 of 300 steps");
    expect(runEndLabel({ phase: "failed", steps: 1, reason: "error" })).toBe("failed after 1 step");
    expect(runEndLabel({ phase: "done", steps: 40, reason: "non-finite-loss", totalSteps: 300 })).toBe("ended on a non-finite loss after 40 of 300 steps");
    // No reason in the report (an older runner): the phase says it.
    expect(runEndLabel({ phase: "cancelled", steps: 5 })).toBe("stopped by the user after 5 steps");
    expect(runEndLabel({ phase: "failed", steps: 5 })).toBe("failed after 5 steps");
  });
});

describe("naming", () => {
  it("names a run's files by its start time in UTC and its number, so names sort by age", () => {
    expect(runStem(T0, 12)).toBe("20261202T010203456Z-r12");
    const stems = [runStem(T0 + 1, 1), runStem(T0 - 86_400_000, 9), runStem(T0, 30)];
    expect([...stems].sort()).toEqual([runStem(T0 - 86_400_000, 9), runStem(T0, 30), runStem(T0 + 1, 1)]);
  });

  it("gives each model (file and export) its own folder, readable and safe as one path segment", () => {
    const a = modelFolder(model);
    expect(a).toMatch(/^deep-sigmoid-[0-9a-f]{12}$/);
    expect(modelFolder({ ...model })).toBe(a);
    expect(modelFolder({ ...model, exportName: "reluHe" })).not.toBe(a);
    expect(modelFolder({ file: "/other/deep-sigmoid.ts", exportName: "default" })).not.toBe(a);
    // Only the base name shows, with anything but letters, digits, "_" and "-" replaced.
    expect(modelFolder({ file: "/ws/../x y/ü..evil.ts" })).toMatch(/^_evil-[0-9a-f]{12}$/);
  });

  it("reads gradientLens.history.maxRuns: a non-negative integer, capped; anything else is the default", () => {
    expect(DEFAULT_MAX_RUNS).toBe(10);
    expect((pkg.contributes.configuration.properties as Record<string, { default?: unknown; maximum?: unknown }>)["gradientLens.history.maxRuns"]).toMatchObject({ default: DEFAULT_MAX_RUNS, maximum: MAX_MAX_RUNS });
    expect(parseMaxRuns(undefined)).toBe(10);
    expect(parseMaxRuns(3)).toBe(3);
    expect(parseMaxRuns(0)).toBe(0);
    expect(parseMaxRuns(-1)).toBe(10);
    expect(parseMaxRuns(2.5)).toBe(10);
    expect(parseMaxRuns("5")).toBe(10);
    expect(parseMaxRuns(1e9)).toBe(MAX_MAX_RUNS);
  });
});

describe("pruning and listing (pure)", () => {
  it("prunes the oldest runs beyond the bound", () => {
    const stems = ["20261202T010000000Z-r3", "20261201T235959999Z-r2", "20261202T010000001Z-r4", "20261130T000000000Z-r1"];
    expect(stemsToPrune(stems, 2)).toEqual(["20261130T000000000Z-r1", "20261201T235959999Z-r2"]);
    expect(stemsToPrune(stems, 4)).toEqual([]);
    expect(stemsToPrune(stems, 0)).toEqual([...stems].sort());
  });

  it("counts a run only with both its report and its meta file; either alone is a leftover; temporary files are neither", () => {
    expect(stemsIn(["a.json", "a.meta.json", "b.json", "c.meta.json", ".a.json.12.3.tmp", "notes.txt"])).toEqual({ complete: ["a"], leftovers: ["b", "c"] });
  });
});

describe("RunHistory on disk", () => {
  let root: string;
  let max: number;
  let history: RunHistory;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "gl-history-"));
    max = 3;
    history = new RunHistory(root, () => max);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("keeps a run as a plain report file and a meta file, and lists it", async () => {
    const entry = await history.save(snapshot(7, T0));
    const folder = modelFolder(model);
    expect(entry).toEqual({
      id: `${folder}/20261202T010203456Z-r7`, model, command: "train", phase: "done", startedAt: T0, endedAt: T0 + 1000, steps: 2, warnings: 1, notes: 1,
    });
    expect(readdirSync(path.join(root, folder)).sort()).toEqual(["20261202T010203456Z-r7.json", "20261202T010203456Z-r7.meta.json"]);
    // The report file is the report itself: what `gradient-lens report` and "Browse…" read.
    expect(JSON.parse(readFileSync(path.join(root, folder, "20261202T010203456Z-r7.json"), "utf8"))).toEqual(sampleReport());
    expect(await history.list()).toEqual([entry]);
  });

  it("keeps at most maxRuns per model, deleting the oldest, and lists every model's runs newest first", async () => {
    const other = { ...model, exportName: "reluHe", name: "ReLU" };
    for (let i = 0; i < 5; i++) await history.save(snapshot(i + 1, T0 + i * 1000));
    await history.save(snapshot(6, T0 + 2500, other));
    const list = await history.list();
    expect(list.map((e) => `${e.model.name}#${e.id.split("-r").pop()}`)).toEqual(["Deep sigmoid#5", "Deep sigmoid#4", "ReLU#6", "Deep sigmoid#3"]);
    expect(readdirSync(path.join(root, modelFolder(model)))).toHaveLength(6);
    // A lower bound applies at the next save.
    max = 1;
    await history.save(snapshot(7, T0 + 9000));
    expect((await history.list()).filter((e) => e.model.exportName === "default").map((e) => e.startedAt)).toEqual([T0 + 9000]);
  });

  it("keeps nothing when maxRuns is 0, and nothing without a report", async () => {
    max = 0;
    expect(await history.save(snapshot(1, T0))).toBeUndefined();
    max = 3;
    expect(await history.save({ ...snapshot(2, T0), report: undefined })).toBeUndefined();
    expect(readdirSync(root)).toEqual([]);
  });

  it("keeps a stopped or failed run with its steps, marked with how it ended; not a failed run without steps", async () => {
    const stopped = await history.save(ended(1, T0, "cancelled", 1, "cancelled"));
    expect(stopped).toMatchObject({ phase: "cancelled", reason: "cancelled", steps: 1, totalSteps: 300 });
    const timedOut = await history.save(ended(2, T0 + 1000, "failed", 2, "timeout"));
    expect(timedOut).toMatchObject({ phase: "failed", reason: "timeout", steps: 2, totalSteps: 300 });
    expect(await history.save(ended(3, T0 + 2000, "failed", 0, "error"))).toBeUndefined();
    // Listed (the entries pass the protocol's guard) and loadable: the partial report with its status.
    const list = await history.list();
    expect(list).toEqual([timedOut, stopped]);
    for (const e of list) expect(isRunEntry(e)).toBe(true);
    const loaded = await history.load(stopped!.id);
    expect(loaded.ok && loaded.report.status).toMatchObject({ ok: false, reason: "cancelled", steps: 1 });
    expect(loaded.ok && loaded.report.steps).toHaveLength(1);
    expect(readdirSync(path.join(root, modelFolder(model)))).toHaveLength(4);
  });

  it("deletes old leftovers of interrupted writes, not young ones", async () => {
    const folder = modelFolder(model);
    await history.save(snapshot(1, T0));
    const dir = path.join(root, folder);
    writeFileSync(path.join(dir, "20200101T000000000Z-r1.json"), "{}");
    writeFileSync(path.join(dir, "20200101T000000000Z-r2.json"), "{}");
    const old = (Date.now() - 3_600_000) / 1000;
    utimesSync(path.join(dir, "20200101T000000000Z-r1.json"), old, old);
    expect(await history.prune(folder)).toEqual(["20200101T000000000Z-r1"]);
    expect(existsSync(path.join(dir, "20200101T000000000Z-r2.json"))).toBe(true);
  });

  it("skips meta files that are not entries, and folders it did not name", async () => {
    await history.save(snapshot(1, T0));
    const dir = path.join(root, modelFolder(model));
    writeFileSync(path.join(dir, "x.json"), "{}");
    writeFileSync(path.join(dir, "x.meta.json"), JSON.stringify({ model: { file: "relative.ts", name: "x" }, command: "train" }));
    writeFileSync(path.join(dir, "y.json"), "{}");
    writeFileSync(path.join(dir, "y.meta.json"), "{not json");
    mkdirSync(path.join(root, "has space"));
    writeFileSync(path.join(root, "has space", "z.json"), "{}");
    writeFileSync(path.join(root, "has space", "z.meta.json"), readFileSync(path.join(dir, "20261202T010203456Z-r1.meta.json")));
    expect((await history.list()).map((e) => e.id)).toEqual([`${modelFolder(model)}/20261202T010203456Z-r1`]);
    expect((await history.list()).every(isRunEntry)).toBe(true);
  });

  it("loads a kept run's report, validated", async () => {
    const entry = (await history.save(snapshot(1, T0)))!;
    const r = await history.load(entry.id);
    expect(r).toEqual({ ok: true, entry, report: sampleReport() });
  });

  it("refuses a report that no longer fits the schema (an old version's), an id that is not one, and a pruned run", async () => {
    const entry = (await history.save(snapshot(1, T0)))!;
    const file = path.join(root, `${entry.id}.json`);
    const old = sampleReport() as unknown as { steps: Array<Record<string, unknown>> };
    delete old.steps[0].loss;
    writeFileSync(file, JSON.stringify(old));
    expect(await history.load(entry.id)).toEqual({ ok: false, problem: `The report of Deep sigmoid (2026-12-02 01:02) cannot be shown: steps[0] is missing "loss".` });
    writeFileSync(file, JSON.stringify({ ...sampleReport(), version: 0 }));
    expect(await history.load(entry.id)).toEqual({ ok: false, problem: `The report of Deep sigmoid (2026-12-02 01:02) cannot be shown: "version" is 0, expected 1.` });
    for (const id of ["../etc/passwd", "a/../../b", "a/b/c", "/abs/x", ""]) expect(await history.load(id)).toEqual({ ok: false, problem: "That is not a run of the history." });
    expect(await history.load(`${modelFolder(model)}/20000101T000000000Z-r9`)).toEqual({ ok: false, problem: "That run is no longer in the history (it was pruned or deleted)." });
  });
});

describe("report files chosen with Browse…", () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(path.join(tmpdir(), "gl-browse-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a valid report, with the file's time", async () => {
    const file = path.join(dir, "a.json");
    writeFileSync(file, JSON.stringify(sampleReport()));
    const r = await readReportFile(file);
    expect(r.ok && r.report).toEqual(sampleReport());
    expect(r.mtimeMs).toBeGreaterThan(0);
  });

  it("says what is wrong with a file that is not a report, naming the file", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["broken.json", "{\"version\": 1,", /^broken\.json is not a Gradient Lens report: it is not JSON \(.+\)\.$/],
      ["array.json", "[1, 2]", /^array\.json is not a Gradient Lens report: the file does not hold a JSON object\.$/],
      ["other.json", JSON.stringify({ version: 1, model: { name: "x" } }), /^other\.json is not a Gradient Lens report: the report is missing "steps"\.$/],
      ["v2.json", JSON.stringify({ ...sampleReport(), version: 2 }), /^v2\.json is not a Gradient Lens report: "version" is 2, expected 1\.$/],
    ];
    for (const [name, text, message] of cases) {
      writeFileSync(path.join(dir, name), text);
      const r = await readReportFile(path.join(dir, name));
      expect(r.ok, name).toBe(false);
      expect(!r.ok && r.problem, name).toMatch(message);
    }
    expect(await readReportFile(path.join(dir, "missing.json"))).toEqual({ ok: false, problem: "missing.json could not be read: no such file" });
    expect(await readReportFile(dir)).toMatchObject({ ok: false, problem: expect.stringMatching(/could not be read: it is a folder$/) });
  });

  it("parses and validates text", () => {
    expect(parseReport(JSON.stringify(sampleReport()))).toEqual({ ok: true, report: sampleReport() });
    expect(parseReport("{}")).toEqual({ ok: false, problem: "\"version\" is missing, expected 1" });
  });
});
