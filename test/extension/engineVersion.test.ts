/** A workspace's own gradient-lens at another version than the extension's engine is pointed out once. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

vi.mock("vscode", () => import("./fakeVscode"));
const vscode = await import("./fakeVscode");
const { EngineVersionNotice, versionNotice } = await import("../../src/extension/engineVersion");

let root: string;
const install = (folder: string, version: string) => {
  mkdirSync(path.join(folder, "node_modules", "gradient-lens"), { recursive: true });
  writeFileSync(path.join(folder, "node_modules", "gradient-lens", "package.json"), JSON.stringify({ name: "gradient-lens", version }));
};

beforeEach(() => {
  vscode.resetFake();
  root = mkdtempSync(path.join(tmpdir(), "gl-engine-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("engine version notice", () => {
  it("says nothing when the versions agree or the workspace has no copy", () => {
    expect(versionNotice("ws", undefined, "0.2.0")).toBeUndefined();
    expect(versionNotice("ws", "0.2.0", "0.2.0")).toBeUndefined();
    expect(versionNotice("ws", "0.1.0", "0.2.0")).toMatch(/ws has gradient-lens 0\.1\.0 installed.*engine 0\.2\.0/);
  });

  it("tells once per folder and version pair, and remembers it in the store it is given", async () => {
    const [older, same, none] = ["older", "same", "none"].map((n) => path.join(root, n));
    install(older, "0.0.1");
    install(same, "0.2.0");
    mkdirSync(none);
    vscode.fake.workspaceFolders = [older, same, none];
    const saved = new Map<string, unknown>();
    const store = { get: <T>(k: string) => saved.get(k) as T | undefined, update: async (k: string, v: unknown) => void saved.set(k, v) };

    const first = new EngineVersionNotice(store, "0.2.0");
    expect(await first.check()).toHaveLength(1);
    expect(vscode.fake.messages).toEqual([{ level: "info", text: expect.stringMatching(/older has gradient-lens 0\.0\.1/) }]);
    expect(await first.check()).toEqual([]);
    // A new window of the same workspace (same store): still told only once.
    expect(await new EngineVersionNotice(store, "0.2.0").check()).toEqual([]);
    // The workspace updates to another differing version: that is news.
    install(older, "0.1.5");
    expect(await first.check()).toEqual([expect.stringMatching(/0\.1\.5/)]);
    expect(vscode.fake.messages).toHaveLength(2);
  });

  it("two checks at once (activation and a folder change) tell the user once", async () => {
    const older = path.join(root, "older");
    install(older, "0.0.1");
    vscode.fake.workspaceFolders = [older];
    const notice = new EngineVersionNotice(undefined, "0.2.0");
    const [a, b] = await Promise.all([notice.check(), notice.check()]);
    expect([...a, ...b]).toHaveLength(1);
    expect(vscode.fake.messages).toHaveLength(1);
  });
});
