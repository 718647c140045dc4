/**
 * Comparing runs as a person does it: two exports of one file (deep sigmoid, and ReLU with He init)
 * trained from their lenses, "Gradient Lens: Compare with…" from the palette, the other run picked;
 * the report panel overlays both (two datasets per chart) and lists the warnings only the sigmoid run
 * has. Then the panel's own picker (listRuns/loadRun), and a bad report file chosen with "Browse…".
 * Screenshots in test-artifacts/ (the overlay also as media/screenshots/compare-sigmoid-vs-relu.png).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Frame, Page } from "playwright-core";
import { ROOT, extensionLog, inWebview, openFile, runPaletteCommand, screenshot, startSession, lenses, type Session } from "./harness";
import { contrastRatio, parseColor } from "../../webview/theme";

const models = path.join(ROOT, "test", "e2e", "workspace", "sigmoid-vs-relu.ts");

describe("comparing two runs in code-server", () => {
  let s: Session;
  const t0 = Date.now();

  beforeAll(async () => {
    s = await startSession("compare", { files: { "sigmoid-vs-relu.ts": models }, settings: { "files.simpleDialog.enable": true } });
    // A file that is JSON but not a report, for "Browse…".
    writeFileSync(path.join(s.workspace, "not-a-report.json"), JSON.stringify({ version: 1, model: { name: "x" } }));
  });

  afterAll(async () => {
    if (s) await screenshot(s.page, "compare-last-state.png").catch(() => {});
    console.log(`e2e timings (ms since start): ${JSON.stringify({ ...s?.timings, total: Date.now() - t0 })}`);
    await s?.close();
  });

  /**
   * "Compare with…" from the palette, up to its first pick (runPaletteCommand waits for the palette to
   * close, and this command opens its next pick right away).
   */
  async function startCompare(page: Page): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await page.evaluate(() => {
        if (document.activeElement instanceof HTMLIFrameElement) document.activeElement.blur();
      });
      await page.keyboard.press("F1");
      try {
        await page.locator(".quick-input-widget input").fill(">Gradient Lens: Compare with…", { timeout: 2000 });
        await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Gradient Lens: Compare with…" }).first().waitFor({ timeout: 5000 });
        await page.keyboard.press("Enter");
        await page.locator(".quick-input-widget .quick-input-title", { hasText: "(1/2)" }).waitFor({ timeout: 10_000 });
        return;
      } catch (e) {
        if (attempt >= 3) throw e;
        await page.keyboard.press("Escape").catch(() => {});
        await page.waitForTimeout(400);
      }
    }
  }

  const heading = (f: Frame) => f.locator(".report-header h1").first().innerText();

  /**
   * Each chart's two series as drawn: their colors (`data-colors`), the page's background, and how many
   * pixels of the gradient-flow canvas have each series' color (the canvas really draws them).
   */
  async function seriesColors(page: Page) {
    return inWebview(page, "report", (f) => f.evaluate(() => {
      const background = getComputedStyle(document.body).getPropertyValue("--vscode-editor-background").trim();
      const charts = Object.fromEntries(["compare-flow", "compare-update-ratio", "compare-loss"].map((id) => [id, JSON.parse(document.getElementById(id)!.dataset.colors!) as string[]]));
      const canvas = document.querySelector("#compare-flow canvas") as HTMLCanvasElement;
      const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      const drawn = charts["compare-flow"].map((c) => {
        const [r, g, b] = c.startsWith("#") ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) : c.match(/\d+/g)!.slice(0, 3).map(Number);
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) <= 12) n++;
        return n;
      });
      return { background, charts, drawn };
    }));
  }

  /** Both series stand 3:1 against the page (WCAG 2.1 1.4.11, graphical objects), differ from each other, and are drawn. */
  function expectDistinguishable(seen: Awaited<ReturnType<typeof seriesColors>>): void {
    for (const [id, [a, b]] of Object.entries(seen.charts)) {
      expect(contrastRatio(a, seen.background), `${id} this run ${a} on ${seen.background}`).toBeGreaterThanOrEqual(3);
      expect(contrastRatio(b, seen.background), `${id} other ${b} on ${seen.background}`).toBeGreaterThanOrEqual(3);
      const [x, y] = [parseColor(a), parseColor(b)];
      expect(Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]), `${id}: ${a} vs ${b}`).toBeGreaterThan(150);
    }
    expect(seen.drawn[0]).toBeGreaterThan(200);
    expect(seen.drawn[1]).toBeGreaterThan(200);
  }

  /** Trains the n-th export from its lens and waits until the report shows it done. */
  async function train(page: Page, n: number, name: RegExp): Promise<void> {
    await lenses(page, "Train & inspect").nth(n).click();
    await expect.poll(() => inWebview(page, "report", heading), { timeout: 60_000 }).toMatch(name);
    await inWebview(page, "report", (f) => f.locator(".report-header .pill", { hasText: "done" }).waitFor({ timeout: 120_000 }));
  }

  it("trains both exports and keeps each run in the history", async () => {
    const { page } = s;
    await openFile(page, "sigmoid-vs-relu.ts");
    const train2 = lenses(page, "Train & inspect");
    await train2.first().waitFor({ timeout: 60_000 });
    expect(await train2.count()).toBe(2);
    await train(page, 0, /Deep sigmoid/);
    await train(page, 1, /Deep ReLU/);
    await expect.poll(() => [...extensionLog(s).matchAll(/kept run #\d+ of ([^\n]+?) in the history/g)].map((m) => m[1]), { timeout: 15_000 })
      .toEqual(["Deep sigmoid MLP", "Deep ReLU MLP, He init"]);
    s.timings.trained = Date.now() - t0;
  });

  it("compares the run shown with the other one from the palette: two datasets per chart, the warnings only one has", async () => {
    const { page } = s;
    await startCompare(page);
    // Step 1: the run shown comes first; Enter takes it.
    const rows = page.locator(".quick-input-widget .monaco-list-row:visible");
    await rows.first().waitFor({ timeout: 15_000 });
    expect(await rows.first().innerText()).toMatch(/Deep ReLU MLP, He init[\s\S]*shown/);
    await page.keyboard.press("Enter");
    // Step 2: the other run.
    await page.locator(".quick-input-widget .quick-input-title", { hasText: "(2/2)" }).waitFor({ timeout: 15_000 });
    await rows.filter({ hasText: "Deep sigmoid MLP" }).first().click();
    await page.locator(".quick-input-widget").waitFor({ state: "hidden" });

    const seen = await inWebview(page, "report", async (f) => {
      await f.locator("#compare-flow[data-datasets='2']").waitFor({ timeout: 20_000 });
      const labels = async (id: string) => JSON.parse((await f.locator(`#${id}`).getAttribute("data-labels")) ?? "[]") as string[];
      const rules = (side: string) => f.locator(`#compare-warnings [data-side='${side}'] li[data-kind='warning']`).evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.rule}${e.querySelector(".layer")?.textContent ?? ""}`));
      return {
        flow: await labels("compare-flow"),
        loss: await labels("compare-loss"),
        update: await labels("compare-update-ratio"),
        legend: await f.locator(".compare-legend").innerText(),
        onlyA: await rules("onlyA"),
        onlyB: await rules("onlyB"),
        problemsB: await f.locator("#compare-warnings [data-side='onlyB'] li[data-kind='problem']").allInnerTexts(),
        csp: await f.evaluate(() => document.body.dataset.cspViolations ?? "0"),
      };
    });
    for (const l of [seen.flow, seen.loss, seen.update]) {
      expect(l).toHaveLength(2);
      expect(l[0]).toBe("this run");
      expect(l[1]).toMatch(/^other: Deep sigmoid MLP \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    }
    expect(seen.legend).toMatch(/this run\s+Deep ReLU MLP, He init/);
    expect(seen.onlyA).toEqual([]);
    expect(seen.onlyB).toEqual(expect.arrayContaining(["vanishing-gradient · layers.0", "vanishing-gradient · layers.2", "update-ratio · layers.0", "loss-not-decreasing"]));
    expect(seen.problemsB).toEqual(["vanishing gradients in layers.0–4"]);
    expect(seen.csp).toBe("0");
    s.timings.compared = Date.now() - t0;
  });

  it("shows the overlay on its own (screenshots)", async () => {
    const { page } = s;
    await runPaletteCommand(page, "View: Join All Editor Groups");
    await runPaletteCommand(page, "Gradient Lens: Open the Report");
    await runPaletteCommand(page, "View: Close Primary Side Bar");
    await inWebview(page, "report", async (f) => {
      await f.locator("#compare-flow").waitFor();
      await f.evaluate(() => window.scrollTo(0, 0));
    });
    await page.waitForTimeout(800);
    expectDistinguishable(await seriesColors(page));
    const top = await screenshot(page, "compare-overlay.png");
    mkdirSync(path.join(ROOT, "media", "screenshots"), { recursive: true });
    copyFileSync(top, path.join(ROOT, "media", "screenshots", "compare-sigmoid-vs-relu.png"));
    await inWebview(page, "report", (f) => f.evaluate(() => document.getElementById("compare-loss")?.scrollIntoView({ block: "start" })));
    await screenshot(page, "compare-overlay-loss.png");
  });

  it("closes the comparison and compares again from the panel's own picker", async () => {
    const { page } = s;
    await inWebview(page, "report", async (f) => {
      await f.locator("#compare-close").click();
      await f.locator("#compare-open").click();
      await f.locator("#compare-select vscode-option", { hasText: "Deep sigmoid MLP" }).first().waitFor({ state: "attached", timeout: 15_000 });
      await f.evaluate(() => window.scrollTo(0, 0));
    });
    await screenshot(page, "compare-picker.png");
    await inWebview(page, "report", async (f) => {
      // Choosing in the select is what a click on its option does: set the value, fire change.
      await f.evaluate(() => {
        const select = document.getElementById("compare-select") as HTMLElement & { value: string };
        const option = Array.from(select.querySelectorAll("vscode-option")).find((o) => o.textContent?.includes("Deep sigmoid MLP"))!;
        select.value = option.getAttribute("value")!;
        select.dispatchEvent(new Event("change"));
      });
      await f.locator("#compare-flow[data-datasets='2']").waitFor({ timeout: 20_000 });
    });
    const labels = await inWebview(page, "report", (f) => f.locator("#compare-loss").getAttribute("data-labels"));
    expect(JSON.parse(labels ?? "[]")[1]).toMatch(/^other: Deep sigmoid MLP /);
  });

  it("refuses a JSON file that is not a report with a clear message (Browse…)", async () => {
    const { page } = s;
    await startCompare(page);
    const rows = page.locator(".quick-input-widget .monaco-list-row:visible");
    await rows.first().waitFor({ timeout: 15_000 });
    await page.keyboard.press("Enter");
    await page.locator(".quick-input-widget .quick-input-title", { hasText: "(2/2)" }).waitFor({ timeout: 15_000 });
    await rows.filter({ hasText: "Browse…" }).first().click();
    // code-server's open dialog is a quick input holding a path.
    const input = page.locator(".quick-input-widget input");
    await page.locator(".quick-input-widget .quick-input-title", { hasText: "A Gradient Lens report" }).waitFor({ timeout: 15_000 });
    await screenshot(page, "compare-browse.png");
    await input.fill(path.join(s.workspace, "not-a-report.json"));
    await page.waitForTimeout(800);
    await page.keyboard.press("Enter");
    const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "not-a-report.json is not a Gradient Lens report" });
    await toast.first().waitFor({ timeout: 15_000 });
    expect(await toast.first().innerText()).toMatch(/model is missing "parameters"|is missing/);
    await screenshot(page, "compare-bad-file.png");
  });

  it("redraws the overlay in the light theme with both runs told apart (screenshots)", async () => {
    const { page } = s;
    // As a person switches theme (Preferences: Color Theme): the workbench applies it live and the page redraws.
    await page.evaluate(() => {
      if (document.activeElement instanceof HTMLIFrameElement) document.activeElement.blur();
    });
    await page.keyboard.press("F1");
    const input = page.locator(".quick-input-widget input");
    await input.fill(">Preferences: Color Theme");
    // Not "Preferences: Browse Color Themes in Marketplace", which the same words also find.
    await page.locator(".quick-input-widget .monaco-list-row", { has: page.locator(".label-name", { hasText: /^Preferences: Color Theme$/ }) }).first().click({ timeout: 10_000 });
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Dark Modern" }).first().waitFor({ timeout: 10_000 });
    await input.fill("Light Modern");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Light Modern" }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press("Enter");
    await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
    await expect.poll(() => inWebview(page, "report", (f) => f.evaluate(() => document.body.className)), { timeout: 20_000 }).toMatch(/vscode-light/);
    await runPaletteCommand(page, "Notifications: Clear All Notifications");
    await runPaletteCommand(page, "Gradient Lens: Open the Report");
    await inWebview(page, "report", async (f) => {
      await f.locator("#compare-flow[data-datasets='2']").waitFor({ timeout: 20_000 });
      await f.evaluate(() => window.scrollTo(0, 0));
    });
    await page.waitForTimeout(800);
    const seen = await seriesColors(page);
    // Light Modern's page is white; the theme's chart orange alone is under 3:1 on it.
    expect(contrastRatio(seen.background, "#ffffff")).toBeLessThan(1.1);
    expectDistinguishable(seen);
    await screenshot(page, "compare-overlay-light.png");
    await inWebview(page, "report", (f) => f.evaluate(() => document.getElementById("compare-loss")?.scrollIntoView({ block: "start" })));
    await screenshot(page, "compare-overlay-loss-light.png");
  });

  it("logged no Content-Security-Policy violation", () => {
    expect(s.consoleErrors.filter((e) => /Content Security Policy|CSP violation/i.test(e))).toEqual([]);
  });
});
