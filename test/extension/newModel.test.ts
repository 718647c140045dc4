/** "New Model File…": a template chosen, saved into the workspace, opened, known to the model list. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

vi.mock("vscode", () => import("./fakeVscode"));
const vscode = await import("./fakeVscode");
const { freeFileName, newModelFile, readTemplates } = await import("../../src/extension/newModel");

let root: string;
let ext: string;
let ws: string;
const models = { added: [] as string[], refreshed: 0, addKnownFile(f: string) { this.added.push(f); }, async refresh() { this.refreshed++; return []; } };

beforeEach(() => {
  vscode.resetFake();
  root = mkdtempSync(path.join(tmpdir(), "gl-newmodel-"));
  ext = path.join(root, "ext");
  ws = path.join(root, "ws");
  mkdirSync(path.join(ext, "dist", "templates"), { recursive: true });
  mkdirSync(ws);
  writeFileSync(path.join(ext, "dist", "templates", "index.json"), JSON.stringify([
    { id: "mlp-spirals", title: "MLP on spirals", description: "d", example: "relu-he.ts", export: "default", file: "mlp-spirals.ts" },
    { id: "gone", title: "Missing file", description: "d", example: "x.ts", export: "default", file: "gone.ts" },
  ]));
  writeFileSync(path.join(ext, "dist", "templates", "mlp-spirals.ts"), "export default 1;\n");
  vscode.fake.workspaceFolders = [ws];
  models.added = [];
  models.refreshed = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("new model file", () => {
  it("lists the shipped templates whose file exists", () => {
    expect(readTemplates(ext).map((t) => t.id)).toEqual(["mlp-spirals"]);
    expect(readTemplates(path.join(root, "nowhere"))).toEqual([]);
  });

  it("proposes a free name in the workspace", () => {
    writeFileSync(path.join(ws, "mlp-spirals.ts"), "");
    expect(freeFileName(ws, "mlp-spirals")).toBe(path.join(ws, "mlp-spirals-2.ts"));
    expect(freeFileName(ws, "other")).toBe(path.join(ws, "other.ts"));
  });

  it("writes the chosen template where the user saves it, opens it and tells the model list", async () => {
    const offered: Array<{ label: string }> = [];
    const dialogs: unknown[] = [];
    vi.spyOn(vscode.window, "showQuickPick").mockImplementation((async (items: Array<{ label: string }>) => {
      offered.push(...items);
      return items[0];
    }) as never);
    const target = path.join(ws, "my-model.ts");
    vi.spyOn(vscode.window, "showSaveDialog").mockImplementation((async (o: unknown) => {
      dialogs.push(o);
      return vscode.Uri.file(target);
    }) as never);
    const file = await newModelFile(ext, models as never);
    expect(offered.map((o) => o.label)).toEqual(["MLP on spirals"]);
    expect((dialogs[0] as { defaultUri: { fsPath: string } }).defaultUri.fsPath).toBe(path.join(ws, "mlp-spirals.ts"));
    expect(file).toBe(target);
    expect(vscode.fake.written.get(target)).toBe("export default 1;\n");
    expect(vscode.fake.opened.map((o) => o.file)).toEqual([target]);
    expect(models.added).toEqual([target]);
    expect(models.refreshed).toBe(1);
  });

  it("does nothing when the pick is cancelled", async () => {
    vi.spyOn(vscode.window, "showQuickPick").mockResolvedValue(undefined as never);
    expect(await newModelFile(ext, models as never)).toBeUndefined();
    expect(vscode.fake.written.size).toBe(0);
    expect(existsSync(path.join(ws, "mlp-spirals.ts"))).toBe(false);
    expect(readFileSync(path.join(ext, "dist", "templates", "index.json"), "utf8")).toContain("mlp-spirals");
  });
});
