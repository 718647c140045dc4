/**
 * Compiles a user's model file into one CommonJS bundle with esbuild: relative imports and npm packages
 * are bundled, `gradient-lens` (and `gradient-lens/...`) stays an external `require` that the loader
 * answers with the runner's own engine. The bundle carries an inline source map whose `sources` are the
 * user's absolute paths, so stacks and layer locations point at the user's lines.
 *
 * Runs in the runner's child process. esbuild is required lazily, at call time, from a path the caller
 * may choose: its native binary is a packaging decision (esbuild-wasm or per-platform packages).
 */
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { RunError } from "../protocol/runner";
import type { SourceLocation } from "../report";

/** The part of esbuild's API this module uses (so no static import of esbuild exists anywhere). */
interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number; lineText: string } | null;
  notes?: Array<{ text: string }>;
}
interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{
    outputFiles?: Array<{ path: string; text: string }>;
    warnings: EsbuildMessage[];
  }>;
}

export interface CompileOptions {
  /** Module id or path esbuild is loaded from (default "esbuild", resolved from the runner's bundle). */
  esbuildPath?: string;
}

export interface CompiledModel {
  ok: true;
  /** The bundle, CommonJS, with an inline source map appended. */
  code: string;
  /** Absolute paths of the user's files in the bundle (the source map's `sources`, minus node_modules). */
  userFiles: string[];
  /** esbuild's warnings, formatted "file:line:col: message". */
  warnings: string[];
}

/** Import ids that resolve to the engine instance running the model. */
export const ENGINE_IMPORT = /^gradient-lens(\/.*)?$/;

/** Loads esbuild at call time (see the module comment). */
function loadEsbuild(esbuildPath: string | undefined): EsbuildLike {
  const id = esbuildPath ?? "esbuild";
  // A plain `require` keeps the bundler from inlining esbuild; vitest (vite-node) provides one too.
  const req: NodeRequire = typeof require === "function" ? require : (globalThis as { require?: NodeRequire }).require!;
  return req(id) as EsbuildLike;
}

/**
 * A source map's `sources` entry (or a mapped stack frame's file) as a file system path: `file:` URLs
 * and percent-encoded paths are decoded, so a file named "naïve モデル.ts" is not reported as
 * "na%C3%AFve %E3%83%A2….ts" (which the Problems panel and go-to-line cannot open).
 */
export function sourcePath(source: string): string {
  if (source.startsWith("file:")) {
    try {
      return fileURLToPath(source);
    } catch {
      return source;
    }
  }
  if (!/%[0-9A-Fa-f]{2}/.test(source)) return source;
  try {
    return decodeURIComponent(source);
  } catch {
    return source;
  }
}

/** esbuild's column counts UTF-8 bytes from 0; editors count UTF-16 units from 1. */
function toLocation(loc: NonNullable<EsbuildMessage["location"]>, cwd: string): SourceLocation {
  const prefix = Buffer.from(loc.lineText, "utf8").subarray(0, loc.column).toString("utf8");
  return { file: path.resolve(cwd, loc.file), line: loc.line, column: prefix.length + 1 };
}

function formatMessage(m: EsbuildMessage, cwd: string): { message: string; location?: SourceLocation } {
  const notes = (m.notes ?? []).map((n) => n.text).filter(Boolean);
  const message = notes.length ? `${m.text} (${notes.join("; ")})` : m.text;
  return m.location ? { message, location: toLocation(m.location, cwd) } : { message };
}

const where = (l?: SourceLocation) => (l ? `${l.file}:${l.line}:${l.column}: ` : "");

/** esbuild's error for `await` at the top level of a CommonJS bundle. */
const TOP_LEVEL_AWAIT = /^Top-level await is (currently )?not supported with the "cjs" output format/;
/**
 * What to do instead. Model files are compiled to CommonJS (so `require("gradient-lens")` can answer with
 * the engine instance the debugger observes), and `data()` must return its dataset synchronously.
 */
export const TOP_LEVEL_AWAIT_MESSAGE =
  "top-level await is not supported in model files: load synchronously instead (readFileSync rather than await readFile), " +
  "at the top level or inside the data() factory (data() must return its dataset, not a promise)";

const IMPORT_META_WARNING = /"import\.meta" is not available with the "cjs" output format/;

/** `import.meta` of a file under Node's ESM loader: url, filename, dirname. */
export function importMetaOf(file: string): { url: string; filename: string; dirname: string } {
  return { url: pathToFileURL(file).href, filename: file, dirname: path.dirname(file) };
}

/**
 * A CommonJS bundle has no import.meta: esbuild gives each module that uses it an empty object
 * (`var import_meta = {};`, right below the `// path/to/file.ts` comment that opens the module's code).
 * Fill each with that file's url, filename and dirname, so `new URL("./data.csv", import.meta.url)`
 * resolves beside the file that wrote it, as under Node's ESM. Lines are kept (the source map holds).
 */
export function fillImportMeta(code: string, cwd: string, entry: string): string {
  let current = entry;
  return code
    .split("\n")
    .map((line) => {
      const opens = /^\/\/ (\S.*\.[cm]?[jt]sx?)$/.exec(line);
      if (opens) current = path.resolve(cwd, opens[1]);
      const empty = /^(\s*)var (import_meta\d*) = \{\};$/.exec(line);
      return empty ? `${empty[1]}var ${empty[2]} = ${JSON.stringify(importMetaOf(current))};` : line;
    })
    .join("\n");
}

/** Compiles `file` (absolute) into a bundle, or returns a `syntax` error listing every diagnostic. */
export async function compileModel(file: string, options: CompileOptions = {}): Promise<CompiledModel | { ok: false; error: RunError }> {
  const cwd = path.dirname(file);
  let esbuild: EsbuildLike;
  try {
    esbuild = loadEsbuild(options.esbuildPath);
  } catch (e) {
    return { ok: false, error: { kind: "load", message: `Could not load esbuild (${options.esbuildPath ?? "esbuild"}) to compile the model: ${(e as Error).message}` } };
  }
  // The bundle is never written: `outfile` only anchors the source map's relative `sources`.
  const outfile = path.join(cwd, "__gradient_lens_bundle__.js");
  try {
    const result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: cwd,
      outfile,
      write: false,
      bundle: true,
      format: "cjs",
      platform: "node",
      target: "node20",
      sourcemap: "external",
      sourcesContent: true,
      keepNames: true, // layer kinds come from class names, also for the user's own Module subclasses
      logLevel: "silent",
      plugins: [
        {
          // A plugin rather than `external`: a tsconfig `paths` entry for gradient-lens (this repository has
          // one) would otherwise bundle a second engine copy, and instanceof/observers would break.
          name: "gradient-lens-external",
          setup(build: { onResolve(o: { filter: RegExp }, cb: (a: { path: string }) => unknown): void }) {
            build.onResolve({ filter: ENGINE_IMPORT }, (args) => ({ path: args.path, external: true }));
          },
        },
      ],
    });
    const js = result.outputFiles?.find((f) => f.path.endsWith(".js"));
    const mapFile = result.outputFiles?.find((f) => f.path.endsWith(".map"));
    if (!js || !mapFile) return { ok: false, error: { kind: "load", message: "esbuild produced no output" } };
    const map = JSON.parse(mapFile.text) as { sources: string[]; sourceRoot?: string };
    // Sources are URLs (esbuild percent-encodes accents and CJK); Node encodes them again when it reads
    // the map, so they are stored as plain paths and decoded once on the way out (sourcePath).
    map.sources = map.sources.map((s) => path.resolve(cwd, sourcePath(s)));
    delete map.sourceRoot;
    const userFiles = map.sources.filter((s) => !s.split(path.sep).includes("node_modules"));
    // esbuild ends the JS with a comment naming the external map; replace it with the map inline.
    const body = fillImportMeta(js.text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n"), cwd, file);
    const code = `${body}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}\n`;
    // fillImportMeta gives import.meta its values; esbuild's "will be empty" warning no longer holds.
    const warnings = result.warnings.filter((w) => !IMPORT_META_WARNING.test(w.text)).map((w) => {
      const m = formatMessage(w, cwd);
      return `${where(m.location)}${m.message}`;
    });
    return { ok: true, code, userFiles, warnings };
  } catch (e) {
    const errors = (e as { errors?: EsbuildMessage[] }).errors;
    if (!Array.isArray(errors) || errors.length === 0) {
      return { ok: false, error: { kind: "syntax", message: (e as Error).message ?? String(e) } };
    }
    const diagnostics = errors.map((m) => formatMessage(m, cwd)).map((d) => (TOP_LEVEL_AWAIT.test(d.message) ? { ...d, message: TOP_LEVEL_AWAIT_MESSAGE } : d));
    const first = diagnostics[0];
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : "";
    // An import esbuild cannot find is a load problem (the file's own syntax is fine).
    const unresolved = errors.every((m) => m.text.startsWith("Could not resolve"));
    return {
      ok: false,
      error: {
        kind: unresolved ? "load" : "syntax",
        message: `${where(first.location)}${first.message}${more}`,
        location: first.location,
        diagnostics,
        stack: diagnostics.map((d) => `${where(d.location)}${d.message}`).join("\n"),
      },
    };
  }
}
