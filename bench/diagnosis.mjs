// The diagnosis benchmark: runs the corpus (test/diagnosis/corpus.ts) and prints per-rule and overall
// detection and false-alarm rates, plus a line per failing case. Exit 1 when a case that is not a known
// miss fails. Usage: npm run bench:diagnosis
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = mkdtempSync(join(tmpdir(), "diagnosis-"));
const file = join(out, "corpus.mjs");
await build({
  entryPoints: [join(root, "test/diagnosis/corpus.ts")],
  bundle: true, platform: "node", format: "esm", outfile: file, logLevel: "error",
  alias: { "gradient-lens": join(root, "src/index.ts") },
});
try {
  const { runCorpus, formatSummary } = await import(pathToFileURL(file).href);
  const t0 = performance.now();
  const s = await runCorpus();
  console.log(formatSummary(s));
  console.log(`\n${s.results.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  process.exitCode = s.results.some((r) => !r.ok && !r.knownMiss) ? 1 : 0;
} finally {
  rmSync(out, { recursive: true, force: true });
}
