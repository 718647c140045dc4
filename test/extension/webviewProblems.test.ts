/**
 * The webview's problems list, built on a minimal stand-in for `document` (the page code uses only
 * createElement, setAttribute, append, addEventListener and textContent-as-text).
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { sampleReport } from "./fixtures";
import type { Warning } from "../../src/report";

class El {
  readonly children: Array<El | string> = [];
  readonly attrs: Record<string, string> = {};
  readonly listeners: Record<string, Array<(e: { stopPropagation(): void; key?: string }) => void>> = {};
  title = "";
  constructor(readonly tag: string) {}
  setAttribute(k: string, v: string) { this.attrs[k] = v; }
  append(...c: Array<El | string>) { this.children.push(...c); }
  addEventListener(type: string, f: (e: { stopPropagation(): void }) => void) { (this.listeners[type] ??= []).push(f); }
  get textContent(): string { return this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join(""); }
  all(pred: (e: El) => boolean): El[] {
    const kids = this.children.filter((c): c is El => typeof c !== "string");
    return [...kids.filter(pred), ...kids.flatMap((k) => k.all(pred))];
  }
}

let problemList: typeof import("../../webview/problems").problemList;
beforeAll(async () => {
  vi.stubGlobal("document", { createElement: (tag: string) => new El(tag) });
  problemList = (await import("../../webview/problems")).problemList;
});

const render = (w: Warning) => {
  const li = new El("li");
  li.setAttribute("class", "warning");
  li.setAttribute("data-rule", w.rule);
  li.append(w.message);
  return li as unknown as HTMLElement;
};

describe("webview problems list", () => {
  it("shows one problem with its symptoms in a collapsed <details>, blaming the first cause's line", () => {
    const reveals: unknown[] = [];
    const ul = problemList(sampleReport(), render, (loc) => reveals.push(loc)) as unknown as El;
    const items = ul.children as El[];
    expect(items).toHaveLength(1);
    const p = items[0];
    expect(p.attrs["data-rule"]).toBe("vanishing-gradient");
    expect(p.attrs.class).toBe("warning problem warning");
    expect(p.textContent).toContain("vanishing gradients in layers.0");
    expect(p.textContent).toContain("Suggested fix: use ReLU with He init");
    const details = p.all((e) => e.tag === "details");
    expect(details).toHaveLength(1);
    expect(details[0].attrs.open).toBeUndefined();
    expect(details[0].all((e) => e.tag === "summary")[0].textContent).toBe("1 symptom");
    expect(details[0].all((e) => e.attrs["data-rule"] === "loss-not-decreasing")).toHaveLength(1);
    p.listeners.click[0]({ stopPropagation() {} });
    expect(reveals).toEqual([{ file: "deep-sigmoid.ts", line: 15, column: 7 }].map((l) => expect.objectContaining({ line: l.line })));
    // A click inside the symptoms does not reach the problem.
    let stopped = false;
    details[0].listeners.click[0]({ stopPropagation: () => (stopped = true) });
    expect(stopped).toBe(true);
  });

  it("a lone warning is its own item; data stays text", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const r = sampleReport({ warnings: [{ rule: "dead-relu", severity: "warning", layer: "layers.1", message: evil, evidence: {} }, { rule: "nan-or-inf", severity: "error", message: "NaN", evidence: {} }] });
    const items = (problemList(r, render, () => {}) as unknown as El).children as El[];
    expect(items.map((i) => i.attrs["data-rule"])).toEqual(["nan-or-inf", "dead-relu"]);
    expect(items[1].children).toEqual([evil]);
  });

  it("heads a lone warning with its problem's title, not with its message again", () => {
    const headings: Array<string | undefined> = [];
    const renderHeaded = (w: Warning, _loc: unknown, _detailed: boolean, heading?: string) => {
      headings.push(heading);
      return render(w);
    };
    const r = sampleReport({ warnings: [
      { rule: "vanishing-through-time", severity: "warning", layer: "layers.0", message: "the gradient reaching the first of 30 time steps is 2e-8× the last", evidence: {} },
      { rule: "nan-or-inf", severity: "error", message: "NaN", evidence: {} },
    ] });
    const items = (problemList(r, renderHeaded, () => {}) as unknown as El).children as El[];
    expect(items.map((i) => i.attrs["data-problem"])).toEqual(["nan-or-inf", "vanishing-through-time@layers.0"]);
    expect(headings).toEqual([expect.stringMatching(/^NaN\/Inf/), "vanishing gradients through time in layers.0"]);
  });
});
