/**
 * Points out, once, a workspace whose own `gradient-lens` differs from the extension's engine. The editor
 * then takes its types from the workspace's copy (the TypeScript server plugin yields to it), while
 * Check and Train run the model on the extension's engine: the two can disagree about the API.
 */
import * as vscode from "vscode";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { ENGINE_VERSION } from "../version";
import type { Disposable } from "./disposables";

/** The version of `gradient-lens` installed in `folder`'s node_modules, if any. */
export async function installedVersion(folder: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(path.join(folder, "node_modules", "gradient-lens", "package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** What to tell the user, or nothing when the versions agree or the workspace has no copy. */
export function versionNotice(folderName: string, installed: string | undefined, engine: string): string | undefined {
  if (!installed || installed === engine) return undefined;
  return (
    `Gradient Lens: ${folderName} has gradient-lens ${installed} installed; the editor shows its types, ` +
    `but Check and Train run models on the extension's engine ${engine}. ` +
    `Install gradient-lens@${engine} in the workspace to make them agree.`
  );
}

/** Where the notices already shown are remembered (the workspace's Memento, or memory). */
export interface ShownStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const SHOWN_KEY = "gradientLens.engineVersionNotices";

export class EngineVersionNotice implements Disposable {
  private readonly subscription: vscode.Disposable;
  private readonly memory = new Map<string, unknown>();
  private readonly shown: ShownStore;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(shown: ShownStore | undefined, private readonly engine = ENGINE_VERSION) {
    this.shown = shown ?? { get: <T>(k: string) => this.memory.get(k) as T | undefined, update: async (k, v) => void this.memory.set(k, v) };
    this.subscription = vscode.workspace.onDidChangeWorkspaceFolders(() => void this.check());
  }

  /**
   * Checks every workspace folder; each folder-and-versions pair is pointed out once. Resolves with the
   * notices shown. Checks run one after another: two at once (activation and a folder change) would
   * both read the store before either wrote it, and tell the user twice.
   */
  check(): Promise<string[]> {
    const run = this.queue.then(() => this.checkNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async checkNow(): Promise<string[]> {
    const told = new Set(this.shown.get<string[]>(SHOWN_KEY) ?? []);
    const messages: string[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const installed = await installedVersion(folder.uri.fsPath);
      const message = versionNotice(folder.name, installed, this.engine);
      const key = `${folder.uri.fsPath}\n${installed}\n${this.engine}`;
      if (!message || told.has(key)) continue;
      told.add(key);
      messages.push(message);
      void vscode.window.showInformationMessage(message);
    }
    if (messages.length) await this.shown.update(SHOWN_KEY, [...told]);
    return messages;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
