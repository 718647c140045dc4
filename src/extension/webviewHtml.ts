/**
 * The HTML shell of both webviews. Pure (no vscode import; the host passes URIs as strings).
 * Strict CSP after vscode-extension-samples' webview-sample: nothing by default; scripts only with this
 * page's nonce; styles from the extension's own files (`cspSource`) or with the nonce. @vscode-elements
 * styles its shadow roots with constructable stylesheets (`adoptedStyleSheets`), which CSP does not gate,
 * and chart.js sizes canvases through the CSSOM (`el.style.x = …`), which CSP allows too — so no
 * 'unsafe-inline' is needed; the end-to-end test listens for `securitypolicyviolation` to prove it.
 */
export type WebviewKind = "report" | "sidebar";

export interface WebviewHtmlOptions {
  kind: WebviewKind;
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  title: string;
}

export function buildCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    // No images or fonts: the page draws on canvases and uses the workbench's font.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
}

export function renderWebviewHtml(o: WebviewHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(buildCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}" nonce="${o.nonce}">
<title>${escapeText(o.title)}</title>
</head>
<body data-view="${o.kind}">
<main id="app" aria-live="polite"></main>
<script nonce="${o.nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}

/** 32 alphanumeric characters from a CSPRNG. */
export function makeNonce(random: (n: number) => Uint8Array): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(random(32), (b) => chars[b % chars.length]).join("");
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}
