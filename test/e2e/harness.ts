/**
 * A real VS Code (code-server) in a real browser (Debian's chromium through playwright-core), set up
 * per shared/E2E.md beside the checkout: fresh user-data, extensions and HOME dirs per run, the packaged .vsix
 * installed with `--install-extension`, code-server on 127.0.0.1 without auth.
 */
import { spawn, execFileSync, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { chromium, type BrowserContext, type Frame, type Locator, type Page } from "playwright-core";

export const ROOT = path.resolve(__dirname, "..", "..");
export const CODE_SERVER = path.join(ROOT, ".cache", "code-server", "node_modules", ".bin", "code-server");
export const ARTIFACTS = path.join(ROOT, "test-artifacts");
export const CHROMIUM = "/usr/bin/chromium";

export function findVsix(): string {
  const explicit = process.env.GRADIENT_LENS_VSIX;
  if (explicit) return path.resolve(explicit);
  const vsix = readdirSync(ROOT).filter((f) => f.endsWith(".vsix")).sort();
  if (!vsix.length) throw new Error("no .vsix in the repository root: run `npm run package` first");
  return path.join(ROOT, vsix.includes("gradient-lens-linux-x64.vsix") ? "gradient-lens-linux-x64.vsix" : vsix[0]);
}

export interface Session {
  page: Page;
  context: BrowserContext;
  workspace: string;
  runDir: string;
  /** Console errors from the workbench and every webview (CSP violations included). */
  consoleErrors: string[];
  timings: Record<string, number>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Files copied into the workspace: target name → source path. */
  files: Record<string, string>;
  theme?: string;
  viewport?: { width: number; height: number };
  /**
   * Start code-server with workspace trust on (no `--disable-workspace-trust`): the workbench then
   * asks whether to trust the folder's authors and the test answers. Default off: trusted, no prompt.
   */
  workspaceTrust?: boolean;
  /** Extra user settings merged over the defaults. */
  settings?: Record<string, unknown>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function startSession(name: string, o: SessionOptions): Promise<Session> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (label: string) => (timings[label] = Date.now() - t0);
  if (!existsSync(CODE_SERVER)) throw new Error(`code-server missing at ${CODE_SERVER}: run \`npm run e2e:setup\``);
  if (!existsSync(CHROMIUM)) throw new Error("chromium missing: apt-get install -y chromium");

  const runDir = path.join(ARTIFACTS, "runs", `${name}-${Date.now()}`);
  const dirs = { user: path.join(runDir, "user-data"), ext: path.join(runDir, "extensions"), home: path.join(runDir, "home"), browser: path.join(runDir, "browser"), workspace: path.join(runDir, "workspace") };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  for (const [target, source] of Object.entries(o.files)) {
    mkdirSync(path.dirname(path.join(dirs.workspace, target)), { recursive: true });
    cpSync(source, path.join(dirs.workspace, target));
  }
  mkdirSync(path.join(dirs.user, "User"), { recursive: true });
  writeFileSync(path.join(dirs.user, "User", "settings.json"), JSON.stringify({
    "workbench.startupEditor": "none",
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "workbench.colorTheme": o.theme ?? "Default Dark Modern",
    "editor.minimap.enabled": false,
    "window.commandCenter": false,
    "chat.commandCenter.enabled": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "git.enabled": false,
    ...o.settings,
  }, null, 2));

  const env = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: path.join(dirs.home, ".config"),
    XDG_DATA_HOME: path.join(dirs.home, ".local", "share"),
    XDG_CACHE_HOME: path.join(dirs.home, ".cache"),
  };
  const common = ["--user-data-dir", dirs.user, "--extensions-dir", dirs.ext];
  execFileSync(CODE_SERVER, [...common, "--install-extension", findVsix()], { env, stdio: "pipe" });
  mark("installed");

  const port = await freePort();
  const server: ChildProcess = spawn(CODE_SERVER, [
    ...common, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check",
    ...(o.workspaceTrust ? [] : ["--disable-workspace-trust"]), "--disable-getting-started-override", "--ignore-last-opened", dirs.workspace,
  ], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const serverLog: string[] = [];
  server.stdout!.on("data", (d) => serverLog.push(String(d)));
  server.stderr!.on("data", (d) => serverLog.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not yet */
    }
    if (i > 300) throw new Error(`code-server did not start:\n${serverLog.join("")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  mark("server");

  const context = await chromium.launchPersistentContext(dirs.browser, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: o.viewport ?? { width: 1600, height: 1000 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    env,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !/vsda|open-vsx|Failed to load resource|ERR_NAME_NOT_RESOLVED|marketplace/i.test(m.text())) consoleErrors.push(m.text());
  });
  await page.goto(`${url}/?folder=${encodeURIComponent(dirs.workspace)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  await page.locator("#workbench\\.parts\\.statusbar").waitFor();
  mark("workbench");

  return {
    page, context, workspace: dirs.workspace, runDir, consoleErrors, timings,
    async close() {
      await context.close().catch(() => {});
      if (server.pid) {
        try {
          process.kill(-server.pid, "SIGTERM");
        } catch {
          /* gone */
        }
      }
    },
  };
}

/** The CodeLens links of the open editor whose text contains `title` ("Check gradients", "Train & inspect"). */
export function lenses(page: Page, title: string): Locator {
  return page.locator(".monaco-editor .codelens-decoration a", { hasText: title });
}

export async function openFile(page: Page, name: string): Promise<void> {
  await page.locator(".explorer-folders-view .monaco-list-row", { hasText: name }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press("Control+p");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(name);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: name }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".tabs-container .tab", { hasText: name }).first().waitFor();
}

export async function runPaletteCommand(page: Page, title: string): Promise<void> {
  const input = page.locator(".quick-input-widget input");
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
  for (let attempt = 0; ; attempt++) {
    // Keys pressed while a webview has focus go to its iframe, and a command that reveals a webview
    // moves the focus there a moment later, closing the palette: give the focus back and retry.
    await page.evaluate(() => {
      if (document.activeElement instanceof HTMLIFrameElement) document.activeElement.blur();
    });
    await page.keyboard.press("F1");
    try {
      await input.waitFor({ state: "visible", timeout: 2000 });
      await input.fill(`>${title}`, { timeout: 2000 });
      await row.waitFor({ timeout: attempt < 4 ? 5000 : 15_000 });
      break;
    } catch (e) {
      if (attempt >= 5) throw e;
      await page.keyboard.press("Escape").catch(() => {});
      await page.waitForTimeout(400);
    }
  }
  await page.keyboard.press("Enter");
  // The command has run once the palette closes — or once the command's own pick has replaced it
  // (New Model File…, Train & Inspect a Model…: the widget may never hide in between when the machine is busy).
  await page.waitForFunction((typed) => {
    const widget = document.querySelector<HTMLElement>(".quick-input-widget");
    if (!widget || getComputedStyle(widget).display === "none" || widget.getBoundingClientRect().height === 0) return true;
    return widget.querySelector("input")?.value !== typed;
  }, `>${title}`, { timeout: 30_000 });
}

/** The inner frame of the webview whose <body data-view> is `view` ("report" or "sidebar"). */
export async function webviewFrame(page: Page, view: "report" | "sidebar", timeout = 60_000): Promise<Frame> {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      try {
        if ((await f.evaluate(() => document.body?.dataset.view)) !== view) continue;
        // VS Code may swap a webview's inner frame right after loading it: use the one that stays.
        await page.waitForTimeout(500);
        if (!f.isDetached()) return f;
      } catch {
        /* navigating */
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no ${view} webview within ${timeout} ms`);
}

/**
 * Runs `fn` against a webview's frame, re-finding the frame if VS Code replaced it meanwhile (moving
 * a panel between editor groups, joining groups or reloading re-creates its iframes). Every use of a
 * webview goes through here: a Frame kept across such a move fails with "Frame was detached".
 */
export async function inWebview<T>(page: Page, view: "report" | "sidebar", fn: (f: Frame) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const frame = await webviewFrame(page, view);
    try {
      return await fn(frame);
    } catch (e) {
      if (attempt >= 5 || !/detached|context was destroyed|Target closed|frame got detached/i.test(String(e))) throw e;
      await page.waitForTimeout(300);
    }
  }
}

/** The extension's output log as written to disk by the workbench (its LogOutputChannel file), or "". */
export function extensionLog(session: Pick<Session, "runDir">): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith("Gradient Lens.log")) found.push(p);
    }
  };
  const logs = path.join(session.runDir, "user-data", "logs");
  if (existsSync(logs)) walk(logs);
  return found.sort().map((f) => readFileSync(f, "utf8")).join("\n");
}

/** Process ids of runner children (dist/runner/worker.js) of this session's installed extension. */
export function runnerPids(session: Pick<Session, "runDir">): number[] {
  const pattern = `${path.join(session.runDir, "extensions")}/.*/dist/runner/worker\\.js`;
  const r = spawnSync("pgrep", ["-f", pattern], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).map(Number);
}

export async function screenshot(page: Page, file: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const out = path.join(ARTIFACTS, file);
  await page.waitForTimeout(400);
  await page.screenshot({ path: out });
  return out;
}
