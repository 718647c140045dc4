/**
 * What the TypeScript server plugin (./index.ts) decides, apart from the server: where the extension's
 * declarations are, and which resolutions it replaces (only a `gradient-lens` import the project could
 * not resolve itself, so a workspace with its own gradient-lens installed keeps it).
 */
import * as path from "node:path";
import type * as ts from "typescript";

/** The module id the plugin answers for. */
export const MODULE_ID = "gradient-lens";

export interface PluginConfig {
  /** Declarations to use instead of the extension's dist/types/index.d.ts (tests, development). */
  typesPath?: string;
}

/** The .d.ts shipped with the extension: <extension>/dist/types/index.d.ts, two folders above this plugin's. */
export function defaultTypesPath(pluginDir: string): string {
  return path.resolve(pluginDir, "..", "..", "dist", "types", "index.d.ts");
}

type Resolved = ts.ResolvedModuleWithFailedLookupLocations;

/**
 * The project's own resolutions, with each unresolved `gradient-lens` answered by `declarations`.
 * Pure, so the choice "the workspace's copy wins" is tested without a TypeScript server.
 */
export function withFallback(names: readonly string[], results: readonly Resolved[], declarations: string, dts: ts.Extension): Resolved[] {
  return results.map((r, i) =>
    r.resolvedModule || names[i] !== MODULE_ID
      ? r
      : { ...r, resolvedModule: { resolvedFileName: declarations, extension: dts, isExternalLibraryImport: true } },
  );
}

