/**
 * What the report panel and the side view share: the run snapshot they show (the view's own copy:
 * progress points are appended to it, never to a message's object), live progress points batched to
 * one redraw per animation frame, and the charts torn down before each full render. The state a
 * reload restores is read with `getState()` and handed back with `setState()`.
 */
import type { ProgressPoint, RunSnapshot } from "../src/protocol/webview";
import type { PersistedState } from "./host";
import { clear } from "./dom";
import { applyThemeDefaults } from "./charts";

/** Anything a render creates that must be released before the next one (chart.js charts, chart wrappers). */
export interface Destroyable {
  destroy(): void;
}

export abstract class LiveView {
  private state: RunSnapshot | null = null;
  protected charts: Destroyable[] = [];
  private frame = 0;

  constructor(protected readonly root: HTMLElement) {}

  /** The run shown. */
  protected get snapshot(): RunSnapshot | null {
    return this.state;
  }

  /** Shows a run (a copy of it: later progress points go to the view's copy only). */
  show(snapshot: RunSnapshot | null): void {
    this.state = snapshot && { ...snapshot, progress: [...snapshot.progress] };
    this.render();
  }

  /** What a reload needs to show this view again. */
  getState(): PersistedState {
    return { snapshot: this.state };
  }

  setState(state: PersistedState): void {
    this.show(state.snapshot);
  }

  /** A live progress point of the run shown: update in place, at most once a frame. Whether it was the run shown. */
  progress(runId: number, point: ProgressPoint): boolean {
    if (!this.state || this.state.runId !== runId) return false;
    this.state.progress.push(point);
    if (this.frame) return true;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.updateLive();
    });
    return true;
  }

  /** Redraws everything (after a theme change). */
  rerender(): void {
    this.render();
  }

  /** Destroys the charts and empties the root, with the theme's chart defaults applied for what comes. */
  protected reset(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    clear(this.root);
    applyThemeDefaults();
  }

  protected abstract render(): void;
  /** Updates the live parts in place from the snapshot's progress points. */
  protected abstract updateLive(): void;
}
