/**
 * Comparing runs: every finished run, and every stopped or failed run that recorded steps, is kept in
 * its model's history (runHistory.ts, bounded by `gradientLens.history.maxRuns`), marked with how it
 * ended; "Gradient Lens: Compare with…" picks two runs — from the history,
 * this window's runs, or a report file ("Browse…", validated against the schema) — and the report panel
 * overlays them. The panel's own picker asks through the webview protocol (`listRuns`, `loadRun`).
 */
import * as vscode from "vscode";
import * as path from "node:path";
import { CANCELLED, refuse, type ComparedRun, type Outcome, type RunEntry, type RunSnapshot } from "../protocol/webview";
import { comparedPart, runDate, runEndLabel } from "../compare";
import { keepsInHistory, metaOf, modelFolder, parseMaxRuns, readReportFile, runStem, type RunHistory } from "./runHistory";
import type { RunManager } from "./runs";
import type { ReportPanel } from "./reportPanel";
import type { Disposable } from "./disposables";

/** This window's runs not (yet) in the history are listed under this folder name, which modelFolder never makes. */
const SESSION = "session";

type Pick2 = vscode.QuickPickItem & { id?: string; browse?: true };

export class CompareRuns implements Disposable {
  private readonly saved = new WeakSet<RunSnapshot>();
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly history: RunHistory | undefined,
    private readonly runs: RunManager,
    private readonly panel: ReportPanel,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // A run that ends with a report — finished, or stopped or failed with steps — is kept (a restored
    // page's snapshot is not a run of this window).
    this.sub = runs.onDidChange((e) => {
      const s = e.kind === "snapshot" ? e.snapshot : undefined;
      if (!s || !keepsInHistory(s) || this.saved.has(s) || runs.isRestored(s)) return;
      this.saved.add(s);
      void this.keep(s);
    });
  }

  /** `gradientLens.history.maxRuns` (default 10; 0 keeps none). */
  static maxRuns(): number {
    return parseMaxRuns(vscode.workspace.getConfiguration("gradientLens").get("history.maxRuns"));
  }

  private async keep(s: RunSnapshot): Promise<void> {
    if (!this.history) return;
    try {
      const entry = await this.history.save(s);
      const end = entry && runEndLabel(entry);
      if (entry) this.log.info(`kept run #${s.runId} of ${s.model.name} in the history (${entry.id})${end ? `, ${end}` : ""}`);
    } catch (e) {
      this.log.warn(`could not keep run #${s.runId} in the history: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Runs to pick from: the history's, then this window's that it does not hold (history off, or not written yet); newest first. */
  async candidates(): Promise<RunEntry[]> {
    const kept = this.history ? await this.history.list() : [];
    const ids = new Set(kept.map((e) => e.id));
    const session: RunEntry[] = this.runs.knownSnapshots()
      .filter(keepsInHistory)
      .filter((s) => !ids.has(`${modelFolder(s.model)}/${runStem(s.startedAt, s.runId)}`))
      .map((s) => ({ ...metaOf(s), id: `${SESSION}/r${s.runId}` }));
    return [...session, ...kept].sort((a, b) => b.startedAt - a.startedAt);
  }

  /** A run by id, with its validated report; a refusal says why it cannot be shown. */
  async load(id: string): Promise<{ ok: true; run: ComparedRun } | { ok: false; problem: string }> {
    const [folder, stem] = id.split("/");
    if (folder === SESSION) {
      const s = this.runs.knownSnapshots().find((x) => `r${x.runId}` === stem && x.report);
      return s ? { ok: true, run: { name: s.model.name, date: s.startedAt, source: "current", report: comparedPart(s.report!) } } : { ok: false, problem: "That run is no longer in this window." };
    }
    if (!this.history) return { ok: false, problem: "No run history: open a folder to keep runs." };
    const r = await this.history.load(id);
    return r.ok ? { ok: true, run: { name: r.entry.model.name, date: r.entry.startedAt, source: "history", report: comparedPart(r.report) } } : r;
  }

  /** The webview's queries: the runs to pick from, and one of them to overlay. */
  async answer(req: { type: "listRuns" } | { type: "loadRun"; id: string }): Promise<Outcome> {
    if (req.type === "listRuns") return { status: "ok", result: { kind: "runs", runs: await this.candidates() } };
    const r = await this.load(req.id);
    if (!r.ok) {
      this.log.warn(`compare: ${r.problem}`);
      return refuse(r.problem);
    }
    return { status: "ok", result: { kind: "run", run: r.run } };
  }

  /** "Compare with…": pick this run (the one shown first), then the other; the panel overlays them. */
  async command(): Promise<Outcome> {
    const all = await this.candidates();
    const shown = this.runs.currentSnapshot;
    const shownId = shown ? all.find((e) => e.startedAt === shown.startedAt && e.model.file === shown.model.file && e.model.exportName === shown.model.exportName)?.id : undefined;
    const first = await this.pick(all, shownId, undefined, "Compare runs (1/2): this run", "The run to compare (Enter: the run shown in the report)");
    if (!first) return CANCELLED;
    const second = await this.pick(all, undefined, first.id, `Compare runs (2/2): ${first.run.name} with…`, "The other run: from the history, or a report file");
    if (!second) return CANCELLED;
    this.log.info(`compare: ${first.run.name} (${runDate(first.run.date)}) with ${second.run.name} (${runDate(second.run.date)})`);
    this.panel.showComparison(first.run, second.run);
    return { status: "ok" };
  }

  private async pick(all: RunEntry[], activeId: string | undefined, exclude: string | undefined, title: string, placeHolder: string): Promise<{ id?: string; run: ComparedRun } | undefined> {
    const entries = all.filter((e) => e.id !== exclude);
    if (activeId) entries.sort((a, b) => Number(b.id === activeId) - Number(a.id === activeId));
    const items: Pick2[] = entries.map((e) => ({
      label: e.model.name,
      description: `${runDate(e.startedAt)} · ${e.command === "check" ? "check" : "train"} · ${runEndLabel(e) || `${e.steps} step${e.steps === 1 ? "" : "s"}`} · ${e.warnings} warning${e.warnings === 1 ? "" : "s"}${e.notes ? ` · ${e.notes} note${e.notes === 1 ? "" : "s"}` : ""}${e.id === activeId ? " · shown" : ""}`,
      detail: `${vscode.workspace.asRelativePath(e.model.file)}${e.model.exportName && e.model.exportName !== "default" ? ` · export ${e.model.exportName}` : ""}`,
      id: e.id,
    }));
    if (items.length) items.push({ label: "", kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: "$(folder-opened) Browse…", description: "a report exported as JSON (Export the Report as JSON, gradient-lens --json)", browse: true });
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, matchOnDetail: true });
    if (!picked) return undefined;
    if (picked.browse) return this.browse();
    const r = await this.load(picked.id!);
    if (!r.ok) {
      void vscode.window.showErrorMessage(`Gradient Lens: ${r.problem}`);
      return undefined;
    }
    return { id: picked.id, run: r.run };
  }

  /** A report file the user chooses, validated against the report schema; a bad file is an error message naming what is wrong. */
  private async browse(): Promise<{ run: ComparedRun } | undefined> {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: false, canSelectFiles: true, canSelectFolders: false,
      filters: { "Gradient Lens report": ["json"] },
      openLabel: "Compare",
      title: "A Gradient Lens report (JSON)",
    });
    const file = uris?.[0]?.fsPath;
    if (!file) return undefined;
    const r = await readReportFile(file);
    if (!r.ok) {
      this.log.warn(`compare: ${r.problem}`);
      void vscode.window.showErrorMessage(`Gradient Lens: ${r.problem}`);
      return undefined;
    }
    return { run: { name: r.report.model.name || path.basename(file), date: r.mtimeMs ?? Date.now(), source: "file", report: comparedPart(r.report) } };
  }

  dispose(): void {
    this.sub.dispose();
  }
}
