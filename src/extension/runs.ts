/**
 * Runs of user models from the editor: builds the RunRequest from the settings, starts the runner (a
 * child process: model code never runs in the extension host), shows a cancellable progress
 * notification and a status-bar item, keeps one run per model (a second run of the same model replaces
 * the first), and publishes snapshots that the report panel, the side view, the diagnostics and the
 * CodeLens read.
 */
import * as vscode from "vscode";
import * as path from "node:path";
import { readFile } from "node:fs/promises";
import type { RunHandle, RunOptions } from "../runner";
import type { RunKind, RunOutcome, RunRequest, RunnerEvent } from "../protocol/runner";
import type { ModelRef, ProgressPoint, RunSnapshot } from "../protocol/webview";
import type { Report } from "../report";
import { parseSettings, SETTING_KEYS } from "./settings";
import { summarizeReport, statusBarLook } from "./summary";
import { scanSource } from "./modelScan";
import type { Disposable } from "./disposables";

export type StartRun = (req: RunRequest, onEvent: (e: RunnerEvent) => void, options?: RunOptions) => RunHandle;

export type RunEvent =
  | { kind: "snapshot"; snapshot: RunSnapshot }
  | { kind: "progress"; runId: number; point: ProgressPoint };

/** One model's key in every per-model map (runs, finished runs, diagnostics). Normalise the export name first (`withExportName`). */
export function modelKey(model: Pick<ModelRef, "file" | "exportName">): string {
  return `${model.file}#${model.exportName ?? ""}`;
}

/**
 * The model with its export name filled in when it had none ("the file's first model"), found the way
 * the runner chooses — the default export, else the first in source order — by a static scan, so that a
 * run's key does not change when the runner reports the export it picked.
 */
export async function withExportName(model: ModelRef): Promise<ModelRef> {
  if (model.exportName !== undefined) return model;
  let text: string;
  try {
    text = await readFile(model.file, "utf8");
  } catch {
    return model;
  }
  const models = scanSource(text).models;
  const chosen = models.find((m) => m.exportName === "default") ?? models[0];
  return chosen ? { ...model, exportName: chosen.exportName } : model;
}

interface ActiveRun {
  snapshot: RunSnapshot;
  handle: RunHandle;
  replaced: boolean;
}

export class RunManager implements Disposable {
  private nextId = 1;
  private readonly active = new Map<string, ActiveRun>();
  /** The last finished run of each model (for the CodeLens summary and re-opening the report). */
  private readonly finished = new Map<string, RunSnapshot>();
  /** The run the report panel and side view show: the latest one started. */
  private current: RunSnapshot | null = null;
  /** Snapshots adopted from a webview's saved state after a reload: their contents came from the page, not from a run. */
  private readonly restored = new WeakSet<RunSnapshot>();
  private readonly emitter = new vscode.EventEmitter<RunEvent>();
  readonly onDidChange = this.emitter.event;
  private readonly status: vscode.StatusBarItem;

  constructor(
    private readonly startRun: StartRun,
    private readonly runnerOptions: () => RunOptions,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.status = vscode.window.createStatusBarItem("gradientLens.run", vscode.StatusBarAlignment.Left, 10);
    this.status.name = "Gradient Lens";
  }

  get currentSnapshot(): RunSnapshot | null {
    return this.current;
  }

  lastReport(model: Pick<ModelRef, "file" | "exportName">): RunSnapshot | undefined {
    return this.finished.get(modelKey(model));
  }

  /** Finished runs of a file, for its CodeLens summaries. */
  finishedInFile(file: string): RunSnapshot[] {
    return [...this.finished.values()].filter((s) => s.model.file === file);
  }

  /** Shows a model's last finished run in the report panel and side view. */
  focus(model: Pick<ModelRef, "file" | "exportName">): void {
    const s = this.finished.get(modelKey(model));
    if (!s) return;
    this.current = s;
    this.publish(s);
    this.updateStatus();
  }

  /** Whether a snapshot came from a webview's saved state (`restore`) rather than from a run of this window. */
  isRestored(s: RunSnapshot): boolean {
    return this.restored.has(s);
  }

  /** The current run and every model's last finished run. */
  knownSnapshots(): RunSnapshot[] {
    const all = new Set(this.finished.values());
    if (this.current) all.add(this.current);
    return [...all];
  }

  /**
   * Adopts the snapshot a report panel saved before a window reload as the last run of its model (when
   * nothing has run since), so that the restored panel's links, exports and reruns work. A run that was
   * live before the reload is shown as stopped: its runner went with the old extension host.
   */
  restore(saved: RunSnapshot): RunSnapshot | undefined {
    if (this.current || this.active.size) return undefined;
    const s: RunSnapshot = saved.phase === "running" ? { ...saved, phase: "cancelled", endedAt: saved.endedAt ?? Date.now() } : { ...saved };
    this.restored.add(s);
    this.nextId = Math.max(this.nextId, s.runId + 1);
    const key = modelKey(s.model);
    if (s.phase !== "cancelled" && !this.finished.has(key)) this.finished.set(key, s);
    this.current = s;
    this.publish(s);
    this.updateStatus();
    return s;
  }

  /** Starts a run and resolves when it ends (with its final snapshot). */
  async run(command: RunKind, requested: ModelRef): Promise<RunSnapshot> {
    const model = await withExportName(requested);
    const key = modelKey(model);
    const previous = this.active.get(key);
    if (previous) {
      this.log.info(`replacing run #${previous.snapshot.runId} of ${model.name}`);
      previous.replaced = true;
      previous.handle.cancel();
    }

    const { request: fields, problems } = parseSettings(readSettings(model.file), command);
    for (const p of problems) this.log.warn(p);
    // The request keeps what was asked: the runner, not the static scan, decides what "the first model" is.
    const request: RunRequest = { ...fields, file: model.file, exportName: requested.exportName, command };
    const snapshot: RunSnapshot = {
      runId: this.nextId++,
      command,
      model,
      phase: "running",
      totalSteps: request.steps ?? 0,
      progress: [],
      startedAt: Date.now(),
    };
    this.log.info(`run #${snapshot.runId}: ${command} ${model.name} (${model.file}${model.exportName ? `#${model.exportName}` : ""}) ${JSON.stringify(fields)}`);

    // A replaced run is asked to stop and may still report (its start, its last steps) during the
    // runner's grace period: it must not be published over the run that replaced it.
    let replacing: ActiveRun | undefined;
    const onEvent = (e: RunnerEvent) => this.onRunnerEvent(snapshot, e, replacing?.replaced ?? false);
    let handle: RunHandle;
    try {
      handle = this.startRun(request, onEvent, this.runnerOptions());
    } catch (e) {
      handle = { result: Promise.resolve<RunOutcome>({ ok: false, error: { kind: "load", message: String(e) } }), cancel() {}, pid: undefined };
    }
    const active: ActiveRun = { snapshot, handle, replaced: false };
    replacing = active;
    this.active.set(key, active);
    this.current = snapshot;
    this.publish(snapshot);
    this.updateStatus();

    const title = `${command === "check" ? "Checking gradients of" : "Training"} ${model.name}`;
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Gradient Lens: ${title}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => handle.cancel());
        let reported = 0;
        const sub = this.onDidChange((e) => {
          if (e.kind !== "progress" || e.runId !== snapshot.runId || !snapshot.totalSteps) return;
          const pct = Math.min(100, ((e.point.step + 1) / snapshot.totalSteps) * 100);
          progress.report({ increment: pct - reported, message: `step ${e.point.step + 1}/${snapshot.totalSteps} · loss ${e.point.loss.toPrecision(4)}` });
          reported = pct;
        });
        try {
          return await handle.result;
        } finally {
          sub.dispose();
        }
      },
    );

    if (this.active.get(key) === active) this.active.delete(key);
    snapshot.endedAt = Date.now();
    if (outcome.ok) {
      snapshot.phase = "done";
      snapshot.report = withFile(outcome.report, model);
      this.finished.set(key, snapshot);
      this.log.info(`run #${snapshot.runId} done in ${snapshot.endedAt - snapshot.startedAt} ms: ${summarizeReport(snapshot.report)}`);
    } else {
      snapshot.phase = outcome.error.kind === "cancelled" ? "cancelled" : "failed";
      snapshot.error = outcome.error;
      if (outcome.error.partialReport) snapshot.report = withFile(outcome.error.partialReport, model);
      const msg = `run #${snapshot.runId} ${snapshot.phase}: [${outcome.error.kind}] ${outcome.error.message}`;
      if (snapshot.phase === "cancelled") this.log.info(msg);
      else {
        this.log.error(msg + (outcome.error.stack ? `\n${outcome.error.stack}` : ""));
        // A failure replaces the model's last result (a timeout or crash has no report, but the lens must not keep the old one).
        this.finished.set(key, snapshot);
      }
    }
    if (!active.replaced) {
      this.publish(snapshot);
      if (snapshot.phase === "failed") void this.showFailure(snapshot);
    }
    this.updateStatus();
    return snapshot;
  }

  /** Stops every active run. */
  stopAll(): number {
    const n = this.active.size;
    for (const a of this.active.values()) a.handle.cancel();
    return n;
  }

  private onRunnerEvent(snapshot: RunSnapshot, e: RunnerEvent, replaced: boolean): void {
    switch (e.type) {
      case "started":
        snapshot.totalSteps = e.totalSteps;
        if (e.name && e.name !== snapshot.model.name) snapshot.model = { ...snapshot.model, name: e.name };
        if (!snapshot.model.exportName) snapshot.model = { ...snapshot.model, exportName: e.exportName };
        if (!replaced) this.publish(snapshot);
        break;
      case "progress": {
        const point: ProgressPoint = { step: e.step, loss: e.loss, accuracy: e.accuracy, layers: e.layers };
        snapshot.progress.push(point);
        if (e.totalSteps) snapshot.totalSteps = e.totalSteps;
        this.emitter.fire({ kind: "progress", runId: snapshot.runId, point });
        this.updateStatus();
        break;
      }
      case "log":
        if (e.level === "warn") this.log.warn(e.text);
        else this.log.info(e.text);
        break;
      default:
        break;
    }
  }

  private publish(snapshot: RunSnapshot): void {
    this.emitter.fire({ kind: "snapshot", snapshot });
  }

  private updateStatus(): void {
    const running = [...this.active.values()];
    if (running.length) {
      const s = running[running.length - 1].snapshot;
      const last = s.progress[s.progress.length - 1];
      const step = last ? ` ${last.step + 1}/${s.totalSteps || "?"} · loss ${last.loss.toPrecision(3)}` : " starting…";
      this.status.text = `$(sync~spin) ${s.model.name}:${step}`;
      this.status.tooltip = "Gradient Lens: click to stop the run";
      this.status.command = "gradientLens.stop";
      this.status.backgroundColor = undefined;
      this.status.show();
      return;
    }
    const s = this.current;
    if (!s) {
      this.status.hide();
      return;
    }
    if (s.report) {
      const look = statusBarLook(s.model.name, s.report);
      this.status.text = `${look.icon} ${look.text}`;
      this.status.tooltip = `Gradient Lens: ${summarizeReport(s.report)} — click to open the report`;
      this.status.backgroundColor = look.background ? new vscode.ThemeColor(look.background) : undefined;
    } else {
      this.status.text = `$(circle-slash) ${s.model.name}: ${s.phase}`;
      this.status.tooltip = s.error ? `Gradient Lens: ${s.error.message}` : "Gradient Lens";
      this.status.backgroundColor = undefined;
    }
    this.status.command = "gradientLens.openReport";
    this.status.show();
  }

  private async showFailure(s: RunSnapshot): Promise<void> {
    const choice = await vscode.window.showErrorMessage(`Gradient Lens: ${s.model.name} — ${s.error?.message ?? "the run failed"}`, "Show Log");
    if (choice === "Show Log") this.log.show(true);
  }

  dispose(): void {
    this.stopAll();
    this.status.dispose();
    this.emitter.dispose();
  }
}

/** The user-set values of every setting the parser reads, scoped to the model file's folder. */
function readSettings(file: string): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("gradientLens", vscode.Uri.file(file));
  const values: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const i = config.inspect(key);
    const v = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    if (v !== undefined) values[key] = v;
  }
  return values;
}

function withFile(report: Report, model: ModelRef): Report {
  return report.model.file ? report : { ...report, model: { ...report.model, file: model.file } };
}

/** A report path (absolute, or relative to the model file's folder) as an absolute path. */
export function resolveReportFile(report: Report | undefined, fallbackFile: string): (file: string) => string {
  const base = path.dirname(report?.model.file ?? fallbackFile);
  return (file) => (path.isAbsolute(file) ? file : path.resolve(base, file));
}
