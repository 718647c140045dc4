/** What the report panel and the side view share: options, HTML, and validated message dispatch. */
import * as vscode from "vscode";
import { randomBytes } from "node:crypto";
import { describeRefused, isWebviewMessage, refuse, type HostMessage, type Outcome, type WebviewRequest } from "../protocol/webview";
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

/** What a view does with a webview's messages: `ready` is the view's own; requests get an answer. */
export interface WebviewHandlers {
  ready(): void | Promise<void>;
  request(req: WebviewRequest): Promise<Outcome>;
}

/**
 * Routes messages from a webview. A request is answered with a `response` carrying its `requestId`
 * (a handler that throws answers with a refusal pointing at the log). A message that fails
 * `isWebviewMessage` is dropped and logged abridged: the first one of this webview in one line
 * (its type and keys, never its content), later ones only counted, at 10, 100, 1000… (a page
 * posting garbage in a loop costs a few log lines, not megabytes).
 */
export function listen(webview: vscode.Webview, handlers: WebviewHandlers, log: vscode.LogOutputChannel): vscode.Disposable {
  let refused = 0;
  return webview.onDidReceiveMessage(async (raw: unknown) => {
    if (!isWebviewMessage(raw)) {
      refused++;
      if (refused === 1) log.warn(`ignored an invalid message from a webview (${describeRefused(raw)}); further ones are only counted`);
      else if (Number.isInteger(Math.log10(refused))) log.warn(`ignored ${refused} invalid messages from a webview`);
      return;
    }
    if (raw.type === "ready") {
      try {
        await handlers.ready();
      } catch (e) {
        log.error(`webview ready failed: ${errorText(e)}`);
      }
      return;
    }
    const { requestId, ...req } = raw;
    let outcome: Outcome;
    try {
      outcome = await handlers.request(req);
    } catch (e) {
      log.error(`webview request ${req.type} failed: ${errorText(e)}`);
      outcome = refuse(`Gradient Lens could not ${req.type === "reveal" || req.type === "openModel" ? "open the file" : `do that (${req.type})`}: ${e instanceof Error ? e.message : String(e)}`);
    }
    post(webview, { type: "response", requestId, outcome });
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.stack ?? e.message : String(e);
}

export function post(webview: vscode.Webview, msg: HostMessage): void {
  void webview.postMessage(msg);
}
