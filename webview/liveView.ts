/**
 * What the report panel and the side view share: the run snapshot they show, live progress points
 * batched to one redraw per animation frame, and the charts torn down before each full render.
 */
import type { Chart } from "chart.js";
import type { ProgressPoint, RunSnapshot } from "../src/protocol/webview";
import { clear } from "./dom";
import { applyThemeDefaults } from "./charts";

export abstract class LiveView {
  protected snapshot: RunSnapshot | null = null;
  protected charts: Chart[] = [];
  private frame = 0;

  constructor(protected readonly root: HTMLElement) {}

  show(snapshot: RunSnapshot | null): void {
    this.snapshot = snapshot;
    this.render();
  }

  /** A live progress point of the run shown: update in place, at most once a frame. */
  progress(runId: number, point: ProgressPoint): void {
    if (!this.snapshot || this.snapshot.runId !== runId) return;
    this.snapshot.progress.push(point);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.updateLive();
    });
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
