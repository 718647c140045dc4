/**
 * The webview's state flow (webview/liveView.ts): a view keeps its own copy of the run it shows, live
 * points go to that copy only, and `getState()` is what main.ts persists for a reload.
 */
import { describe, expect, it, vi } from "vitest";
import type { RunSnapshot } from "../../src/protocol/webview";

vi.stubGlobal("requestAnimationFrame", (fn: () => void) => {
  queueMicrotask(fn);
  return 1;
});
const { LiveView } = await import("../../webview/liveView");

class CountingView extends LiveView {
  renders = 0;
  live = 0;
  protected render(): void {
    this.renders++;
  }
  protected updateLive(): void {
    this.live++;
  }
}

const snapshot = (): RunSnapshot => ({
  runId: 7, command: "train", model: { file: "/ws/m.ts", name: "M" }, phase: "running", totalSteps: 3, progress: [{ step: 0, loss: 2 }], startedAt: 1,
});

describe("LiveView state", () => {
  it("appends live points to its own copy, never to the message it was shown", async () => {
    const view = new CountingView({} as HTMLElement);
    const fromHost = snapshot();
    view.show(fromHost);
    expect(view.progress(7, { step: 1, loss: 1.5 })).toBe(true);
    expect(view.progress(7, { step: 2, loss: 1.2 })).toBe(true);
    expect(fromHost.progress).toEqual([{ step: 0, loss: 2 }]);
    expect(view.getState().snapshot?.progress.map((p) => p.step)).toEqual([0, 1, 2]);
    await Promise.resolve();
    // Two points in one frame: one live update, no full render.
    expect(view.live).toBe(1);
    expect(view.renders).toBe(1);
  });

  it("ignores points of another run and has nothing to persist before a run", () => {
    const view = new CountingView({} as HTMLElement);
    expect(view.getState()).toEqual({ snapshot: null });
    expect(view.progress(7, { step: 1, loss: 1 })).toBe(false);
    view.show(snapshot());
    expect(view.progress(8, { step: 1, loss: 1 })).toBe(false);
    expect(view.getState().snapshot?.progress).toHaveLength(1);
  });

  it("restores from a saved state as it would show the run", () => {
    const view = new CountingView({} as HTMLElement);
    view.setState({ snapshot: snapshot() });
    expect(view.renders).toBe(1);
    expect(view.getState()).toEqual({ snapshot: snapshot() });
  });
});
