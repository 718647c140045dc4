/**
 * CodeLenses above each exported `defineModel` and each `checkGradients` call, found statically
 * (modelScan) — never by running the file. Registered for TypeScript files on disk; a file that does
 * not mention `gradient-lens` costs one substring search. Results are cached per document version.
 */
import * as vscode from "vscode";
import { scanSource, type ScanResult } from "./modelScan";
import { summarizeReport } from "./summary";
import type { RunManager } from "./runs";
import type { ModelRef, RunSnapshot } from "../protocol/webview";
import type { Disposable } from "./disposables";

export const CODELENS_SELECTOR: vscode.DocumentSelector = [
  { language: "typescript", scheme: "file" },
  { language: "typescript", scheme: "vscode-remote" },
];

export class ModelCodeLens implements vscode.CodeLensProvider, Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly cache = new Map<string, { version: number; scan: ScanResult }>();
  private readonly subs: vscode.Disposable[];

  constructor(private readonly runs: RunManager) {
    this.subs = [
      // A finished run adds (or updates) the summary lens.
      runs.onDidChange((e) => {
        if (e.kind === "snapshot" && e.snapshot.phase !== "running") this.changed.fire();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
    ];
  }

  /** The file's scan (cached by version); also used by "check the model under the cursor". */
  scan(document: vscode.TextDocument): ScanResult {
    const key = document.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === document.version) return hit.scan;
    const scan = scanSource(document.getText());
    this.cache.set(key, { version: document.version, scan });
    return scan;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const scan = this.scan(document);
    if (!scan.importsGradientLens) return [];
    const lenses: vscode.CodeLens[] = [];
    const file = document.uri.fsPath;
    const finished = this.runs.finishedInFile(file);
    // One pair of lenses per line, whatever the number of names the model is exported under.
    const seenLines = new Set<number>();
    for (const m of scan.models) {
      if (seenLines.has(m.line)) continue;
      seenLines.add(m.line);
      const model: ModelRef = { file, exportName: m.exportName, name: m.name, line: m.line + 1 };
      const range = new vscode.Range(m.line, 0, m.line, 0);
      lenses.push(
        new vscode.CodeLens(range, { title: "$(beaker) Check gradients", command: "gradientLens.checkModel", arguments: [model], tooltip: `Gradient check of ${m.name}` }),
        new vscode.CodeLens(range, { title: "$(graph-line) Train & inspect", command: "gradientLens.trainModel", arguments: [model], tooltip: `Train ${m.name} with per-layer recording` }),
      );
      const last = finished.find((s) => s.model.exportName === m.exportName);
      const summary = last && summaryLens(last, model);
      if (summary) lenses.push(new vscode.CodeLens(range, summary));
    }
    // A checkGradients call gets a lens only when it names a model this file exports: never a guess.
    for (const c of scan.checks) {
      const target = c.exportName !== undefined ? scan.models.find((m) => m.exportName === c.exportName) : undefined;
      if (!target) continue;
      const model: ModelRef = { file, exportName: target.exportName, name: target.name, line: target.line + 1 };
      lenses.push(new vscode.CodeLens(new vscode.Range(c.line, 0, c.line, 0), { title: "$(beaker) Check gradients", command: "gradientLens.checkModel", arguments: [model], tooltip: `Gradient check of ${target.name}` }));
    }
    return lenses;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

/** The lens with the outcome of a model's last run: its report's summary, or why it failed. */
function summaryLens(last: RunSnapshot, model: ModelRef): vscode.Command | undefined {
  if (last.phase === "failed") {
    const why = last.error ? `${last.error.kind}${last.error.message ? ` — ${truncate(last.error.message, 60)}` : ""}` : "unknown error";
    return last.report
      ? { title: `$(error) run failed: ${why}`, command: "gradientLens.showReportOf", arguments: [model], tooltip: "Open what the run recorded before it failed" }
      : { title: `$(error) run failed: ${why}`, command: "gradientLens.showLog", arguments: [], tooltip: "Show the output log" };
  }
  if (last.report) return { title: summarizeReport(last.report), command: "gradientLens.showReportOf", arguments: [model], tooltip: "Open the report" };
  return undefined;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}
