/**
 * The TypeScript server plugin (dist/ts-plugin/index.js, as the .vsix ships it) inside a real language
 * service: a project with a model file and no node_modules gets gradient-lens's declarations (no
 * ts(2307), completion after `nn.`, hover docs, a type error for a wrong argument); a project with its
 * own gradient-lens keeps it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");
const PLUGIN = path.join(ROOT, "dist", "ts-plugin", "index.js");
const TYPES = path.join(ROOT, "dist", "types", "index.d.ts");

const MODEL = `import { defineModel, nn, losses, optim, data } from "gradient-lens";

export default defineModel({
  name: "MLP",
  model: () => new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 3)),
  data: () => data.spirals({ n: 90, classes: 3, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 0.1 }),
});
export const layer = nn.Linear;
`;

let dir = "";

/** A language service over `files` in `project`, as tsserver's inferred project would have it; the plugin applied when asked. */
function service(project: string, withPlugin: boolean, hostResolves: boolean) {
  const files = new Map<string, string>();
  for (const f of ["model.ts"]) files.set(path.join(project, f), readFileSync(path.join(project, f), "utf8"));
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Node10, strict: true, types: [] };
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [...files.keys()],
    getScriptVersion: () => "1",
    getScriptSnapshot: (f) => {
      const text = files.get(f) ?? (existsSync(f) ? readFileSync(f, "utf8") : undefined);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => project,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => files.has(f) || ts.sys.fileExists(f),
    readFile: (f) => files.get(f) ?? ts.sys.readFile(f),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  if (hostResolves) {
    // tsserver's Project resolves through its own resolveModuleNameLiterals; the plugin must wrap it.
    host.resolveModuleNameLiterals = (literals, containingFile, _ref, opts) =>
      literals.map((l) => ts.resolveModuleName(l.text, containingFile, opts, host as ts.ModuleResolutionHost));
  }
  const languageService = ts.createLanguageService(host, ts.createDocumentRegistry());
  if (withPlugin) {
    const init = createRequire(__filename)(PLUGIN) as (m: { typescript: typeof ts }) => ts.server.PluginModule;
    const logger = { info: () => {} };
    init({ typescript: ts }).create({
      config: { typesPath: TYPES }, languageService, languageServiceHost: host, project: { projectService: { logger } },
    } as unknown as ts.server.PluginCreateInfo);
  }
  return { ls: languageService, file: path.join(project, "model.ts") };
}

const codes = (ls: ts.LanguageService, file: string) => [...ls.getSyntacticDiagnostics(file), ...ls.getSemanticDiagnostics(file)].map((d) => d.code);

describe("the TypeScript server plugin", () => {
  beforeAll(() => {
    if (!existsSync(PLUGIN) || !existsSync(TYPES)) throw new Error("dist/ is not built: run `npm run build` first");
    dir = mkdtempSync(path.join(tmpdir(), "gradient-lens-tsplugin-"));
    mkdirSync(path.join(dir, "bare"));
    writeFileSync(path.join(dir, "bare", "model.ts"), MODEL);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("without it, a workspace with no node_modules cannot resolve gradient-lens (ts2307)", () => {
    const { ls, file } = service(path.join(dir, "bare"), false, true);
    expect(codes(ls, file)).toContain(2307);
  });

  for (const hostResolves of [true, false]) {
    it(`resolves gradient-lens to the shipped declarations${hostResolves ? " (wrapping the host's resolution)" : " (host without its own resolution)"}: no errors, completion, hover docs, signature help`, () => {
      const { ls, file } = service(path.join(dir, "bare"), true, hostResolves);
      expect(codes(ls, file)).toEqual([]);
      const program = ls.getProgram()!;
      const resolved = program.getSourceFiles().map((f) => f.fileName);
      expect(resolved).toContain(TYPES.split(path.sep).join("/"));

      const text = MODEL;
      const at = text.indexOf("nn.Linear;") + "nn.".length;
      const names = ls.getCompletionsAtPosition(file, at, {})!.entries.map((e) => e.name);
      expect(names).toEqual(expect.arrayContaining(["Linear", "Sequential", "ReLU"]));
      // Conv2d arrives with the CNN layers; where nn exports it, completion must list it too.
      const exportsConv2d = readFileSync(path.join(ROOT, "dist", "types", "nn", "index.d.ts"), "utf8").includes("Conv2d");
      if (exportsConv2d) expect(names).toContain("Conv2d");

      const hover = ls.getQuickInfoAtPosition(file, at)!;
      expect(ts.displayPartsToString(hover.displayParts)).toMatch(/class nn\.Linear|Linear/);
      expect(ts.displayPartsToString(hover.documentation)).toMatch(/y = x·W \+ b/);

      const sigAt = text.indexOf("new nn.Linear(2, 16)") + "new nn.Linear(".length;
      const signature = ls.getSignatureHelpItems(file, sigAt, undefined)!;
      expect(signature.items[0].parameters.map((p) => p.name)).toEqual(["inFeatures", "outFeatures", "options"]);
    });
  }

  it("reports a wrong argument as a type error", () => {
    const project = path.join(dir, "wrong");
    mkdirSync(project);
    writeFileSync(path.join(project, "model.ts"), 'import { nn } from "gradient-lens";\nexport const l = new nn.Linear("two", 3);\n');
    const { ls, file } = service(project, true, true);
    expect(codes(ls, file)).toEqual([2345]);
  });

  it("leaves a workspace's own gradient-lens in place", () => {
    const project = path.join(dir, "installed");
    const pkg = path.join(project, "node_modules", "gradient-lens");
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "gradient-lens", version: "0.0.1", types: "index.d.ts" }));
    writeFileSync(path.join(pkg, "index.d.ts"), "export declare const workspaceCopy: true;\n");
    writeFileSync(path.join(project, "model.ts"), 'import { workspaceCopy } from "gradient-lens";\nexport const x: true = workspaceCopy;\n');
    const { ls, file } = service(project, true, true);
    expect(codes(ls, file)).toEqual([]);
    const names = ls.getProgram()!.getSourceFiles().map((f) => f.fileName);
    expect(names).toContain(path.join(pkg, "index.d.ts").split(path.sep).join("/"));
    expect(names).not.toContain(TYPES.split(path.sep).join("/"));
  });
});
