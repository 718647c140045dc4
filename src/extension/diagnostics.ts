/** The Problems panel: each finished run's warnings as diagnostics, replaced when the model runs again. */
import * as vscode from "vscode";
import { DIAGNOSTIC_SOURCE, reportToProblems, runErrorToProblems, type ProblemEntry } from "./diagnosticsMap";
import { modelKey, resolveReportFile, type RunManager } from "./runs";
import type { Disposable } from "./disposables";

const SEVERITY: Record<ProblemEntry["severity"], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export class Diagnostics implements Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection("gradientLens");
  /** Entries per model, so one model's rerun leaves another model's problems in place. */
  private readonly byModel = new Map<string, ProblemEntry[]>();
  private readonly sub: vscode.Disposable;

  constructor(runs: RunManager) {
    this.sub = runs.onDidChange((e) => {
      if (e.kind !== "snapshot") return;
      const s = e.snapshot;
      const key = modelKey(s.model);
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
    });
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
    this.sub.dispose();
    this.collection.dispose();
  }
}

function toDiagnostic(e: ProblemEntry): vscode.Diagnostic {
  const range = new vscode.Range(e.line, e.column, e.line, Number.MAX_SAFE_INTEGER);
  const d = new vscode.Diagnostic(range, e.message, SEVERITY[e.severity]);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = e.code;
  return d;
}
