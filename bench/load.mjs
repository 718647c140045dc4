// Loaders for what the benchmark needs beyond the built library, both compiled in memory with esbuild.
import * as esbuild from "esbuild";
import { createRequire } from "node:module";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * src/engine/kernels.ts as an ES module. The library bundle exports `setKernels` but not the kernels,
 * and the gemm cases call the kernel directly (its transposed variants have no op of their own).
 */
export async function loadKernels(root) {
  const out = await esbuild.build({
    entryPoints: [resolve(root, "src/engine/kernels.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
}

/**
 * TensorFlow.js core + CPU backend + every gradient. tfjs-core's Node build (its "main") ships without
 * gradient registrations (the `@tensorflow/tfjs` umbrella package, not installed here, adds them), and its
 * ES build uses extensionless imports Node cannot load. So we bundle the ES builds ("module") of core,
 * register_all_gradients and the CPU backend into one CommonJS file: one tfjs-core instance, as in a
 * browser bundle.
 */
export async function loadTfjs(root) {
  const out = await esbuild.build({
    stdin: {
      contents: [
        `export * from "@tensorflow/tfjs-core";`,
        `import "@tensorflow/tfjs-core/dist/register_all_gradients";`,
        `import "@tensorflow/tfjs-backend-cpu";`,
      ].join("\n"),
      resolveDir: root,
      loader: "js",
    },
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node20",
    mainFields: ["module", "main"],
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  const file = join(mkdtempSync(join(tmpdir(), "gl-bench-")), "tfjs.cjs");
  writeFileSync(file, out.outputFiles[0].text);
  return createRequire(import.meta.url)(file);
}
