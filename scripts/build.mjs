// One esbuild script, one context per target (after vscode-extension-samples' esbuild-sample):
// the library (cjs + esm), the CLI, the runner's child process, the extension host (vscode external),
// the TypeScript server plugin and the webview (browser). Type checking is its own step: `npm run typecheck`.
import * as esbuild from "esbuild";
import { existsSync, mkdirSync, chmodSync } from "node:fs";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

const common = {
  bundle: true,
  sourcemap: true,
  keepNames: true, // layer kinds in reports come from class names
  logLevel: "warning",
  minify: production,
  legalComments: "none",
};

const node = { ...common, platform: "node", target: "node20" };

/** Targets whose entry exists (layers land over time; a missing entry is skipped, not an error). */
const targets = [
  { ...node, entryPoints: ["src/index.ts"], outfile: "dist/index.cjs", format: "cjs" },
  { ...node, entryPoints: ["src/index.ts"], outfile: "dist/index.mjs", format: "esm" },
  { ...node, entryPoints: ["src/cli.ts"], outfile: "dist/cli.js", format: "cjs", banner: { js: "#!/usr/bin/env node" }, external: ["esbuild"] },
  { ...node, entryPoints: ["src/runner/worker.ts"], outfile: "dist/runner/worker.js", format: "cjs", external: ["esbuild"] },
  { ...node, entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.js", format: "cjs", external: ["vscode", "esbuild"] },
  // The TypeScript server plugin: tsserver hands it `typescript`, so nothing is external but Node's own.
  { ...node, entryPoints: ["src/ts-plugin/index.ts"], outfile: "dist/ts-plugin/index.js", format: "cjs" },
  { ...common, platform: "browser", target: "es2022", entryPoints: ["webview/main.ts"], outfile: "dist/webview/main.js", format: "iife" },
].filter((t) => existsSync(t.entryPoints[0]));

mkdirSync("dist", { recursive: true });
if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
  console.log(`watching ${targets.length} targets`);
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  if (existsSync("dist/cli.js")) chmodSync("dist/cli.js", 0o755);
  // New-model templates, cut from the examples' healthy exports (scripts/templates.mjs).
  (await import("./templates.mjs")).writeTemplates("dist/templates");
  console.log(`built ${targets.map((t) => t.outfile).join(", ")}`);
}
