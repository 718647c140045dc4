/**
 * "Gradient Lens: New Model File…": a model file from a template. Templates are the examples' healthy
 * exports, cut down to what they use at build time (scripts/templates.mjs → dist/templates), so the
 * new file runs as it is and its CodeLenses appear as soon as it opens.
 */
import * as vscode from "vscode";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { WorkspaceModels } from "./workspaceModels";

export interface TemplateInfo {
  id: string;
  title: string;
  description: string;
  example: string;
  export: string;
  /** The template's file name in dist/templates. */
  file: string;
}

/** The templates a build ships (dist/templates/index.json), or none. */
export function readTemplates(extensionPath: string): Array<TemplateInfo & { path: string }> {
  const dir = path.join(extensionPath, "dist", "templates");
  try {
    const list = JSON.parse(readFileSync(path.join(dir, "index.json"), "utf8")) as TemplateInfo[];
    return list.map((t) => ({ ...t, path: path.join(dir, t.file) })).filter((t) => existsSync(t.path));
  } catch {
    return [];
  }
}

/** `dir/base.ts`, or `dir/base-2.ts`, `-3`… when taken. */
export function freeFileName(dir: string, base: string, exists: (file: string) => boolean = existsSync): string {
  for (let i = 1; ; i++) {
    const file = path.join(dir, `${base}${i === 1 ? "" : `-${i}`}.ts`);
    if (!exists(file)) return file;
  }
}

/** Asks for a template and where to save it, writes the file and opens it. Resolves with the file, if one was made. */
export async function newModelFile(extensionPath: string, models: WorkspaceModels): Promise<string | undefined> {
  const templates = readTemplates(extensionPath);
  if (!templates.length) {
    void vscode.window.showInformationMessage("Gradient Lens: no model templates are bundled with this build.");
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    templates.map((t) => ({ label: t.title, detail: t.description, description: `from ${t.example}${t.export === "default" ? "" : ` · ${t.export}`}`, template: t })),
    { title: "New model file", placeHolder: "Choose a template" },
  );
  if (!picked) return undefined;
  const source = readFileSync(picked.template.path, "utf8");
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    // No folder to save into: an untitled TypeScript editor the user saves where they like.
    const doc = await vscode.workspace.openTextDocument({ language: "typescript", content: source });
    await vscode.window.showTextDocument(doc, { preview: false });
    return undefined;
  }
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(freeFileName(folder.uri.fsPath, picked.template.id)),
    filters: { TypeScript: ["ts"] },
    title: "Save the new model file",
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(source));
  models.addKnownFile(target.fsPath);
  void models.refresh();
  await vscode.window.showTextDocument(target, { preview: false });
  return target.fsPath;
}
