/**
 * A small stand-in for the `vscode` module, enough to build the extension's services in a unit test:
 * `vi.mock("vscode", () => import("./fakeVscode"))`. What the code under test asks of VS Code is
 * recorded in `fake` (reset it in `beforeEach`), and tests drive events through its emitters.
 */
import * as path from "node:path";
import { readFile } from "node:fs/promises";

type Listener<T> = (e: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (fn: Listener<T>): Disposable => {
    this.listeners.add(fn);
    return new Disposable(() => this.listeners.delete(fn));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  get size(): number {
    return this.listeners.size;
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri("file", path.resolve(p));
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.fsPath, ...parts));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class Position {
  constructor(readonly line: number, readonly character: number) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(sl: number, sc: number, el: number, ec: number) {
    this.start = new Position(sl, sc);
    this.end = new Position(el, ec);
  }
}

export class CodeLens {
  constructor(readonly range: Range, readonly command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string }) {}
}

export enum DiagnosticSeverity { Error = 0, Warning = 1, Information = 2, Hint = 3 }
export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum ViewColumn { Active = -1, Beside = -2, One = 1, Two = 2 }
export enum TextEditorRevealType { Default = 0, InCenter = 1, InCenterIfOutsideViewport = 2, AtTop = 3 }
export enum FileType { Unknown = 0, File = 1, Directory = 2 }
export enum QuickPickItemKind { Separator = -1, Default = 0 }

export class Location {
  constructor(readonly uri: Uri, readonly range: Range) {}
}

export class DiagnosticRelatedInformation {
  constructor(readonly location: Location, readonly message: string) {}
}

export class Diagnostic {
  source?: string;
  code?: string;
  relatedInformation?: DiagnosticRelatedInformation[];
  constructor(readonly range: Range, readonly message: string, readonly severity: DiagnosticSeverity) {}
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

/** A fake webview: records what the host posts, and lets the test post as the page would. */
export class FakeWebview {
  html = "";
  options: unknown = {};
  readonly cspSource = "https://fake.vscode-cdn.net";
  readonly posted: unknown[] = [];
  private readonly incoming = new EventEmitter<unknown>();
  readonly onDidReceiveMessage = this.incoming.event;
  postMessage(msg: unknown): Promise<boolean> {
    this.posted.push(msg);
    return Promise.resolve(true);
  }
  asWebviewUri(uri: Uri): Uri {
    return uri;
  }
  /** What the page's `acquireVsCodeApi().postMessage` would deliver. */
  send(msg: unknown): void {
    this.incoming.fire(msg);
  }
  private nextRequestId = 1;
  /** Posts a request as the page's `request()` does and resolves with the outcome the host answers. */
  async request(req: Record<string, unknown>): Promise<unknown> {
    const requestId = this.nextRequestId++;
    const before = this.posted.length;
    this.send({ ...req, requestId });
    for (let i = 0; i < 500; i++) {
      const answer = this.posted.slice(before).find((m) => (m as { type?: unknown; requestId?: unknown }).type === "response" && (m as { requestId: unknown }).requestId === requestId);
      if (answer) return (answer as { outcome: unknown }).outcome;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`no response to ${JSON.stringify(req)}`);
  }
  get listeners(): number {
    return this.incoming.size;
  }
}

export class FakeWebviewPanel {
  readonly webview = new FakeWebview();
  iconPath: unknown;
  visible = true;
  private readonly disposed = new EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  readonly viewState = new EventEmitter<void>();
  readonly onDidChangeViewState = this.viewState.event;
  constructor(readonly viewType: string) {}
  reveal(): void {}
  dispose(): void {
    this.disposed.fire();
  }
}

export interface FakeDocument {
  uri: Uri;
  version: number;
  languageId: string;
  isDirty: boolean;
  getText(): string;
  save(): Promise<boolean>;
}

export function fakeDocument(file: string, text: string, version = 1): FakeDocument {
  return { uri: Uri.file(file), version, languageId: "typescript", isDirty: false, getText: () => text, save: async () => true };
}

function createFake() {
  return {
    /** Every output channel line, as "[level] text". */
    log: [] as string[],
    messages: [] as Array<{ level: "info" | "warning" | "error"; text: string }>,
    commands: new Map<string, (...args: any[]) => unknown>(),
    serializers: new Map<string, { deserializeWebviewPanel(panel: unknown, state: unknown): Promise<void> }>(),
    viewProviders: new Map<string, unknown>(),
    panels: [] as FakeWebviewPanel[],
    diagnostics: new Map<string, Diagnostic[]>(),
    opened: [] as Array<{ file: string; selection?: Range }>,
    saveDialogs: [] as unknown[],
    /** Answer of showSaveDialog. */
    saveTarget: undefined as Uri | undefined,
    /** Answer of showOpenDialog. */
    openTargets: undefined as Uri[] | undefined,
    written: new Map<string, string>(),
    workspaceFolders: [] as string[],
    /** Files findFiles returns (a workspace scan). */
    workspaceFiles: [] as string[],
    configuration: {} as Record<string, unknown>,
    trusted: true,
    /** When set, showTextDocument fails with it (a file deleted since the report). */
    openError: undefined as Error | undefined,
    textDocuments: [] as FakeDocument[],
    onDidChangeTextDocument: new EventEmitter<{ document: FakeDocument; contentChanges: unknown[] }>(),
    onDidCloseTextDocument: new EventEmitter<FakeDocument>(),
  };
}

export let fake = createFake();

export function resetFake(): void {
  fake = createFake();
}

export const window = {
  createOutputChannel(_name: string, _options?: unknown) {
    // Looked up when writing, so resetFake is honoured.
    const at = (level: string) => (msg: string) => void fake.log.push(`[${level}] ${msg}`);
    return { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug"), trace: at("trace"), show() {}, dispose() {} };
  },
  createStatusBarItem() {
    return { text: "", tooltip: "", command: undefined as unknown, name: "", backgroundColor: undefined as unknown, show() {}, hide() {}, dispose() {} };
  },
  registerWebviewPanelSerializer(viewType: string, serializer: { deserializeWebviewPanel(panel: unknown, state: unknown): Promise<void> }) {
    fake.serializers.set(viewType, serializer);
    return new Disposable(() => fake.serializers.delete(viewType));
  },
  registerWebviewViewProvider(id: string, provider: unknown) {
    fake.viewProviders.set(id, provider);
    return new Disposable(() => fake.viewProviders.delete(id));
  },
  createWebviewPanel(viewType: string) {
    const p = new FakeWebviewPanel(viewType);
    fake.panels.push(p);
    return p;
  },
  async withProgress<R>(_o: unknown, task: (progress: { report(v: unknown): void }, token: { onCancellationRequested(fn: () => void): Disposable }) => Promise<R>): Promise<R> {
    return task({ report() {} }, { onCancellationRequested: () => new Disposable() });
  },
  async showInformationMessage(text: string) {
    fake.messages.push({ level: "info", text });
    return undefined;
  },
  async showWarningMessage(text: string) {
    fake.messages.push({ level: "warning", text });
    return undefined;
  },
  async showErrorMessage(text: string) {
    fake.messages.push({ level: "error", text });
    return undefined;
  },
  async showQuickPick() {
    return undefined;
  },
  async showSaveDialog(o: unknown) {
    fake.saveDialogs.push(o);
    return fake.saveTarget;
  },
  async showOpenDialog() {
    return fake.openTargets;
  },
  async showTextDocument(uri: Uri, o?: { selection?: Range }) {
    if (fake.openError) throw fake.openError;
    fake.opened.push({ file: uri.fsPath, selection: o?.selection });
    return { revealRange() {}, document: { uri } };
  },
  get visibleTextEditors() {
    return [];
  },
  get activeTextEditor() {
    return undefined;
  },
};

export const workspace = {
  get isTrusted() {
    return fake.trusted;
  },
  get workspaceFolders() {
    return fake.workspaceFolders.map((f, index) => ({ uri: Uri.file(f), name: path.basename(f), index }));
  },
  get textDocuments() {
    return fake.textDocuments;
  },
  async findFiles() {
    return fake.workspaceFiles.map((f) => Uri.file(f));
  },
  fs: {
    readFile: async (uri: Uri) => new Uint8Array(await readFile(uri.fsPath)),
    writeFile: async (uri: Uri, data: Uint8Array) => void fake.written.set(uri.fsPath, new TextDecoder().decode(data)),
    readDirectory: async () => [],
  },
  createFileSystemWatcher() {
    const none = () => new Disposable();
    return { onDidChange: none, onDidCreate: none, onDidDelete: none, dispose() {} };
  },
  getConfiguration() {
    return {
      inspect: (key: string) => (key in fake.configuration ? { globalValue: fake.configuration[key] } : undefined),
      get: (key: string) => fake.configuration[key],
    };
  },
  onDidChangeTextDocument: (fn: Listener<{ document: FakeDocument; contentChanges: unknown[] }>) => fake.onDidChangeTextDocument.event(fn),
  onDidCloseTextDocument: (fn: Listener<FakeDocument>) => fake.onDidCloseTextDocument.event(fn),
  onDidChangeWorkspaceFolders: () => new Disposable(),
  asRelativePath(p: string) {
    return p;
  },
};

export const languages = {
  createDiagnosticCollection() {
    return {
      set(uri: Uri, diags: Diagnostic[]) {
        if (diags.length) fake.diagnostics.set(uri.fsPath, diags);
        else fake.diagnostics.delete(uri.fsPath);
      },
      delete(uri: Uri) {
        fake.diagnostics.delete(uri.fsPath);
      },
      clear() {
        fake.diagnostics.clear();
      },
      dispose() {},
    };
  },
  registerCodeLensProvider() {
    return new Disposable();
  },
};

export const commands = {
  registerCommand(id: string, fn: (...args: any[]) => unknown) {
    fake.commands.set(id, fn);
    return new Disposable(() => fake.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]) {
    return fake.commands.get(id)?.(...args);
  },
};
