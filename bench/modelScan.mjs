// Parser candidates for the extension's model discovery (src/extension/modelScan.ts): bundle size
// (esbuild, minified, node platform, as the extension is bundled for a .vsix) and parse time on a
// 2,000-line TypeScript file. Candidates that are not installed are skipped; to measure them all:
//   npm install --no-save acorn @sveltejs/acorn-typescript && node bench/modelScan.mjs
// Then the scanner itself (src/extension/modelScan.ts, bundled minified: parse + AST walk), and with
// --against <git rev> the scanner of that revision (e.g. the hand-written tokenizer it replaced).
// Options: --lines N (default 2000), --reps N (default 30).
import * as esbuild from "esbuild";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const LINES = arg("--lines", 2000);
const REPS = arg("--reps", 30);

/** A model file that grows with helper functions, classes, generics, regexes and templates until it has `n` lines. */
function sourceOf(n) {
  const head = [
    `import { defineModel, checkGradients, nn, optim, losses, data } from "gradient-lens";`,
    `export const small = defineModel({ name: "Small", model: () => new nn.Sequential(new nn.Linear(2, 8)), loss: losses.mse });`,
  ];
  const block = (i) => [
    `interface Opts${i}<T extends number = number> { lr: T; tags?: readonly string[] }`,
    `export function helper${i}(x: number, o: Opts${i} = { lr: 0.1 }): number {`,
    `  const re = /["'\`]+\\/${i}/g; const t = \`v\${x / 2} \${ \`n\${o.lr}\` }\`;`,
    `  return t.replace(re, "").length / (x + 1) as number;`,
    `}`,
    `class Block${i} extends nn.Module { private readonly w = ${i}; call(x: any) { return x; } }`,
    `const model${i} = defineModel({ name: "M${i}", model: () => new nn.Linear(${i}, 2), optimizer: (p) => new optim.SGD(p, { lr: 0.01 }) });`,
    `export { model${i} as exported${i} };`,
    ``,
  ];
  const lines = [...head];
  for (let i = 0; lines.length < n; i++) lines.push(...block(i));
  lines.push(`checkGradients(small);`, `export default small;`);
  return lines.slice(0, n).join("\n") + "\n";
}

const candidates = [
  {
    name: "typescript (compiler API, createSourceFile)",
    modules: ["typescript"],
    entry: `const ts = require("typescript"); module.exports = (s) => ts.createSourceFile("m.ts", s, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);`,
    parse: () => {
      const ts = require("typescript");
      return (s) => ts.createSourceFile("m.ts", s, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    },
  },
  {
    name: "@babel/parser (typescript plugin)",
    modules: ["@babel/parser"],
    entry: `const { parse } = require("@babel/parser"); module.exports = (s) => parse(s, { sourceType: "module", plugins: ["typescript"] });`,
    parse: () => {
      const { parse } = require("@babel/parser");
      return (s) => parse(s, { sourceType: "module", plugins: ["typescript"] });
    },
  },
  {
    name: "acorn + @sveltejs/acorn-typescript",
    modules: ["acorn", "@sveltejs/acorn-typescript"],
    entry: `const acorn = require("acorn"); const { tsPlugin } = require("@sveltejs/acorn-typescript"); const P = acorn.Parser.extend(tsPlugin()); module.exports = (s) => P.parse(s, { sourceType: "module", ecmaVersion: "latest", locations: true });`,
    parse: () => {
      const acorn = require("acorn");
      const { tsPlugin } = require("@sveltejs/acorn-typescript");
      const P = acorn.Parser.extend(tsPlugin());
      return (s) => P.parse(s, { sourceType: "module", ecmaVersion: "latest", locations: true });
    },
  },
];

function installed(mods) {
  try {
    for (const m of mods) require.resolve(m);
    return true;
  } catch {
    return false;
  }
}

async function bundleBytes(entry) {
  const r = await esbuild.build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: "js" },
    bundle: true, minify: true, platform: "node", format: "cjs", write: false, logLevel: "silent",
    nodePaths: (process.env.NODE_PATH ?? "").split(":").filter(Boolean),
  });
  return r.outputFiles[0].contents.length;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const src = sourceOf(LINES);
console.log(`model discovery parsers: ${src.split("\n").length - 1} lines, ${(src.length / 1024).toFixed(0)} KiB, ${REPS} reps (median)`);
console.log(`| parser | bundle (min) | first parse (cold, incl. require) | parse (warm median) |`);
console.log(`|---|---|---|---|`);
for (const c of candidates) {
  if (!installed(c.modules)) {
    console.log(`| ${c.name} | not installed | | |`);
    continue;
  }
  const bytes = await bundleBytes(c.entry);
  let t0 = performance.now();
  const parse = c.parse();
  parse(src);
  const cold = performance.now() - t0;
  for (let i = 0; i < 5; i++) parse(src);
  const times = [];
  for (let i = 0; i < REPS; i++) {
    t0 = performance.now();
    parse(src);
    times.push(performance.now() - t0);
  }
  console.log(`| ${c.name} | ${(bytes / 1024).toFixed(0)} KiB | ${cold.toFixed(1)} ms | ${median(times).toFixed(2)} ms |`);
}

/** Bundles a revision's modelScan.ts (the working tree's when `rev` is absent) and times scanSource. */
async function scanner(rev) {
  const contents = rev ? execFileSync("git", ["show", `${rev}:src/extension/modelScan.ts`], { encoding: "utf8" }) : undefined;
  const dir = mkdtempSync(join(tmpdir(), "gl-scan-"));
  try {
    const outfile = join(dir, "scan.cjs");
    await esbuild.build({
      ...(contents ? { stdin: { contents, resolveDir: join(process.cwd(), "src/extension"), loader: "ts" } } : { entryPoints: ["src/extension/modelScan.ts"] }),
      bundle: true, minify: true, platform: "node", format: "cjs", outfile, logLevel: "silent",
    });
    const bytes = statSync(outfile).size;
    let t0 = performance.now();
    const { scanSource } = require(outfile);
    const found = scanSource(src).models.length;
    const cold = performance.now() - t0;
    for (let i = 0; i < 5; i++) scanSource(src);
    const times = [];
    for (let i = 0; i < REPS; i++) {
      t0 = performance.now();
      scanSource(src);
      times.push(performance.now() - t0);
    }
    console.log(`| scanSource ${rev ? `at ${rev}` : "(working tree)"}: ${found} models | ${(bytes / 1024).toFixed(0)} KiB | ${cold.toFixed(1)} ms | ${median(times).toFixed(2)} ms |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await scanner();
const against = process.argv.indexOf("--against");
if (against >= 0) await scanner(process.argv[against + 1]);
