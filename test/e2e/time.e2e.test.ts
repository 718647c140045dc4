/**
 * Gradients through time, live: a workspace holding the tanh-RNN adding-problem example
 * (examples/rnn-adding.ts), "Check gradients" clicked on its lens as a person would, and the report
 * panel read inside the webview — the recurrent layer's steps × time heat map has one column per time
 * step, its earliest time steps are far fainter than its last (read from the map's data table and from
 * the canvas pixels themselves), the problem is listed, and the Problems panel blames the line of
 * `new nn.RNN(`. Screenshots in test-artifacts/time-*.png (looked at; the heat map also as
 * media/screenshots/time-heatmap.png).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ROOT, inWebview, openFile, runPaletteCommand, screenshot, startSession, lenses, type Session } from "./harness";

const example = path.join(ROOT, "examples", "rnn-adding.ts");
const LENGTH = 30;

/** Where the default export builds its RNN: the first `new nn.RNN(` of the file (1-based line and column). */
function rnnLine(): { line: number; column: number } {
  const lines = readFileSync(example, "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes("new nn.RNN("));
  if (i < 0) throw new Error(`no new nn.RNN( in ${example}`);
  return { line: i + 1, column: lines[i].indexOf("new nn.RNN(") + 1 };
}

interface Cell { value: number; level: number; color: string; pixel: [number, number, number] }

describe("gradients through time of a live RNN run (code-server)", () => {
  let s: Session;
  const t0 = Date.now();
  const card = ".time-card[data-series='layers.0']";

  beforeAll(async () => {
    // Wide enough for 30 readable columns, low enough that the heat-map screenshot is mostly the maps.
    s = await startSession("time", { files: { "rnn-adding.ts": example }, viewport: { width: 1400, height: 760 } });
  });

  afterAll(async () => {
    if (s) await screenshot(s.page, "time-last-state.png").catch(() => {});
    console.log(`time e2e timings (ms since start): ${JSON.stringify({ ...s?.timings, total: Date.now() - t0 })}`);
    await s?.close();
  });

  it("checks the RNN from its lens and draws the layer's steps × time heat map, one column per time step", async () => {
    const { page } = s;
    await openFile(page, "rnn-adding.ts");
    // The default export (the tanh RNN) comes first in the file; the LSTM's lens is the second.
    await lenses(page, "Check gradients").first().click({ timeout: 60_000 });
    await inWebview(page, "report", (f) => f.locator(`${card} .heatmap[data-columns]`).waitFor({ timeout: 120_000 }));
    await inWebview(page, "report", (f) => f.locator(".report-header .pill", { hasText: "done" }).waitFor({ timeout: 60_000 }));
    s.timings.report = Date.now() - t0;
    const seen = await inWebview(page, "report", async (f) => ({
      heading: await f.locator(".report-header h1").first().innerText(),
      cards: await f.locator(".time-card").evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.series)),
      rows: Number(await f.locator(`${card} .heatmap`).getAttribute("data-rows")),
      columns: Number(await f.locator(`${card} .heatmap`).getAttribute("data-columns")),
      headers: await f.locator(`${card} table.heatmap-data tr`).first().locator("th[scope='col']").allInnerTexts(),
      label: await f.locator(`${card} canvas`).getAttribute("aria-label"),
      note: await f.locator(`${card} p`).first().innerText(),
      csp: await f.evaluate(() => document.body.dataset.cspViolations ?? "0"),
    }));
    expect(seen.heading).toMatch(/Vanilla RNN on the adding problem/);
    expect(seen.cards).toEqual(["layers.0"]);
    expect(seen.columns).toBe(LENGTH);
    // The check's 20 steps, each recorded.
    expect(seen.rows).toBe(20);
    expect(seen.headers).toEqual(Array.from({ length: LENGTH }, (_, t) => `t=${t}`));
    expect(seen.label).toMatch(/20 rows × 30 columns/);
    expect(seen.note).toMatch(/recurrent layer · at step 19, ‖∂L\/∂h₀‖ is .*× ‖∂L\/∂h_T‖: the gradient dies going back through time · rnn-adding\.ts:\d+/);
    expect(seen.csp).toBe("0");
  });

  it("colors the earliest time steps far fainter than the last, in the table and on the canvas", async () => {
    const { page } = s;
    const rows = await inWebview(page, "report", async (f) => {
      await f.locator(card).evaluate((el) => el.scrollIntoView());
      return f.locator(`${card} .heatmap`).evaluate((map): Cell[][] => {
        const canvas = map.querySelector("canvas")!;
        const ctx = canvas.getContext("2d")!;
        const scale = canvas.width / canvas.getBoundingClientRect().width;
        const rowHeight = Number((map as HTMLElement).dataset.rowHeight);
        const labelWidth = Number((map as HTMLElement).dataset.labelWidth);
        const cellWidth = (canvas.getBoundingClientRect().width - labelWidth) / Number((map as HTMLElement).dataset.columns);
        return Array.from(map.querySelectorAll("table.heatmap-data tr")).slice(1).map((tr, i) =>
          Array.from(tr.querySelectorAll("td")).map((td, j) => {
            const x = Math.round((labelWidth + (j + 0.5) * cellWidth) * scale);
            const y = Math.round((i + 0.5) * rowHeight * scale);
            const p = ctx.getImageData(x, y, 1, 1).data;
            return { value: Number(td.dataset.value), level: Number(td.dataset.level), color: td.dataset.color ?? "", pixel: [p[0], p[1], p[2]] as [number, number, number] };
          }));
      });
    });
    expect(rows).toHaveLength(20);
    for (const row of rows) {
      expect(row).toHaveLength(LENGTH);
      // ‖∂L/∂h_0‖ is under a thousandth of ‖∂L/∂h_T‖ on every recorded step (the example's is ~1e-8).
      expect(row[0].value / row[LENGTH - 1].value).toBeLessThan(1e-3);
      // …and so sits far lower on the color scale: the left of the map is faint, the right strong.
      expect(row[LENGTH - 1].level - row[0].level).toBeGreaterThan(0.3);
      const mean = (cells: Cell[]) => cells.reduce((a, c) => a + c.level, 0) / cells.length;
      expect(mean(row.slice(0, 5))).toBeLessThan(mean(row.slice(-5)));
    }
    // The canvas draws the color the table names (the cell's centre pixel), faint first, strong last.
    const rgb = (c: string) => c.match(/\d+/g)!.map(Number);
    const last = rows[rows.length - 1];
    for (const cell of [last[0], last[LENGTH - 1]]) {
      rgb(cell.color).forEach((v, k) => expect(Math.abs(cell.pixel[k] - v)).toBeLessThanOrEqual(2));
    }
    // The scale runs background → blue → orange → yellow: the first time step is bluer than the last,
    // the last redder (past orange), and the two far apart.
    const [first, end] = [last[0].pixel, last[LENGTH - 1].pixel];
    expect(first[2] - first[0]).toBeGreaterThan(end[2] - end[0] + 100);
    expect(Math.hypot(first[0] - end[0], first[1] - end[1], first[2] - end[2])).toBeGreaterThan(120);
  });

  it("lists the problem, blaming the line that builds the RNN", async () => {
    const { page } = s;
    const { line } = rnnLine();
    const problem = await inWebview(page, "report", (f) => f.locator(".problem-list [data-problem='vanishing-through-time@layers.0']").innerText());
    expect(problem).toMatch(/^warning\s+vanishing gradients through time in layers\.0/);
    expect(problem).toContain(`rnn-adding.ts:${line}`);
    expect(problem).toMatch(/Suggested fix: use a gated layer/);
  });

  it("puts the diagnostic in the Problems panel on the line of `new nn.RNN(`", async () => {
    const { page } = s;
    const { line, column } = rnnLine();
    await page.keyboard.press("Control+Shift+m");
    const row = page.locator(".markers-panel .monaco-list-row", { hasText: "vanishing-through-time" }).first();
    await row.waitFor({ timeout: 20_000 });
    const text = await row.innerText();
    expect(text).toContain("Gradient Lens");
    expect(text).toMatch(/the gradient reaching the first of 30 time steps/);
    expect(text).toContain(`[Ln ${line}, Col ${column}]`);
    // One diagnostic for the one problem.
    expect(await page.locator(".markers-panel .monaco-list-row", { hasText: "Gradient Lens" }).count()).toBe(1);
    await screenshot(page, "time-problems.png");
    await page.keyboard.press("Control+j");
  });

  it("shows the heat map on its own (screenshot)", async () => {
    const { page } = s;
    const modelTab = page.locator(".tabs-container .tab", { hasText: "rnn-adding.ts" });
    while ((await modelTab.count()) > 0) {
      await modelTab.first().hover();
      await modelTab.first().locator(".tab-actions .action-label").first().click();
      await page.waitForTimeout(300);
    }
    if (await page.locator("#workbench\\.parts\\.sidebar").isVisible()) await runPaletteCommand(page, "View: Close Primary Side Bar");
    await runPaletteCommand(page, "Gradient Lens: Open the Report");
    await inWebview(page, "report", async (f) => {
      await f.locator(card).waitFor({ timeout: 30_000 });
      await f.evaluate(() => window.scrollTo(0, 0));
    });
    await page.waitForTimeout(800);
    await screenshot(page, "time-top.png");
    // The modules × steps map above the time map: the layer's own picture next to its picture through time.
    await inWebview(page, "report", (f) => f.evaluate(() => document.getElementById("heatmap")?.scrollIntoView({ block: "start" })));
    const shot = await screenshot(page, "time-heatmap.png");
    mkdirSync(path.join(ROOT, "media", "screenshots"), { recursive: true });
    copyFileSync(shot, path.join(ROOT, "media", "screenshots", "time-heatmap.png"));
    expect(s.consoleErrors.filter((e) => /Content Security Policy|CSP violation/i.test(e))).toEqual([]);
  });
});
