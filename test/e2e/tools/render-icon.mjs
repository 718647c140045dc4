// Renders media/icon.svg to media/icon.png (128×128, the Marketplace size) with Debian's chromium.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
const svg = readFileSync(new URL("../../../media/icon.svg", import.meta.url), "utf8");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace(/width="256" height="256"/, 'width="128" height="128"')}</body></html>`);
await page.screenshot({ path: new URL("../../../media/icon.png", import.meta.url).pathname, omitBackground: true });
await browser.close();
console.log("wrote media/icon.png");
