/** What the report panel and the side view share: options, HTML, and validated message dispatch. */
import * as vscode from "vscode";
import { randomBytes } from "node:crypto";
import { isWebviewMessage, type HostMessage, type WebviewMessage } from "../protocol/webview";
import { makeNonce, renderWebviewHtml, type WebviewKind } from "./webviewHtml";

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    // Only what the page loads: the webview bundle (dist/webview) and the stylesheet (media/).
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist", "webview"), vscode.Uri.joinPath(extensionUri, "media")],
  };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, kind: WebviewKind): string {
  return renderWebviewHtml({
    kind,
    cspSource: webview.cspSource,
    nonce: makeNonce((n) => randomBytes(n)),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webview", "main.js")).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", "webview.css")).toString(),
    title: kind === "report" ? "Gradient Lens Report" : "Gradient Lens",
  });
}

/** Routes messages from a webview: anything that fails `isWebviewMessage` is logged and dropped. */
export function listen(
  webview: vscode.Webview,
  handle: (msg: WebviewMessage) => void | Promise<void>,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  return webview.onDidReceiveMessage(async (raw: unknown) => {
    if (!isWebviewMessage(raw)) {
      log.warn(`ignored an invalid message from a webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    try {
      await handle(raw);
    } catch (e) {
      log.error(`webview message ${raw.type} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  });
}

export function post(webview: vscode.Webview, msg: HostMessage): void {
  void webview.postMessage(msg);
}
