/**
 * Where the runner's child loads esbuild from when the extension is installed from a .vsix.
 *
 * Decision (measured on this 2-core machine, esbuild 0.28.2, compiling one model file, in a fresh
 * process as the runner does on every run): native esbuild 11–93 ms for the first build, esbuild-wasm
 * 0.76–1.66 s (its WebAssembly start-up is paid on every run). So the .vsix is per platform
 * (`vsce package --target linux-x64`) and carries esbuild's JS API in dist/esbuild/lib/main.js plus the
 * native binary in dist/esbuild/bin/esbuild, found through ESBUILD_BINARY_PATH. In a development
 * checkout (no dist/esbuild) the repository's node_modules/esbuild is used.
 */
import * as path from "node:path";
import { existsSync } from "node:fs";

export interface BundledEsbuild {
  /** Module path for the runner's `esbuildPath` option. */
  modulePath?: string;
  /** Extra environment for the runner's child (ESBUILD_BINARY_PATH). */
  env?: Record<string, string>;
}

export function bundledEsbuild(extensionPath: string): BundledEsbuild {
  const main = path.join(extensionPath, "dist", "esbuild", "lib", "main.js");
  if (!existsSync(main)) return {};
  const binary = path.join(extensionPath, "dist", "esbuild", "bin", process.platform === "win32" ? "esbuild.exe" : "esbuild");
  return existsSync(binary) ? { modulePath: main, env: { ESBUILD_BINARY_PATH: binary } } : { modulePath: main };
}
