/**
 * The report panel: a webview beside the editor with the charts and tables of the current run, live
 * while it runs. One panel; it follows the latest run. It survives a window reload: the webview keeps
 * its last snapshot in its state, and the serializer re-creates the panel from it.
 */
import * as vscode from "vscode";
import { isRunSnapshot, type ComparedRun, type Outcome, type WebviewRequest } from "../protocol/webview";
import type { RunManager } from "./runs";
import { listen, post, webviewHtml, webviewOptions } from "./webviewHost";
import type { Disposable } from "./disposables";

export const REPORT_VIEW_TYPE = "gradientLens.report";

export class ReportPanel implements vscode.WebviewPanelSerializer, Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly sub: vscode.Disposable;
  private readonly serializer: vscode.Disposable;
  /** A comparison for a page that is not live yet (a new or hidden panel): posted when it says `ready`. */
  private pendingComparison: { a: ComparedRun; b: ComparedRun } | undefined;
  /** Whether the panel's page has said `ready` (its script listens) since it was last loaded. */
  private pageReady = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunManager,
    private readonly onRequest: (req: WebviewRequest) => Promise<Outcome>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.serializer = vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, this);
    this.sub = runs.onDidChange((e) => {
      if (!this.panel) return;
      if (e.kind === "snapshot") {
        if (e.snapshot === runs.currentSnapshot) post(this.panel.webview, { type: "snapshot", snapshot: e.snapshot });
      } else post(this.panel.webview, { type: "progress", runId: e.runId, point: e.point });
    });
  }

  /** Opens (or reveals) the panel beside the active editor. */
  show(preserveFocus = true): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      post(this.panel.webview, { type: "snapshot", snapshot: this.runs.currentSnapshot });
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      "Gradient Lens Report",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { ...webviewOptions(this.extensionUri), retainContextWhenHidden: false },
    );
    this.attach(panel);
  }

  /** Opens the panel with run `b` overlaid on run `a` ("Compare with…"). */
  showComparison(a: ComparedRun, b: ComparedRun): void {
    const live = this.panel?.visible === true && this.pageReady;
    this.show(false);
    if (live && this.panel) post(this.panel.webview, { type: "compare", a, b });
    else this.pendingComparison = { a, b };
  }

  /** WebviewPanelSerializer: a panel that was open before the window reloaded. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const saved = state && typeof state === "object" ? (state as { snapshot?: unknown }).snapshot : undefined;
    this.log.info(`restoring the report panel${isRunSnapshot(saved) ? ` (${saved.model.name})` : ""}`);
    // The restored page shows its saved run: adopt it, so that its links, exports and reruns work
    // (what it names is still checked: the host treats a restored snapshot as the page's word).
    if (isRunSnapshot(saved)) this.runs.restore(saved);
    panel.webview.options = webviewOptions(this.extensionUri);
    this.attach(panel);
  }

  private attach(panel: vscode.WebviewPanel): void {
    if (this.panel && this.panel !== panel) this.panel.dispose();
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, "media", "activity.svg");
    this.pageReady = false;
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, "report");
    const subs: vscode.Disposable[] = [
      listen(panel.webview, {
        // On `ready` the webview gets the current run; with none (after a reload) it keeps its restored state.
        ready: () => {
          if (this.panel === panel) this.pageReady = true;
          if (this.runs.currentSnapshot) post(panel.webview, { type: "snapshot", snapshot: this.runs.currentSnapshot });
          if (this.pendingComparison) post(panel.webview, { type: "compare", ...this.pendingComparison });
          this.pendingComparison = undefined;
        },
        request: this.onRequest,
      }, this.log),
      // A hidden panel's page is unloaded (retainContextWhenHidden is off); shown again, it says `ready` anew.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.pageReady = false;
      }),
      panel.onDidDispose(() => {
        for (const s of subs) s.dispose();
        // Another panel may have been attached since (a restore racing a new run): leave it alone.
        if (this.panel === panel) this.panel = undefined;
      }),
    ];
  }

  dispose(): void {
    this.sub.dispose();
    this.serializer.dispose();
    this.panel?.dispose();
  }
}
