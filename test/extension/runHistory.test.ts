/** The run history on disk (no VS Code): naming, pruning, listing, and loading with the report schema. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  DEFAULT_MAX_RUNS, MAX_MAX_RUNS, RunHistory, modelFolder, parseMaxRuns, parseReport, readReportFile, runStem, stemsIn, stemsToPrune,
} from "../../src/extension/runHistory";
import { isRunEntry, type RunSnapshot } from "../../src/protocol/webview";
import { sampleReport } from "./fixtures";
import pkg from "../../package.json";

const model = { file: "/ws/deep-sigmoid.ts", exportName: "default", name: "Deep sigmoid", line: 3 };
const T0 = Date.UTC(2026, 11, 2, 1, 2, 3, 456);

function snapshot(runId: number, startedAt: number, m = model): RunSnapshot {
  return { runId, command: "train", model: m, phase: "done", totalSteps: 2, progress: [], report: sampleReport(), startedAt, endedAt: startedAt + 1000 };
}

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
      id: `${folder}/20261202T010203456Z-r7`, model, command: "train", phase: "done", startedAt: T0, endedAt: T0 + 1000, steps: 2, warnings: 2,
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
