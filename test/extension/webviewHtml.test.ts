import { describe, expect, it } from "vitest";
import { buildCsp, makeNonce, renderWebviewHtml } from "../../src/extension/webviewHtml";
import { DisposableStore } from "../../src/extension/disposables";

describe("webview HTML", () => {
  const html = renderWebviewHtml({ kind: "report", cspSource: "https://x.vscode-cdn.net", nonce: "abc123", scriptUri: "https://x/main.js", styleUri: "https://x/webview.css", title: "R <1>" });

  it("has a strict CSP: nothing by default, scripts by nonce only, no unsafe-inline or eval", () => {
    const csp = buildCsp("https://x.vscode-cdn.net", "abc123");
    expect(csp).toMatch(/^default-src 'none';/);
    expect(csp).toContain("script-src 'nonce-abc123'");
    expect(csp).toContain("style-src https://x.vscode-cdn.net 'nonce-abc123'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    // Nothing in the page loads images or fonts: no data: URLs, no font sources.
    expect(csp).not.toMatch(/data:|font-src/);
    expect(html).toContain(`content="${csp}"`);
  });

  it("loads exactly one script, with the nonce, and escapes the title", () => {
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script nonce="abc123" src="https://x/main.js">');
    expect(html).toContain('<body data-view="report">');
    expect(html).toContain("<title>R &lt;1></title>");
    expect(html).not.toMatch(/style="/);
  });

  it("makes 32-character alphanumeric nonces", () => {
    const n = makeNonce((k) => Uint8Array.from({ length: k }, (_, i) => i * 7));
    expect(n).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});

describe("DisposableStore", () => {
  it("disposes in reverse order, once, and disposes late additions immediately", () => {
    const order: number[] = [];
    const store = new DisposableStore();
    for (const i of [1, 2, 3]) store.add({ dispose: () => order.push(i) });
    store.dispose();
    store.dispose();
    expect(order).toEqual([3, 2, 1]);
    store.add({ dispose: () => order.push(4) });
    expect(order).toEqual([3, 2, 1, 4]);
  });

  it("keeps disposing after one throws, then reports it", () => {
    const order: number[] = [];
    const store = new DisposableStore();
    store.add({ dispose: () => order.push(1) });
    store.add({ dispose: () => { throw new Error("x"); } });
    store.add({ dispose: () => order.push(3) });
    expect(() => store.dispose()).toThrow("x");
    expect(order).toEqual([3, 1]);
  });
});
