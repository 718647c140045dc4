/**
 * The extension as one object: builds every service into one disposable store (disposed in reverse
 * order) and registers the commands. The logic lives in the services and in the pure modules next to them.
 */
import * as vscode from "vscode";
import * as path from "node:path";
import { existsSync } from "node:fs";
import { startRun } from "../runner";
import { CANCELLED, OK, isModelRef, refuse, type ModelRef, type Outcome, type RunKind, type RunSnapshot, type WebviewRequest, type ExportFormat } from "../protocol/webview";
import type { SourceLocation } from "../report";
import { DisposableStore, type Disposable } from "./disposables";
import { RunManager, resolveReportFile } from "./runs";
import { Diagnostics } from "./diagnostics";
import { CODELENS_SELECTOR, ModelCodeLens } from "./codeLens";
import { WorkspaceModels } from "./workspaceModels";
import { ReportPanel } from "./reportPanel";
import { SidebarView } from "./sidebarView";
import { layerTableCsv, reportToJson } from "./reportExport";
import { modelAtLine } from "./modelPick";
import { bundledEsbuild } from "./packaging";
import { isInside } from "./paths";
import { EngineVersionNotice } from "./engineVersion";
import { newModelFile } from "./newModel";
import { CompareRuns } from "./compareCommand";
import { RunHistory } from "./runHistory";

export class GradientLens implements Disposable {
  private readonly store = new DisposableStore();
  private readonly log: vscode.LogOutputChannel;
  private readonly runs: RunManager;
  private readonly codeLens: ModelCodeLens;
  private readonly models: WorkspaceModels;
  private readonly panel: ReportPanel;
  private readonly compare: CompareRuns;

  constructor(private readonly context: vscode.ExtensionContext) {
    const extensionPath = context.extensionUri.fsPath;
    this.log = this.store.add(vscode.window.createOutputChannel("Gradient Lens", { log: true }));
    const esbuild = bundledEsbuild(extensionPath);
    this.runs = this.store.add(
      new RunManager(startRun, () => ({
        workerPath: path.join(extensionPath, "dist", "runner", "worker.js"),
        esbuildPath: esbuild.modulePath,
        env: esbuild.env ? { ...process.env, ...esbuild.env } : undefined,
      }), this.log),
    );
    this.store.add(new Diagnostics(this.runs));
    this.codeLens = this.store.add(new ModelCodeLens(this.runs));
    this.store.add(vscode.languages.registerCodeLensProvider(CODELENS_SELECTOR, this.codeLens));
    this.models = this.store.add(new WorkspaceModels());
    const onRequest = (req: WebviewRequest) => this.onWebviewRequest(req);
    this.panel = this.store.add(new ReportPanel(context.extensionUri, this.runs, onRequest, this.log));
    this.store.add(new SidebarView(context.extensionUri, this.runs, this.models, onRequest, this.log));
    // Runs are kept in the workspace's storage (the global one without a folder); a context without either keeps this window's runs only.
    const storage = context.storageUri ?? context.globalStorageUri;
    const history = storage ? new RunHistory(path.join(storage.fsPath, "runs"), CompareRuns.maxRuns) : undefined;
    this.compare = this.store.add(new CompareRuns(history, this.runs, this.panel, this.log));
    // A new run opens the report beside the editor, live.
    this.store.add(this.runs.onDidChange((e) => {
      if (e.kind === "snapshot" && e.snapshot.phase === "running" && e.snapshot.progress.length === 0) this.panel.show(true);
    }));
    this.registerCommands();
    void this.store.add(new EngineVersionNotice(context.workspaceState)).check();
  }

  private registerCommands(): void {
    const command = (id: string, fn: (...args: any[]) => unknown) => this.store.add(vscode.commands.registerCommand(id, fn));
    // A command resolves when its run ends; a refusal was already shown (startRun's notification).
    const runToEnd = async (kind: RunKind, model: unknown, fallback: "cursor" | "choose") => {
      await (await this.startRun(kind, model, fallback)).finished;
    };
    command("gradientLens.checkModel", (model?: unknown) => runToEnd("check", model, "cursor"));
    command("gradientLens.checkChosenModel", () => runToEnd("check", undefined, "choose"));
    command("gradientLens.trainModel", (model?: unknown) => runToEnd("train", model, "cursor"));
    command("gradientLens.trainChosenModel", () => runToEnd("train", undefined, "choose"));
    command("gradientLens.stop", () => {
      if (!this.runs.stopAll()) void vscode.window.showInformationMessage("Gradient Lens: no run to stop.");
    });
    command("gradientLens.openReport", () => this.panel.show(false));
    command("gradientLens.showReportOf", (model?: unknown) => {
      if (isModelRef(model)) this.runs.focus(model);
      this.panel.show(false);
    });
    command("gradientLens.exportJson", () => this.exportReport("json"));
    command("gradientLens.exportCsv", () => this.exportReport("csv"));
    command("gradientLens.openExample", () => this.openExample());
    command("gradientLens.newModelFile", () => newModelFile(this.context.extensionUri.fsPath, this.models));
    command("gradientLens.showLog", () => this.log.show(true));
    command("gradientLens.refreshModels", () => this.models.refresh());
    command("gradientLens.compareWith", () => this.compare.command());
  }

  /**
   * Starts a run of `arg` (a model), else of the model under the cursor or one the user picks. Resolves
   * once the run has started (or was refused, or the user dismissed the pick); `finished` settles
   * when the run ends. A refusal is also shown as a notification (with its action: manage trust, open
   * an example), for the commands and lenses that have no page to show it.
   */
  private async startRun(kind: RunKind, arg: unknown, fallback: "cursor" | "choose"): Promise<{ outcome: Outcome; finished?: Promise<RunSnapshot | void> }> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window
        .showWarningMessage("Gradient Lens runs your model's code, which is disabled in an untrusted workspace.", "Manage Workspace Trust")
        .then((choice) => choice && vscode.commands.executeCommand("workbench.trust.manage"));
      return { outcome: refuse("Running a model is disabled in an untrusted workspace: trust the workspace first.") };
    }
    let model = isModelRef(arg) ? arg : fallback === "cursor" ? this.modelUnderCursor() : undefined;
    if (!model) {
      const chosen = await this.chooseModel(kind);
      if (chosen === "none") return { outcome: refuse("No model found: export one with defineModel from a TypeScript file that imports gradient-lens.") };
      if (!chosen) return { outcome: CANCELLED };
      model = chosen;
    }
    const file = model.file;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
    if (doc?.isDirty) await doc.save();
    const finished = this.runs.run(kind, model).catch((e: unknown) => {
      this.log.error(`run of ${file} failed to start: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    });
    return { outcome: OK, finished };
  }

  private modelUnderCursor(): ModelRef | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== "typescript") return undefined;
    const scan = this.codeLens.scan(editor.document);
    const m = modelAtLine(scan.models, editor.selection.active.line);
    return m ? { file: editor.document.uri.fsPath, exportName: m.exportName, name: m.name, line: m.line + 1 } : undefined;
  }

  /** The model the user picks; "none" when the workspace has none (the user is offered an example). */
  private async chooseModel(command: RunKind): Promise<ModelRef | "none" | undefined> {
    const list = await this.models.list();
    if (!list.length) {
      void vscode.window
        .showInformationMessage("Gradient Lens: no model found. Export one with `defineModel` from a TypeScript file that imports gradient-lens.", "Open an Example")
        .then((choice) => choice && this.openExample());
      return "none";
    }
    const items = list.map((m) => ({
      label: m.name,
      description: m.exportName === "default" ? "default export" : m.exportName,
      detail: vscode.workspace.asRelativePath(m.file) + (m.line ? `:${m.line}` : ""),
      model: m,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: command === "check" ? "Check gradients of…" : "Train & inspect…",
      placeHolder: "Choose a model",
      matchOnDetail: true,
    });
    return picked?.model;
  }

  /** A webview's request, answered: done, dismissed by the user, or refused with the reason the page shows. */
  private async onWebviewRequest(req: WebviewRequest): Promise<Outcome> {
    switch (req.type) {
      case "reveal":
        return this.reveal(req.location);
      case "run": {
        // A model named by a webview (or by a snapshot restored from one) runs only if the host knows it.
        const asked = req.model ?? this.runs.currentSnapshot?.model;
        if (!asked) return (await this.startRun(req.command, undefined, "cursor")).outcome;
        const model = await this.knownModel(asked);
        if (!model) {
          this.log.warn(`refused to run ${asked.file}: not a model file of this workspace or of a run of this window`);
          return refuse(`${path.basename(asked.file)} is not a model file of this workspace, so Gradient Lens will not run it.`);
        }
        return (await this.startRun(req.command, model, "cursor")).outcome;
      }
      case "stop":
        return this.runs.stopAll() ? OK : refuse("No run to stop.");
      case "openReport":
        this.panel.show(false);
        return OK;
      case "export":
        return this.exportReport(req.format);
      case "openModel":
        return this.reveal({ file: req.model.file, line: req.model.line ?? 1, column: 1 });
      case "newModelFile":
        await vscode.commands.executeCommand("gradientLens.newModelFile");
        return OK;
      case "openExample":
        await this.openExample();
        return OK;
      case "listRuns":
      case "loadRun":
        return this.compare.answer(req);
    }
  }

  /**
   * The model a webview asks to run, if the host knows its file: a model of the workspace scan (or an
   * example opened from the extension), or the model of a run this window started; a snapshot restored
   * from a webview's state vouches only for files inside the workspace or the bundled examples.
   */
  private async knownModel(asked: ModelRef): Promise<ModelRef | undefined> {
    const file = path.resolve(asked.file);
    const model = { ...asked, file };
    await this.models.list();
    if (this.models.knows(file)) return model;
    const vouched = this.runs.knownSnapshots().some((s) => s.model.file === file && (!this.runs.isRestored(s) || this.insideTrustedRoots(file)));
    return vouched && /\.[cm]?ts$/.test(file) ? model : undefined;
  }

  /** Whether `file` lies in a workspace folder or in the extension's bundled examples. */
  private insideTrustedRoots(file: string): boolean {
    const roots = [...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), path.join(this.context.extensionUri.fsPath, "examples")];
    return roots.some((root) => isInside(file, root));
  }

  /** Opens a source line that a report or the model list points at; other files are refused. */
  private async reveal(location: SourceLocation): Promise<Outcome> {
    const snapshot = this.runs.currentSnapshot;
    const file = resolveReportFile(snapshot?.report, snapshot?.model.file ?? location.file)(location.file);
    if (!(await this.isKnownFile(file))) {
      this.log.warn(`refused to open ${file}: not a model file or a file a report points at`);
      return refuse(`Gradient Lens opens only the model's files and the files its report points at; ${path.basename(file)} is neither.`);
    }
    const line = Math.max(0, location.line - 1);
    const col = Math.max(0, location.column - 1);
    const uri = vscode.Uri.file(file);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === file);
    const editor = await vscode.window.showTextDocument(uri, {
      viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One,
      selection: new vscode.Range(line, col, line, col),
      preserveFocus: false,
    });
    editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return OK;
  }

  /** The files a webview may open: the current run's model and the files its report points at, and the workspace's model files. */
  private async isKnownFile(file: string): Promise<boolean> {
    const s = this.runs.currentSnapshot;
    const known = new Set<string>();
    if (s) {
      const resolve = resolveReportFile(s.report, s.model.file);
      const add = (f: unknown) => {
        if (typeof f === "string" && f) known.add(resolve(f));
      };
      add(s.model.file);
      for (const l of s.report?.model.layers ?? []) add(l.location?.file);
      for (const w of s.report?.warnings ?? []) add(w.location?.file);
      add(s.error?.location?.file);
      // A restored snapshot is the page's word: it vouches only for files of this workspace or the examples.
      if (known.has(file) && (!this.runs.isRestored(s) || this.insideTrustedRoots(file))) return true;
    }
    // The workspace scan runs once, on demand (after a reload nothing may have asked for it yet).
    await this.models.list();
    return this.models.knows(file);
  }

  private async exportReport(format: ExportFormat): Promise<Outcome> {
    const s = this.runs.currentSnapshot;
    const report = s?.report;
    if (!s || !report) {
      void vscode.window.showInformationMessage("Gradient Lens: no report yet — check or train a model first.");
      return refuse("No report yet: check or train a model first.");
    }
    const base = path.join(path.dirname(s.model.file), `${path.basename(s.model.file, path.extname(s.model.file))}.gradient-lens`);
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(`${base}${format === "json" ? ".json" : ".layers.csv"}`),
      filters: format === "json" ? { JSON: ["json"] } : { CSV: ["csv"] },
      title: format === "json" ? "Export the report (JSON)" : "Export the per-layer table (CSV)",
    });
    if (!target) return CANCELLED;
    const text = format === "json" ? reportToJson(report) : layerTableCsv(report);
    try {
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    } catch (e) {
      this.log.error(`export to ${target.fsPath} failed: ${e instanceof Error ? e.message : String(e)}`);
      void vscode.window.showErrorMessage(`Gradient Lens: could not write ${path.basename(target.fsPath)}.`);
      return refuse(`Could not write ${path.basename(target.fsPath)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.log.info(`exported ${format.toUpperCase()} to ${target.fsPath}`);
    void vscode.window.showInformationMessage(`Gradient Lens: exported ${path.basename(target.fsPath)}.`);
    return OK;
  }

  /** Opens one of the example models shipped with the extension. */
  private async openExample(): Promise<void> {
    const dir = path.join(this.context.extensionUri.fsPath, "examples");
    let files: string[] = [];
    try {
      const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.file(dir));
      files = entries.filter(([name, type]) => type === vscode.FileType.File && name.endsWith(".ts")).map(([name]) => name).sort();
    } catch {
      /* no examples shipped */
    }
    if (!files.length) {
      void vscode.window.showInformationMessage("Gradient Lens: no example models are bundled with this build.");
      return;
    }
    const picked = await vscode.window.showQuickPick(files.map((f) => ({ label: f.replace(/\.ts$/, ""), description: f, file: path.join(dir, f) })), {
      title: "Open an example model",
    });
    if (!picked || !existsSync(picked.file)) return;
    this.models.addKnownFile(picked.file);
    await vscode.window.showTextDocument(vscode.Uri.file(picked.file), { preview: false });
  }

  dispose(): void {
    this.store.dispose();
  }
}

