/**
 * The extension as a person uses it: the packaged .vsix in a fresh code-server, a workspace with the
 * deep-sigmoid example, the CodeLens clicked, the report read inside the webview, the Problems panel,
 * a palette command, and screenshots of the side view and the report (test-artifacts/, looked at).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { ROOT, extensionLog, inWebview, openFile, runPaletteCommand, runnerPids, screenshot, startSession, lenses, type Session } from "./harness";

const example = path.join(ROOT, "examples", "deep-sigmoid.ts");
if (!existsSync(example)) throw new Error(`the e2e workspace needs ${example}`);

const longTrain = path.join(ROOT, "test", "e2e", "workspace", "long-train.settings.json");

describe("Gradient Lens in code-server (dark theme)", () => {
  let s: Session;
  const t0 = Date.now();

  beforeAll(async () => {
    // A long training run (Train & inspect only; the check keeps its short run) so that Stop has something to stop.
    s = await startSession("dark", { files: { "deep-sigmoid.ts": example, ".vscode/settings.json": longTrain } });
  });

  afterAll(async () => {
    if (s) await screenshot(s.page, "dark-last-state.png").catch(() => {});
    console.log(`e2e timings (ms since start): ${JSON.stringify({ ...s?.timings, total: Date.now() - t0 })}`);
    await s?.close();
  });

  // The tests below share this session and run in order: each picks up where the previous one left
  // the workbench, and each fails for its own reason.
  let firstTrain = 0;
  let firstPid = 0;
  const trainRuns = () => [...extensionLog(s).matchAll(/run #(\d+): train /g)].map((m) => Number(m[1]));

  it("shows the Check gradients and Train & inspect lenses above the model", async () => {
    const { page } = s;
    await openFile(page, "deep-sigmoid.ts");
    const lenses = page.locator(".monaco-editor .codelens-decoration a");
    await lenses.filter({ hasText: "Check gradients" }).first().waitFor({ timeout: 60_000 });
    // One pair: the example exports one model.
    expect(await lenses.filter({ hasText: "Check gradients" }).count()).toBe(1);
    expect(await lenses.filter({ hasText: "Train & inspect" }).count()).toBe(1);
    s.timings.codelens = Date.now() - t0;
  });

  it("runs the check from the lens and fills the report's gradient-check table and warnings", async () => {
    const { page } = s;
    await lenses(page, "Check gradients").first().click();
    // The report panel opens beside the editor and ends with the gradient-check table.
    await inWebview(page, "report", (f) => f.locator("#gradcheck-table vscode-table-row").first().waitFor({ timeout: 120_000 }));
    s.timings.report = Date.now() - t0;
    const { rows, warnings, fixText, csp } = await inWebview(page, "report", async (f) => ({
      rows: await f.locator("#gradcheck-table vscode-table-row").evaluateAll((els) =>
        els.map((el) => Array.from(el.querySelectorAll("vscode-table-cell")).map((c) => c.textContent?.trim() ?? "")),
      ),
      warnings: await f.locator(".warning-list .warning").evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.rule)),
      fixText: await f.locator(".warning[data-rule='vanishing-gradient']").first().innerText(),
      csp: await f.evaluate(() => document.body.dataset.cspViolations ?? "0"),
    }));
    // The example's eight Linear layers (layers.0, .2, … .14, between the sigmoids), each passing.
    expect([...new Set(rows.map((r) => r[0]))]).toEqual([0, 2, 4, 6, 8, 10, 12, 14].map((i) => `layers.${i}`));
    expect(rows.filter((r) => !r[3].startsWith("pass"))).toEqual([]);
    expect(warnings).toContain("vanishing-gradient");
    expect(fixText).toMatch(/Suggested fix/);
    expect(csp).toBe("0");
  });

  it("adds the summary lens once the run has ended", async () => {
    await lenses(s.page, "gradcheck passed").first().waitFor({ timeout: 20_000 });
  });

  it("puts the vanishing-gradient diagnostic in the Problems panel at the line that built layers.0", async () => {
    const { page } = s;
    await page.keyboard.press("Control+Shift+m");
    await page.locator(".markers-panel .monaco-list-row", { hasText: "vanishing" }).first().waitFor({ timeout: 20_000 });
    const problemText = await page.locator(".markers-panel").innerText();
    expect(problemText).toContain("Gradient Lens");
    expect(problemText).toMatch(/vanishing-gradient/);
    expect(problemText).toMatch(/\[Ln 15, Col 7\]/);
    await screenshot(page, "problems-panel.png");
  });

  it("opens the layer's line when a warning in the report is clicked", async () => {
    const { page } = s;
    await inWebview(page, "report", (f) => f.locator(".warning[data-rule='vanishing-gradient']").first().click());
    await expect.poll(async () => page.locator("#workbench\\.parts\\.statusbar").innerText(), { timeout: 10_000 }).toMatch(/Ln 15, Col 7/);
    // The page was answered `ok`: it shows no refusal.
    expect(await inWebview(page, "report", (f) => f.locator(".notice").isVisible())).toBe(false);
  });

  it("names the run in the output log (palette command)", async () => {
    const { page } = s;
    await runPaletteCommand(page, "Gradient Lens: Show the Output Log");
    await page.locator("#workbench\\.panel\\.output").first().waitFor({ timeout: 20_000 });
    await expect.poll(() => extensionLog(s), { timeout: 20_000 }).toMatch(/run #1: check Deep sigmoid/);
    await page.keyboard.press("Control+j");
  });

  it("lists the model and the run's warnings in the side view", async () => {
    const { page } = s;
    await page.locator(".activitybar .action-item a[aria-label^='Gradient Lens']").first().click();
    await inWebview(page, "sidebar", async (f) => {
      await f.locator(".model-list .model").first().waitFor({ timeout: 30_000 });
      await f.locator(".warning-list .warning").first().waitFor({ timeout: 30_000 });
    });
    expect(await inWebview(page, "sidebar", (f) => f.locator(".model-name").allInnerTexts())).toEqual(["Deep sigmoid MLP (vanishing gradients)"]);
    expect(await inWebview(page, "sidebar", (f) => f.evaluate(() => document.body.dataset.cspViolations ?? "0"))).toBe("0");
    await screenshot(page, "side-panel.png");
  });

  it("shows the report on its own (screenshots of the top, the gradient check and the heat map)", async () => {
    const { page } = s;
    await showReportAlone(page);
    await screenshot(page, "report-panel.png");
    await inWebview(page, "report", (f) => f.evaluate(() => document.getElementById("gradcheck")?.scrollIntoView()));
    await screenshot(page, "report-panel-gradcheck.png");
    await inWebview(page, "report", (f) => f.evaluate(() => document.getElementById("heatmap")?.scrollIntoView({ block: "end" })));
    await screenshot(page, "report-panel-heatmap.png");
    s.timings.screenshots = Date.now() - t0;
  });

  it("restores the report after a window reload, with links that still open their lines", async () => {
    // The panel survives a window reload (serializer + webview state), and is not only a picture:
    // its warnings still open their lines (the host adopted the restored run).
    const { page } = s;
    await page.reload();
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    await inWebview(page, "report", (f) => f.locator("#gradcheck-table vscode-table-row").first().waitFor({ timeout: 30_000 }));
    expect(await inWebview(page, "report", (f) => f.locator("h1").first().innerText())).toMatch(/Deep sigmoid/);
    // Whatever editors the workbench restored, close the model's, so that only a working link can open it again.
    const modelTab = page.locator(".tabs-container .tab", { hasText: "deep-sigmoid.ts" });
    while ((await modelTab.count()) > 0) {
      await modelTab.first().hover();
      await modelTab.first().locator(".tab-actions .action-label").first().click();
      await page.waitForTimeout(300);
    }
    await inWebview(page, "report", (f) => f.locator(".warning[data-rule='vanishing-gradient']").first().click());
    await expect.poll(() => page.locator(".tabs-container .tab.active").first().innerText(), { timeout: 10_000 }).toMatch(/deep-sigmoid\.ts/);
    await expect.poll(async () => page.locator("#workbench\\.parts\\.statusbar").innerText(), { timeout: 10_000 }).toMatch(/Ln 15, Col 7/);
    expect(extensionLog(s)).not.toMatch(/refused to open/);
    s.timings.reload = Date.now() - t0;
  });

  it("trains live from the palette: running badge, step progress, a progress notification, one runner", async () => {
    const { page } = s;
    await runPaletteCommand(page, "Gradient Lens: Train & Inspect a Model…");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Deep sigmoid" }).first().waitFor();
    await page.keyboard.press("Enter");
    await inWebview(page, "report", async (f) => {
      await f.locator(".pill", { hasText: "running" }).first().waitFor({ timeout: 30_000 });
      await f.locator("#progress-label", { hasText: "step" }).waitFor({ timeout: 30_000 });
    });
    await page.locator(".notifications-toasts .notification-toast", { hasText: "Training" }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, "report-live.png");
    await expect.poll(() => trainRuns().length, { timeout: 15_000 }).toBe(1);
    firstTrain = trainRuns()[0];
    await expect.poll(() => runnerPids(s).length, { timeout: 10_000 }).toBe(1);
    firstPid = runnerPids(s)[0];
  });

  it("replaces the running train with a second run of the same model", async () => {
    // The log says so, the run number goes up, the first runner is gone and exactly one runs, the report is live again.
    const { page } = s;
    expect(firstTrain).toBeGreaterThan(0);
    await inWebview(page, "report", (f) => f.locator("vscode-button", { hasText: "Train & inspect" }).first().click());
    await expect.poll(() => extensionLog(s), { timeout: 15_000 }).toMatch(new RegExp(`replacing run #${firstTrain} of Deep sigmoid`));
    await expect.poll(() => trainRuns(), { timeout: 15_000 }).toEqual([firstTrain, firstTrain + 1]);
    await expect.poll(() => runnerPids(s).filter((p) => p !== firstPid).length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => runnerPids(s).includes(firstPid), { timeout: 15_000 }).toBe(false);
    await expect.poll(() => page.locator(".notifications-toasts .notification-toast", { hasText: "Training" }).count(), { timeout: 15_000 }).toBe(1);
    await inWebview(page, "report", (f) => f.locator(".pill", { hasText: "running" }).first().waitFor({ timeout: 30_000 }));
  });

  it("stops the run from the palette: the report says stopped, no runner is left", async () => {
    const { page } = s;
    await runPaletteCommand(page, "Gradient Lens: Stop the Run");
    await inWebview(page, "report", (f) => f.locator(".pill", { hasText: "stopped" }).first().waitFor({ timeout: 20_000 }));
    await expect.poll(() => runnerPids(s), { timeout: 15_000 }).toEqual([]);
    expect(extensionLog(s)).toMatch(new RegExp(`run #${firstTrain + 1} cancelled`));
    s.timings.cancel = Date.now() - t0;
  });

  it("logged no Content-Security-Policy violation in the whole session", () => {
    expect(s.consoleErrors.filter((e) => /Content Security Policy|CSP violation/i.test(e))).toEqual([]);
  });
});

/** Opens the report in the only editor group, hides the side bar, scrolls the report to the top. */
async function showReportAlone(page: Page): Promise<void> {
  await runPaletteCommand(page, "Gradient Lens: Open the Report");
  await runPaletteCommand(page, "View: Join All Editor Groups");
  await runPaletteCommand(page, "Gradient Lens: Open the Report");
  await runPaletteCommand(page, "View: Close Primary Side Bar");
  await inWebview(page, "report", async (f) => {
    await f.locator("#gradcheck-table vscode-table-row").first().waitFor();
    await f.evaluate(() => window.scrollTo(0, 0));
  });
  await page.waitForTimeout(800);
}

for (const [theme, file] of [["Default Light Modern", "light"], ["Default High Contrast", "high-contrast"]] as const) {
  describe(`Gradient Lens in code-server (${file} theme)`, () => {
    let s: Session;
    beforeAll(async () => {
      s = await startSession(file, { files: { "deep-sigmoid.ts": example }, theme });
    });
    afterAll(async () => s?.close());

    it("draws the report with the theme's colors", async () => {
      const { page } = s;
      await openFile(page, "deep-sigmoid.ts");
      await lenses(page, "Check gradients").first().click({ timeout: 60_000 });
      await inWebview(page, "report", (f) => f.locator("#gradcheck-table vscode-table-row").first().waitFor({ timeout: 120_000 }));
      const { body, csp } = await inWebview(page, "report", async (f) => ({
        body: await f.evaluate(() => document.body.className),
        csp: await f.evaluate(() => document.body.dataset.cspViolations ?? "0"),
      }));
      expect(body).toMatch(file === "light" ? /vscode-light/ : /vscode-high-contrast/);
      expect(csp).toBe("0");
      await showReportAlone(page);
      await screenshot(page, `report-panel-${file}.png`);
      if (file === "light") {
        // The examples ship inside the .vsix: open one from the palette.
        await runPaletteCommand(page, "Gradient Lens: Open an Example Model");
        await page.locator(".quick-input-widget .monaco-list-row", { hasText: "relu-he" }).first().click();
        await page.locator(".tabs-container .tab", { hasText: "relu-he.ts" }).first().waitFor({ timeout: 15_000 });
      }
    });
  });
}
