/** The side view (activity bar): workspace models, the current run's live loss and gradient norms, warnings, actions. */
import * as vscode from "vscode";
import type { Outcome, WebviewRequest } from "../protocol/webview";
import type { RunManager } from "./runs";
import type { WorkspaceModels } from "./workspaceModels";
import { listen, post, webviewHtml, webviewOptions } from "./webviewHost";
import type { Disposable } from "./disposables";

export const SIDEBAR_VIEW_ID = "gradientLens.sidebar";

export class SidebarView implements vscode.WebviewViewProvider, Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly subs: vscode.Disposable[];
  /** The current view's message listener and dispose hook (a view can be resolved again after it was disposed). */
  private viewSubs: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunManager,
    private readonly models: WorkspaceModels,
    private readonly onRequest: (req: WebviewRequest) => Promise<Outcome>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subs = [
      vscode.window.registerWebviewViewProvider(SIDEBAR_VIEW_ID, this),
      runs.onDidChange((e) => {
        if (!this.view) return;
        if (e.kind === "snapshot") {
          if (e.snapshot === runs.currentSnapshot) post(this.view.webview, { type: "snapshot", snapshot: e.snapshot });
        } else post(this.view.webview, { type: "progress", runId: e.runId, point: e.point });
      }),
      models.onDidChange((list) => {
        if (this.view) post(this.view.webview, { type: "models", models: list, scanning: false });
      }),
    ];
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    for (const s of this.viewSubs) s.dispose();
    this.view = view;
    view.webview.options = webviewOptions(this.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.extensionUri, "sidebar");
    const listener = listen(view.webview, {
      ready: async () => {
        post(view.webview, { type: "snapshot", snapshot: this.runs.currentSnapshot });
        post(view.webview, { type: "models", models: [], scanning: true });
        const list = await this.models.list();
        post(view.webview, { type: "models", models: list, scanning: false });
      },
      request: this.onRequest,
    }, this.log);
    const disposed = view.onDidDispose(() => {
      listener.dispose();
      disposed.dispose();
      if (this.view === view) this.view = undefined;
    });
    this.viewSubs = [listener, disposed];
  }

  dispose(): void {
    for (const s of this.viewSubs) s.dispose();
    this.viewSubs = [];
    for (const s of this.subs) s.dispose();
  }
}
