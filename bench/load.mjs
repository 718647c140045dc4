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
 * TensorFlow.js core + CPU backend + every gradient, and with `wasm` the WebAssembly backend
 * (@tensorflow/tfjs-backend-wasm: XNNPACK kernels in WebAssembly SIMD) too. Both backends live in one
 * engine (tfjs-core keeps its engine in a global): switch with `tf.setBackend` before creating a case's
 * tensors, or TF.js copies them between backends on use. tfjs-core's Node build (its "main") ships without
 * gradient registrations (the `@tensorflow/tfjs` umbrella package, not installed here, adds them), and its
 * ES build uses extensionless imports Node cannot load. So we bundle the ES builds ("module") of core,
 * register_all_gradients and the CPU backend into one CommonJS file: one tfjs-core instance, as in a
 * browser bundle.
 */
export async function loadTfjs(root, { wasm = false } = {}) {
  const out = await esbuild.build({
    stdin: {
      contents: [
        `export * from "@tensorflow/tfjs-core";`,
        `import "@tensorflow/tfjs-core/dist/register_all_gradients";`,
        `import "@tensorflow/tfjs-backend-cpu";`,
        ...(wasm ? [`export { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";`] : []),
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
  const tf = createRequire(import.meta.url)(file);
  if (wasm) {
    // The .wasm binaries come from node_modules, not the network. In Node the backend runs its SIMD
    // build single-threaded (the threaded one needs cross-origin-isolated workers), as our engine does.
    tf.setWasmPaths(resolve(root, "node_modules/@tensorflow/tfjs-backend-wasm/dist") + "/");
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs-backend-wasm failed to initialize");
  }
  return tf;
}

