/**
 * The models found in the workspace, by a static scan of its TypeScript files (never by running them).
 * Lazy: nothing is scanned until the side view or a "choose a model" command asks; afterwards a file
 * watcher keeps the list fresh, with changes debounced.
 */
import * as vscode from "vscode";
import { mentionsGradientLens, scanSource } from "./modelScan";
import type { ModelRef } from "../protocol/webview";
import type { Disposable } from "./disposables";

const INCLUDE = "**/*.{ts,mts,cts}";
const EXCLUDE = "**/{node_modules,dist,out,.git,.cache,.vscode-test}/**";
const MAX_FILES = 2000;

export class WorkspaceModels implements Disposable {
  private models: ModelRef[] | undefined;
  private scanning: Promise<ModelRef[]> | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly emitter = new vscode.EventEmitter<ModelRef[]>();
  readonly onDidChange = this.emitter.event;

  private readonly extraFiles = new Set<string>();

  /** Whether a file holds a model we listed (or opened as an example): the files webviews may ask to open. */
  knows(file: string): boolean {
    return this.extraFiles.has(file) || (this.models ?? []).some((m) => m.file === file);
  }

  addKnownFile(file: string): void {
    this.extraFiles.add(file);
  }

  get isScanning(): boolean {
    return this.scanning !== undefined;
  }

  /** The list, scanning the workspace the first time. */
  async list(): Promise<ModelRef[]> {
    if (this.models) return this.models;
    return this.refresh();
  }

  refresh(): Promise<ModelRef[]> {
    if (!this.scanning) {
      this.ensureWatcher();
      this.scanning = this.scan().then((m) => {
        this.models = m;
        this.scanning = undefined;
        this.emitter.fire(m);
        return m;
      });
    }
    return this.scanning;
  }

  private async scan(): Promise<ModelRef[]> {
    if (!vscode.workspace.workspaceFolders?.length) return [];
    const uris = await vscode.workspace.findFiles(INCLUDE, EXCLUDE, MAX_FILES);
    const found: ModelRef[] = [];
    const decoder = new TextDecoder();
    for (const uri of uris) {
      let text: string;
      try {
        text = decoder.decode(await vscode.workspace.fs.readFile(uri));
      } catch {
        continue;
      }
      if (!mentionsGradientLens(text)) continue;
      for (const m of scanSource(text).models) found.push({ file: uri.fsPath, exportName: m.exportName, name: m.name, line: m.line + 1 });
    }
    return found.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  }

  private ensureWatcher(): void {
    if (this.watcher) return;
    this.watcher = vscode.workspace.createFileSystemWatcher(INCLUDE);
    const later = () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh(), 500);
    };
    this.watcher.onDidChange(later);
    this.watcher.onDidCreate(later);
    this.watcher.onDidDelete(later);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.dispose();
    this.emitter.dispose();
  }
}
