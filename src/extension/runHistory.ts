/**
 * Each model's last runs, kept on disk in the workspace's storage folder (ExtensionContext.storageUri),
 * so that a run can be compared with an earlier one after the window closed. No `vscode` import: the
 * folder is a path, and naming, pruning, listing and loading are tested on a temporary directory.
 *
 * Layout: one folder per model (`<file name>-<hash of file#export>`), two files per run, named by the
 * run's start time so that names sort by age: `<stem>.json` is the report exactly as exported (a file
 * `gradient-lens report` reads) and `<stem>.meta.json` what a picker lists (model, date, steps), so a
 * listing never parses reports. The meta file is written last: a run is listed only once complete.
 * A run stopped by the user or failed (timeout, exception) is kept with the steps it recorded, its meta
 * file saying how it ended (phase, the report's status reason); one that recorded no step is not.
 * Reports are validated against the report schema when loaded: one written by an older or newer version
 * that does not fit is refused with the reason, never handed to the charts.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { isRunEntry, isRunId, type ModelRef, type RunEntry, type RunSnapshot } from "../protocol/webview";
import type { Report } from "../report";
import { validateReport } from "../validate";

/** Runs kept per model when `gradientLens.history.maxRuns` is unset. */
export const DEFAULT_MAX_RUNS = 10;
/** The largest `maxRuns` honoured (a report can be megabytes). */
export const MAX_MAX_RUNS = 1000;
/** Report files larger than this are refused before being read (JSON.parse would hold it all twice). */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

const META = ".meta.json";
const REPORT = ".json";
const FOLDER = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** `gradientLens.history.maxRuns` as set by the user: an integer 0…MAX_MAX_RUNS, else the default. */
export function parseMaxRuns(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) return DEFAULT_MAX_RUNS;
  return Math.min(value, MAX_MAX_RUNS);
}

/**
 * A model's history folder: the file's base name for people looking at the disk, then 12 hex digits of
 * the SHA-1 of `file#export` so that two models of one file, or two files of one name, never share it.
 */
export function modelFolder(model: Pick<ModelRef, "file" | "exportName">): string {
  const base = path.basename(model.file).replace(/\.[cm]?ts$/i, "").replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 40) || "model";
  const hash = createHash("sha1").update(`${model.file}#${model.exportName ?? ""}`).digest("hex").slice(0, 12);
  return `${base}-${hash}`;
}

/** A run's file stem: its start time (UTC, fixed width, so names sort by age) and run number. */
export function runStem(startedAt: number, runId: number): string {
  const iso = new Date(startedAt).toISOString(); // 2026-12-02T01:02:03.456Z
  return `${iso.replace(/[-:]/g, "").replace(".", "")}-r${Math.max(0, Math.floor(runId))}`;
}

/** Stems of the runs to delete so that `max` remain: the oldest ones (names sort by age). */
export function stemsToPrune(stems: readonly string[], max: number): string[] {
  const sorted = [...new Set(stems)].sort();
  return sorted.slice(0, Math.max(0, sorted.length - Math.max(0, max)));
}

/** The run stems among a folder's file names (a run has a report and a meta file; either alone is a leftover). */
export function stemsIn(names: readonly string[]): { complete: string[]; leftovers: string[] } {
  const metas = new Set(names.filter((n) => n.endsWith(META)).map((n) => n.slice(0, -META.length)));
  const reports = new Set(names.filter((n) => n.endsWith(REPORT) && !n.endsWith(META) && !n.startsWith(".")).map((n) => n.slice(0, -REPORT.length)));
  const complete = [...metas].filter((s) => reports.has(s)).sort();
  const leftovers = [...new Set([...metas, ...reports])].filter((s) => !(metas.has(s) && reports.has(s))).sort();
  return { complete, leftovers };
}

/** What a meta file holds: a RunEntry without its id (the id is where the file is). */
export type RunMeta = Omit<RunEntry, "id">;

/**
 * Whether a run belongs in the history: it has ended with a report, and either finished or — stopped,
 * timed out, failed — recorded at least one step (a run that failed before its first step has nothing
 * to compare).
 */
export function keepsInHistory(s: RunSnapshot): s is RunSnapshot & { report: Report } {
  if (s.phase === "running" || !s.report) return false;
  return s.phase === "done" || s.report.steps.length > 0;
}

export function metaOf(s: RunSnapshot & { report: Report }): RunMeta {
  const meta: RunMeta = {
    model: s.model, command: s.command, phase: s.phase, startedAt: s.startedAt,
    steps: s.report.steps.length, warnings: s.report.warnings.filter((w) => w.severity !== "info").length,
  };
  const notes = s.report.warnings.length - meta.warnings;
  if (notes) meta.notes = notes;
  if (s.endedAt !== undefined) meta.endedAt = s.endedAt;
  const status = s.report.status;
  if (status?.reason) meta.reason = status.reason;
  if (status?.totalSteps !== undefined && Number.isSafeInteger(status.totalSteps) && status.totalSteps >= 0) meta.totalSteps = status.totalSteps;
  return meta;
}

/** Parses a meta file's text as the entry `id`; undefined when it is not one (a file from elsewhere, truncated). */
export function parseMeta(id: string, text: string): RunEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entry = { ...(value as Record<string, unknown>), id };
  return isRunEntry(entry) ? entry : undefined;
}

export type Loaded = { ok: true; report: Report } | { ok: false; problem: string };

/** Parses and validates a report's text; the problem names what is wrong and where. */
export function parseReport(text: string): Loaded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `it is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const v = validateReport(value);
  return v.ok ? { ok: true, report: v.report } : { ok: false, problem: v.problem };
}

/** Reads a report file someone chose ("Browse…"): refused with a sentence naming the file and the reason. */
export async function readReportFile(file: string): Promise<Loaded & { mtimeMs?: number }> {
  const name = path.basename(file);
  let size: number, mtimeMs: number;
  try {
    ({ size, mtimeMs } = await stat(file));
  } catch (e) {
    return { ok: false, problem: `${name} could not be read: ${errorText(e)}` };
  }
  if (size > MAX_REPORT_BYTES) return { ok: false, problem: `${name} is ${(size / 2 ** 20).toFixed(0)} MB, larger than a report Gradient Lens opens (${MAX_REPORT_BYTES / 2 ** 20} MB).` };
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    return { ok: false, problem: `${name} could not be read: ${errorText(e)}` };
  }
  const r = parseReport(text);
  return r.ok ? { ...r, mtimeMs } : { ok: false, problem: `${name} is not a Gradient Lens report: ${r.problem}.` };
}

/** The runs on disk under `root`, bounded per model by `maxRuns()` at each save. */
export class RunHistory {
  constructor(
    private readonly root: string,
    private readonly maxRuns: () => number,
  ) {}

  /**
   * Keeps a run that `keepsInHistory` admits (finished, or stopped or failed with steps), then prunes
   * its model's folder to `maxRuns()`. Resolves with its entry, or undefined when history is off
   * (`maxRuns` 0) or the run is not one to keep.
   */
  async save(s: RunSnapshot): Promise<RunEntry | undefined> {
    const max = this.maxRuns();
    if (!keepsInHistory(s) || max <= 0) return undefined;
    const folder = modelFolder(s.model);
    const stem = runStem(s.startedAt, s.runId);
    const dir = path.join(this.root, folder);
    await mkdir(dir, { recursive: true });
    await writeAtomic(path.join(dir, stem + REPORT), JSON.stringify(s.report));
    const meta = metaOf(s);
    await writeAtomic(path.join(dir, stem + META), JSON.stringify(meta));
    await this.prune(folder, max);
    return { ...meta, id: `${folder}/${stem}` };
  }

  /** Deletes a folder's oldest runs beyond `max`, and leftovers of interrupted writes. */
  async prune(folder: string, max = this.maxRuns()): Promise<string[]> {
    const dir = path.join(this.root, folder);
    const { complete, leftovers } = stemsIn(await readdir(dir).catch(() => []));
    // A leftover may be a run being written by another window this instant: leave young ones alone.
    const old = [];
    for (const stem of leftovers) {
      const files = [stem + REPORT, stem + META].map((f) => path.join(dir, f));
      const times = await Promise.all(files.map((f) => stat(f).then((st) => st.mtimeMs, () => 0)));
      if (Date.now() - Math.max(...times) > 60_000) old.push(stem);
    }
    const doomed = [...stemsToPrune(complete, max), ...old];
    for (const stem of doomed) {
      await rm(path.join(dir, stem + META), { force: true });
      await rm(path.join(dir, stem + REPORT), { force: true });
    }
    return doomed;
  }

  /** Every kept run of every model, newest first. */
  async list(): Promise<RunEntry[]> {
    const folders = (await readdir(this.root, { withFileTypes: true }).catch(() => []))
      .filter((d) => d.isDirectory() && FOLDER.test(d.name))
      .map((d) => d.name);
    const entries: RunEntry[] = [];
    for (const folder of folders) {
      const { complete } = stemsIn(await readdir(path.join(this.root, folder)).catch(() => []));
      for (const stem of complete) {
        const id = `${folder}/${stem}`;
        if (!isRunId(id)) continue;
        const text = await readFile(path.join(this.root, folder, stem + META), "utf8").catch(() => undefined);
        const entry = text === undefined ? undefined : parseMeta(id, text);
        if (entry) entries.push(entry);
      }
    }
    return entries.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1));
  }

  /** One kept run's entry and report, validated; refused with a sentence when it cannot be shown. */
  async load(id: string): Promise<{ ok: true; entry: RunEntry; report: Report } | { ok: false; problem: string }> {
    if (!isRunId(id)) return { ok: false, problem: "That is not a run of the history." };
    const [folder, stem] = id.split("/");
    const base = path.join(this.root, folder, stem);
    const metaText = await readFile(base + META, "utf8").catch(() => undefined);
    const entry = metaText === undefined ? undefined : parseMeta(id, metaText);
    if (!entry) return { ok: false, problem: "That run is no longer in the history (it was pruned or deleted)." };
    const when = new Date(entry.startedAt).toISOString().slice(0, 16).replace("T", " ");
    const text = await readFile(base + REPORT, "utf8").catch(() => undefined);
    if (text === undefined) return { ok: false, problem: `The report of ${entry.model.name} (${when}) is missing from the history.` };
    const r = parseReport(text);
    if (!r.ok) return { ok: false, problem: `The report of ${entry.model.name} (${when}) cannot be shown: ${r.problem}.` };
    return { ok: true, entry, report: r.report };
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temp, text);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

function errorText(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "it is a folder";
  return e instanceof Error ? e.message : String(e);
}
