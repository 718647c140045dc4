/**
 * The report panel's views for real models, in code-server: a 12-block transformer encoder (200
 * parameter tensors) trained from its lens — the module tree opens a group on click, the triage list
 * reveals a tensor in the tree and opens its line; then reports shown in the same panel (posted to the
 * page as the host posts them): the gradients-through-time maps of a recurrent model's report, and a
 * 1,000-step × 200-tensor report, compacted, whose draw time is measured. Screenshots are looked at
 * (test-artifacts/views-*.png, the tree's copied to media/screenshots/).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import type { Frame, Page } from "playwright-core";
import { ROOT, inWebview, openFile, runPaletteCommand, screenshot, startSession, lenses, type Session } from "./harness";
import { syntheticReport, timeSeriesReport } from "../fixtures/reports";
import { compactReport } from "../../src/instrument/compact";
import type { Report } from "../../src/report";
import type { RunSnapshot } from "../../src/protocol/webview";

const model = path.join(ROOT, "test", "e2e", "workspace-views", "transformer.ts");

/** Copies a looked-at screenshot into media/screenshots (the README shows them). */
function keep(file: string): void {
  mkdirSync(path.join(ROOT, "media", "screenshots"), { recursive: true });
  copyFileSync(path.join(ROOT, "test-artifacts", file), path.join(ROOT, "media", "screenshots", file));
}

const snapshotOf = (report: Report, runId: number): RunSnapshot => ({
  runId, command: "train", model: { file: report.model.file!, name: report.model.name }, phase: "done", totalSteps: report.steps.length, progress: [], report, startedAt: 0,
});

/** Shows `snapshot` in the report panel as the host would (a `snapshot` message) and waits for its draw; returns the draw times. */
async function showSnapshot(page: Page, snapshot: RunSnapshot): Promise<{ renderMs: number; renderSyncMs: number }> {
  const json = JSON.stringify(snapshot);
  // A panel just re-created gets the host's current run once its page is ready: post again until ours stays.
  for (let attempt = 0; ; attempt++) {
    const times = await inWebview(page, "report", async (f: Frame) => {
      await f.evaluate(() => delete document.body.dataset.renderMs);
      await f.evaluate((text) => window.postMessage({ type: "snapshot", snapshot: JSON.parse(text) }, "*"), json);
      await f.waitForFunction(() => document.body.dataset.renderMs !== undefined, null, { timeout: 30_000 });
      return f.evaluate(() => ({ renderMs: Number(document.body.dataset.renderMs), renderSyncMs: Number(document.body.dataset.renderSyncMs) }));
    });
    await page.waitForTimeout(1500);
    const shown = await inWebview(page, "report", (f) => f.locator("h1").first().innerText());
    if (shown === snapshot.model.name) return times;
    if (attempt >= 3) throw new Error(`the panel kept showing ${shown}`);
  }
}

describe("report views for real models (code-server)", () => {
  let s: Session;
  const t0 = Date.now();

  beforeAll(async () => {
    // Train & inspect without the gradient check (200 tensors × sampled entries × two forward passes would take minutes here).
    s = await startSession("views", { files: { "transformer.ts": model }, viewport: { width: 1600, height: 1100 }, settings: { "gradientLens.train.gradcheck": false } });
  });

  afterAll(async () => {
    console.log(`views e2e timings (ms since start): ${JSON.stringify({ ...s?.timings, total: Date.now() - t0 })}`);
    await s?.close();
  });

  it("trains the 200-tensor transformer from its lens and shows the module tree collapsed to its blocks", async () => {
    const { page } = s;
    await openFile(page, "transformer.ts");
    await lenses(page, "Train & inspect").first().click({ timeout: 60_000 });
    await inWebview(page, "report", (f) => f.locator(".pill", { hasText: "done" }).first().waitFor({ timeout: 180_000 }));
    s.timings.trained = Date.now() - t0;
    const { subtitle, rows, heatRows, csp } = await inWebview(page, "report", async (f) => ({
      subtitle: await f.locator("#triage .subtitle").innerText(),
      rows: await f.locator("#flow-tree .tree-row").evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.path)),
      heatRows: await f.locator("#heatmap .heatmap").evaluate((el) => Number((el as HTMLElement).dataset.rows)),
      csp: await f.evaluate(() => document.body.dataset.cspViolations ?? "0"),
    }));
    expect(subtitle).toMatch(/^200 tensors/);
    // The single top group open, its children the blocks: 17 rows for 200 tensors.
    expect(rows).toEqual(["layers", ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17].map((i) => `layers.${i}`)]);
    expect(heatRows).toBe(rows.length);
    expect(csp).toBe("0");
    await showReportAlone(page);
    await screenshot(page, "views-tree.png");
    keep("views-tree.png");
  });

  it("opens a group on click: its members appear in the tree and in the heat map", async () => {
    const { page } = s;
    await inWebview(page, "report", (f) => f.locator('#flow-tree .tree-row[data-path="layers.7"]').click());
    const { rows, heatRows, expanded } = await inWebview(page, "report", async (f) => ({
      rows: await f.locator("#flow-tree .tree-row").evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.path)),
      heatRows: await f.locator("#heatmap .heatmap").evaluate((el) => Number((el as HTMLElement).dataset.rows)),
      expanded: await f.locator('#flow-tree .tree-row[data-path="layers.7"]').getAttribute("aria-expanded"),
    }));
    expect(expanded).toBe("true");
    const members = rows.filter((p) => p?.startsWith("layers.7."));
    expect(members).toEqual(["layers.7.selfAttn", "layers.7.linear1", "layers.7.linear2", "layers.7.norm1", "layers.7.norm2"]);
    expect(heatRows).toBe(rows.length);
    // One level further: the attention's four projections.
    await inWebview(page, "report", (f) => f.locator('#flow-tree .tree-row[data-path="layers.7.selfAttn"]').click());
    const deeper = await inWebview(page, "report", (f) => f.locator("#flow-tree .tree-row").evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.path)));
    expect(deeper.filter((p) => p?.startsWith("layers.7.selfAttn."))).toEqual(["layers.7.selfAttn.qProj", "layers.7.selfAttn.kProj", "layers.7.selfAttn.vProj", "layers.7.selfAttn.outProj"]);
    await inWebview(page, "report", (f) => f.evaluate(() => document.getElementById("gradient-flow")?.scrollIntoView()));
    await screenshot(page, "views-tree-open.png");
    keep("views-tree-open.png");
  });

  it("lists where to look first; a click reveals the tensor in the tree, its link opens the line", async () => {
    const { page } = s;
    await inWebview(page, "report", (f) => f.evaluate(() => window.scrollTo(0, 0)));
    const items = await inWebview(page, "report", (f) => f.locator("#triage-list .triage-item").evaluateAll((els) => els.map((el) => ({
      name: (el as HTMLElement).dataset.name!, text: (el as HTMLElement).innerText,
    }))));
    expect(items.length).toBeGreaterThanOrEqual(3);
    // The upper blocks' queries and keys, which barely learn, lead the list; the key biases, whose
    // gradient is zero by softmax's shift invariance, are not listed at all.
    expect(items[0].text).toMatch(/Attention barely learning \(info\)/);
    expect(items.map((x) => x.name).filter((n) => /kProj\.bias$/.test(n))).toEqual([]);
    const first = items[0].name;
    await inWebview(page, "report", (f) => f.locator("#triage-list .triage-item").first().locator(".triage-reason").click());
    const selected = await inWebview(page, "report", (f) => f.locator("#flow-tree .tree-row.selected").getAttribute("data-path"));
    expect(selected).toBe(first);
    await screenshot(page, "views-triage.png");
    keep("views-triage.png");
    await inWebview(page, "report", (f) => f.locator("#triage-list .triage-item").first().locator("a.loc").click());
    // Every block was built on line 16 of the model file.
    await expect.poll(() => page.locator("#workbench\\.parts\\.statusbar").innerText(), { timeout: 10_000 }).toMatch(/Ln 16, Col/);
    // The editor took the panel's place: bring the report back for the next tests.
    await runPaletteCommand(page, "Gradient Lens: Open the Report");
    await inWebview(page, "report", (f) => f.locator("#flow-tree .tree-row").first().waitFor({ timeout: 30_000 }));
  });

  it("draws gradients through time for a recurrent model's report (steps × time, one color scale) and the attention entropy", async () => {
    const { page } = s;
    const { renderMs } = await showSnapshot(page, snapshotOf(timeSeriesReport(30, path.join(s.workspace, "transformer.ts")), 9001));
    const { cards, maps, attentionRows, notes } = await inWebview(page, "report", async (f) => ({
      cards: await f.locator(".time-card").evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.series)),
      maps: await f.locator(".time-card .heatmap").evaluateAll((els) => els.map((el) => [Number((el as HTMLElement).dataset.rows), Number((el as HTMLElement).dataset.columns)])),
      attentionRows: await f.locator("#attention-table tbody tr").count(),
      notes: await f.locator(".time-card p").allInnerTexts(),
    }));
    expect(cards).toEqual(["rnn", "lstm"]);
    // 30 recorded steps (under the 50-step window) × 24 time steps.
    expect(maps).toEqual([[30, 24], [30, 24]]);
    expect(attentionRows).toBe(2);
    expect(notes[0]).toMatch(/the gradient dies going back through time/);
    expect(notes[1]).not.toMatch(/dies/);
    console.log(`time-series report drawn in ${renderMs} ms`);
    await inWebview(page, "report", (f) => f.evaluate(() => document.getElementById("time-0")?.scrollIntoView()));
    // README shows the live run's map instead (time.e2e.test.ts, media/screenshots/time-heatmap.png).
    await screenshot(page, "views-time.png");
  });

  it("loads a 1,000-step × 200-tensor report (compacted to ≤ 5 MB) and draws it; the window select rescales the heat map", async () => {
    const { page } = s;
    const report = compactReport(syntheticReport({ steps: 1000, file: path.join(s.workspace, "transformer.ts") }));
    const bytes = JSON.stringify(snapshotOf(report, 9002)).length;
    expect(bytes).toBeLessThanOrEqual(5e6);
    const times = await showSnapshot(page, snapshotOf(report, 9002));
    const load = await import("node:os").then((os) => os.loadavg()[0]);
    console.log(`1000×200 report: ${(bytes / 1e6).toFixed(2)} MB, drawn in ${times.renderMs} ms (synchronous part ${times.renderSyncMs} ms), load average ${load.toFixed(1)}`);
    s.timings.bigRenderMs = times.renderMs;
    const columns = () => inWebview(page, "report", (f) => f.locator("#heatmap .heatmap").evaluate((el) => Number((el as HTMLElement).dataset.columns)));
    const recent = await columns();
    await inWebview(page, "report", (f) => f.locator("#window-toggle", { hasText: "Scale to all 1000 steps" }).click());
    await expect.poll(columns, { timeout: 10_000 }).toBeGreaterThan(recent);
    const all = await columns();
    const detailed = report.steps.filter((st) => st.layers.length).length;
    expect(all).toBe(detailed);
    expect(recent).toBeLessThan(detailed);
    expect(s.consoleErrors.filter((e) => /Content Security Policy|CSP violation/i.test(e))).toEqual([]);
  });
});

/** The report alone in the editor area (the model's editor closed, so its group closes too), side bar closed, scrolled to the top. */
async function showReportAlone(page: Page): Promise<void> {
  const modelTab = page.locator(".tabs-container .tab", { hasText: "transformer.ts" });
  while ((await modelTab.count()) > 0) {
    await modelTab.first().hover();
    await modelTab.first().locator(".tab-actions .action-label").first().click();
    await page.waitForTimeout(300);
  }
  if (await page.locator("#workbench\\.parts\\.sidebar").isVisible()) await runPaletteCommand(page, "View: Close Primary Side Bar");
  await runPaletteCommand(page, "Gradient Lens: Open the Report");
  await inWebview(page, "report", async (f) => {
    await f.locator("#flow-tree .tree-row").first().waitFor({ timeout: 30_000 });
    await f.evaluate(() => window.scrollTo(0, 0));
  });
  await page.waitForTimeout(800);
}
