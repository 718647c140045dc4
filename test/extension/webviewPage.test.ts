/**
 * The page's side of the protocol (webview/host.ts) with a stand-in for `acquireVsCodeApi` and the
 * window: requests carry fresh ids and settle on the host's matching response, a refusal's reason
 * reaches the view, and the state a reload restores is validated.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { sampleReport } from "./fixtures";
import type { RunSnapshot } from "../../src/protocol/webview";

const posted: unknown[] = [];
let stored: unknown;
const win = new EventTarget();
vi.stubGlobal("window", win);
vi.stubGlobal("acquireVsCodeApi", () => ({
  postMessage: (m: unknown) => posted.push(m),
  getState: () => stored,
  setState: (s: unknown) => (stored = s),
}));
vi.stubGlobal("MessageEvent", class extends Event {
  constructor(type: string, readonly init: { data: unknown }) {
    super(type);
  }
  get data() {
    return this.init.data;
  }
});

let host: typeof import("../../webview/host");
beforeAll(async () => {
  host = await import("../../webview/host");
});

const fromHost = (data: unknown) => win.dispatchEvent(new MessageEvent("message", { data }));

describe("requests from the page", () => {
  it("carry increasing ids and settle on the host's response with the same id only", async () => {
    const refusals: string[] = [];
    host.onRefusal((r) => refusals.push(r));
    posted.length = 0;
    const a = host.request({ type: "stop" });
    const b = host.request({ type: "export", format: "csv" });
    expect(posted).toEqual([{ type: "stop", requestId: 1 }, { type: "export", format: "csv", requestId: 2 }]);
    let aDone = false;
    void a.then(() => (aDone = true));
    fromHost({ type: "response", requestId: 2, outcome: { status: "refused", reason: "No report yet: check or train a model first." } });
    fromHost({ type: "response", requestId: 99, outcome: { status: "ok" } }); // nobody asked: ignored
    expect(await b).toEqual({ status: "refused", reason: "No report yet: check or train a model first." });
    expect(refusals).toEqual(["No report yet: check or train a model first."]);
    expect(aDone).toBe(false);
    fromHost({ type: "response", requestId: 1, outcome: { status: "ok" } });
    expect(await a).toEqual({ status: "ok" });
    expect(refusals).toHaveLength(1);
  });

  it("passes other host messages to the view and drops invalid ones", () => {
    const seen: unknown[] = [];
    host.onHostMessage((m) => seen.push(m));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    fromHost({ type: "progress", runId: 1, point: { step: 0, loss: 1 } });
    fromHost({ type: "progress", runId: 1, point: { step: "0", loss: 1 } });
    fromHost({ type: "response", requestId: 1, outcome: { status: "refused" } });
    expect(seen).toEqual([{ type: "progress", runId: 1, point: { step: 0, loss: 1 } }]);
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });
});

describe("the state a reload restores", () => {
  const snapshot: RunSnapshot = {
    runId: 4, command: "train", model: { file: "/ws/m.ts", exportName: "default", name: "M" }, phase: "done",
    totalSteps: 2, progress: [{ step: 0, loss: 1 }], report: sampleReport(), startedAt: 1,
  };

  it("is what the view hands to saveState, read back by savedState", () => {
    host.saveState(() => ({ snapshot }), true);
    expect(host.savedState()).toEqual({ snapshot });
  });

  it("is dropped when it is not a valid snapshot", () => {
    stored = { snapshot: { ...snapshot, phase: "exploded" } };
    expect(host.savedState()).toEqual({ snapshot: null });
    stored = undefined;
    expect(host.savedState()).toEqual({ snapshot: null });
  });
});
