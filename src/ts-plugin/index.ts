/**
 * TypeScript server plugin: `import … from "gradient-lens"` type-checks in any workspace, with nothing
 * installed. VS Code loads it into its TypeScript server for every project (the extension contributes it
 * through `contributes.typescriptServerPlugins`; the .vsix carries it as
 * node_modules/gradient-lens-ts-plugin, beside the declarations in dist/types that `npm run build` emits).
 *
 * The plugin wraps the language service host's module resolution: the project resolves every import as
 * it would anyway, and only an import of `gradient-lens` that the project could not resolve is answered
 * with the extension's declarations. A workspace with its own gradient-lens installed keeps it. Nothing
 * is written into the user's project.
 */
import { existsSync } from "node:fs";
import type * as ts from "typescript";
import { defaultTypesPath, withFallback, MODULE_ID, type PluginConfig } from "./resolve";

function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  const tsm = modules.typescript;
  let configured: PluginConfig = {};

  function create(info: ts.server.PluginCreateInfo): ts.LanguageService {
    configured = { ...(info.config as PluginConfig | undefined) };
    const log = (msg: string) => info.project.projectService.logger.info(`[gradient-lens] ${msg}`);
    const declarations = () => configured.typesPath ?? defaultTypesPath(__dirname);
    const host = info.languageServiceHost;
    const own = host.resolveModuleNameLiterals?.bind(host);
    const resolutionHost: ts.ModuleResolutionHost = {
      fileExists: (f) => (host.fileExists ? host.fileExists(f) : tsm.sys.fileExists(f)),
      readFile: (f) => (host.readFile ? host.readFile(f) : tsm.sys.readFile(f)),
    };
    host.resolveModuleNameLiterals = (literals, containingFile, redirected, options, sourceFile, reused) => {
      const results = own
        ? own(literals, containingFile, redirected, options, sourceFile, reused)
        : literals.map((l) => tsm.resolveModuleName(l.text, containingFile, options, resolutionHost, undefined, redirected));
      const dts = declarations();
      if (!existsSync(dts)) return results;
      return withFallback(literals.map((l) => l.text), results, dts, tsm.Extension.Dts);
    };
    log(`answers unresolved imports of ${MODULE_ID} with ${declarations()}`);
    return info.languageService;
  }

  return {
    create,
    onConfigurationChanged(config: PluginConfig) {
      configured = { ...configured, ...config };
    },
  };
}

// tsserver calls the module itself (`require(name)(modules)`), so the factory is module.exports.
module.exports = init;
