/**
 * The Problems panel: each finished run's warnings as diagnostics, replaced when the model runs again,
 * and dropped from a file as soon as it is edited (they point at lines of the code that ran, which an
 * edit moves or removes).
 */
import * as vscode from "vscode";
import { DIAGNOSTIC_SOURCE, reportToProblems, runErrorToProblems, type ProblemEntry } from "./diagnosticsMap";
import { modelKey, resolveReportFile, type RunManager } from "./runs";
import type { Disposable } from "./disposables";
import type { RunSnapshot } from "../protocol/webview";

const SEVERITY: Record<ProblemEntry["severity"], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export class Diagnostics implements Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection("gradientLens");
  /** Entries per model, so one model's rerun leaves another model's problems in place. */
  private readonly byModel = new Map<string, ProblemEntry[]>();
  /** Each run's model key as it was when the run started, so a run's entries stay under one key. */
  private readonly runKeys = new Map<number, string>();
  private readonly subs: vscode.Disposable[];

  constructor(runs: RunManager) {
    this.subs = [
      runs.onDidChange((e) => {
        if (e.kind === "snapshot") this.onSnapshot(e.snapshot);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length) this.clearFile(e.document.uri.fsPath);
      }),
    ];
  }

  private onSnapshot(s: RunSnapshot): void {
    let key = this.runKeys.get(s.runId);
    if (key === undefined) this.runKeys.set(s.runId, (key = modelKey(s.model)));
    if (s.phase !== "running") this.runKeys.delete(s.runId);
    if (s.phase === "running") this.set(key, []);
    else if (s.phase === "cancelled") return;
    else {
      const resolve = resolveReportFile(s.report, s.model.file);
      const entries = [
        ...(s.report ? reportToProblems(s.report, resolve, s.model.line ? { file: s.model.file, line: s.model.line, column: 1 } : undefined) : []),
        ...(s.error ? runErrorToProblems(s.error, resolve) : []),
      ];
      this.set(key, entries);
    }
  }

  /** Removes every entry on `file` (for any model); files without entries are left alone. */
  private clearFile(file: string): void {
    let had = false;
    for (const [key, entries] of this.byModel) {
      const kept = entries.filter((e) => e.file !== file);
      if (kept.length === entries.length) continue;
      had = true;
      this.byModel.set(key, kept);
    }
    if (had) this.collection.delete(vscode.Uri.file(file));
  }

  clear(): void {
    this.byModel.clear();
    this.collection.clear();
  }

  private set(key: string, entries: ProblemEntry[]): void {
    const touched = new Set([...(this.byModel.get(key) ?? []), ...entries].map((e) => e.file));
    this.byModel.set(key, entries);
    for (const file of touched) {
      const all = [...this.byModel.values()].flat().filter((e) => e.file === file);
      this.collection.set(vscode.Uri.file(file), all.map(toDiagnostic));
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.collection.dispose();
  }
}

function toDiagnostic(e: ProblemEntry): vscode.Diagnostic {
  const range = new vscode.Range(e.line, e.column, e.line, Number.MAX_SAFE_INTEGER);
  const d = new vscode.Diagnostic(range, e.message, SEVERITY[e.severity]);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = e.code;
  if (e.related?.length) {
    d.relatedInformation = e.related.map((r) => new vscode.DiagnosticRelatedInformation(
      new vscode.Location(vscode.Uri.file(r.file), new vscode.Range(r.line, r.column, r.line, Number.MAX_SAFE_INTEGER)),
      r.message,
    ));
  }
  return d;
}
