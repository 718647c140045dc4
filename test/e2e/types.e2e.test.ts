/**
 * IntelliSense with nothing installed: the packaged .vsix in a fresh code-server, a workspace holding
 * one model file and no node_modules (nor package.json, nor tsconfig). Once the TypeScript server has
 * loaded the file (its hover answers), the import of gradient-lens resolves (no ts(2307) in Problems),
 * completion after `nn.` lists the layers, hover shows the doc comment, and a wrong argument is a type
 * error in Problems. Screenshots in test-artifacts/ (types-*.png).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { ROOT, inWebview, openFile, runPaletteCommand, screenshot, startSession, lenses, type Session } from "./harness";

const model = path.join(ROOT, "test", "e2e", "workspace-types", "model.ts");
/** Conv2d arrives with the CNN layers: completion must list it once nn exports it. */
const nnExportsConv2d = /\bConv2d\b/.test(readFileSync(path.join(ROOT, "src", "nn", "index.ts"), "utf8"));

/** The hover over the first `Linear` in the editor, retried until the TypeScript server answers. */
async function hoverText(page: Page, timeoutMs: number): Promise<string> {
  const token = page.locator(".monaco-editor .view-lines span", { hasText: /^Linear$/ }).first();
  const hover = page.locator(".monaco-hover:not(.hidden) .hover-contents, .monaco-hover:not(.hidden) .rendered-markdown").first();
  const end = Date.now() + timeoutMs;
  for (;;) {
    await page.mouse.move(5, 5);
    await token.hover();
    try {
      await hover.waitFor({ state: "visible", timeout: 3000 });
      const text = (await page.locator(".monaco-hover:not(.hidden)").first().innerText()).trim();
      // Before the server has the project, the hover is empty or "Loading…".
      if (/class nn\.Linear|Linear\(/.test(text)) return text;
    } catch {
      /* no hover yet */
    }
    if (Date.now() > end) throw new Error("the TypeScript server never answered a hover on nn.Linear");
    await page.waitForTimeout(1000);
  }
}

async function problemsText(page: Page): Promise<string> {
  return page.locator(".markers-panel").first().innerText().catch(() => "");
}

describe("IntelliSense for gradient-lens in a workspace with nothing installed", () => {
  let s: Session;

  beforeAll(async () => {
    if (!existsSync(model)) throw new Error(`missing ${model}`);
    s = await startSession("types", { files: { "model.ts": model } });
  });
  afterAll(async () => s?.close());

  it("resolves the import, completes nn., shows hover docs and type errors", async () => {
    const { page } = s;
    expect(existsSync(path.join(s.workspace, "node_modules"))).toBe(false);
    await openFile(page, "model.ts");

    // The signal that the TypeScript server has loaded the file: it answers a hover with the class.
    const hover = await hoverText(page, 120_000);
    expect(hover).toMatch(/y = x·W \+ b/); // the doc comment of nn.Linear
    await screenshot(page, "types-hover.png");
    await page.mouse.move(5, 5);

    // Completion after `nn.` on a new last line.
    await page.locator(".monaco-editor .view-lines").first().click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("const probe = nn.");
    const rows = page.locator(".editor-widget.suggest-widget.visible .monaco-list-row");
    // The list opens on ".", and fills when the TypeScript server answers; on a loaded machine the
    // first request can lapse, so ask again (Ctrl+Space) as a person would.
    for (let attempt = 0; ; attempt++) {
      try {
        await rows.first().waitFor({ timeout: 20_000 });
        break;
      } catch (e) {
        if (attempt === 4) {
          await screenshot(page, "types-completion-failed.png");
          throw e;
        }
        await page.keyboard.press("Escape");
        await page.keyboard.press("Control+Space");
      }
    }
    // The list is alphabetical and virtualized (nn has more exports than rows shown): filter by each
    // name's first letters to bring its row into view, as a person typing would.
    for (const name of ["Linear", "Sequential", ...(nnExportsConv2d ? ["Conv2d"] : [])]) {
      await page.keyboard.type(name.slice(0, 4));
      await rows.filter({ hasText: name }).first().waitFor({ timeout: 15_000 });
      const labels = await rows.evaluateAll((els) => els.map((e) => (e.getAttribute("aria-label") ?? e.textContent ?? "").trim()));
      expect(labels.some((l) => new RegExp(`^${name}\\b`).test(l)), labels.join(" | ")).toBe(true);
      if (name === "Linear") await screenshot(page, "types-completion.png");
      for (let i = 0; i < 4; i++) await page.keyboard.press("Backspace");
    }
    await page.keyboard.press("Escape");

    // A wrong argument: the probe line becomes a Linear built with a string for its input size.
    await page.keyboard.press("Home");
    await page.keyboard.press("Shift+End");
    await page.keyboard.insertText('export const wrong = new nn.Linear("two", 3);');
    await page.keyboard.press("Control+s");

    await page.keyboard.press("Control+Shift+m");
    await expect.poll(() => problemsText(page), { timeout: 60_000 }).toMatch(/ts\W*2345/);
    const problems = await problemsText(page);
    expect(problems).toMatch(/Argument of type 'string' is not assignable to parameter of type 'number'/);
    expect(problems).not.toMatch(/ts\W*2307|Cannot find module/);
    // The squiggle is in the editor too.
    await expect.poll(() => page.locator(".monaco-editor .squiggly-error").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await screenshot(page, "types-problems.png");
  });

  it("creates a model file from a template with New Model File…, its lenses live at once", async () => {
    const { page } = s;
    await runPaletteCommand(page, "Gradient Lens: New Model File…");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "MLP on spirals" }).first().click();
    // The save dialog (code-server's simple dialog) proposes <workspace>/mlp-spirals.ts: accept it.
    const input = page.locator(".quick-input-widget input");
    await expect.poll(() => input.inputValue(), { timeout: 15_000 }).toMatch(/mlp-spirals\.ts$/);
    await page.keyboard.press("Enter");
    await page.locator(".tabs-container .tab", { hasText: "mlp-spirals.ts" }).first().waitFor({ timeout: 15_000 });
    await lenses(page, "Check gradients").first().waitFor({ timeout: 60_000 });
    expect(existsSync(path.join(s.workspace, "mlp-spirals.ts"))).toBe(true);
    await screenshot(page, "new-model-file.png");
  });
});

describe("the side panel of a workspace without a model", () => {
  let s: Session;
  beforeAll(async () => {
    s = await startSession("empty", { files: {} });
  });
  afterAll(async () => s?.close());

  it("explains what a model file is and offers New Model File… and the examples", async () => {
    const { page } = s;
    await page.locator(".activitybar .action-item a[aria-label^='Gradient Lens']").first().click();
    const text = await inWebview(page, "sidebar", async (f) => {
      await f.locator(".empty-state").waitFor({ timeout: 30_000 });
      return f.locator(".empty-state").innerText();
    });
    expect(text).toMatch(/A model file is a TypeScript file that imports gradient-lens/);
    await screenshot(page, "side-panel-empty.png");
    await inWebview(page, "sidebar", (f) => f.locator(".empty-state vscode-button", { hasText: "New model file" }).click());
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "MLP on spirals" }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press("Escape");
    await inWebview(page, "sidebar", (f) => f.locator(".empty-state vscode-button", { hasText: "Open an example" }).click());
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "relu-he" }).first().waitFor({ timeout: 15_000 });
  });
});
