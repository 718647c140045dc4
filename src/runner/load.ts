/**
 * Loads a compiled model bundle inside the runner's child process and finds its models.
 *
 * - `require("gradient-lens")` inside the bundle returns the engine instance this process runs (the
 *   caller passes it in), so the user's `nn.Linear` is the class instrumentation observes and
 *   `instanceof Module` holds across user code and the debugger.
 * - Every `Module` learns where the user constructed it, and every tap series where `tap()` was called:
 *   a stack is captured there (`setLocationCapture`) and its first frame inside the bundle is mapped
 *   through the bundle's source map to the user's file:line:column.
 * - Each `defineModel` call records where it was exported (the outermost user frame: the top-level
 *   statement that produced the export, also when a helper function built the spec).
 */
import * as path from "node:path";
import * as nodeModule from "node:module";
import type { RunError } from "../protocol/runner";
import type { SourceLocation } from "../report";
import { ENGINE_IMPORT, sourcePath } from "./compile";

/** The engine as the bundle sees it (the `gradient-lens` module namespace). */
export type EngineModule = Record<string, unknown> & {
  defineModel: (spec: never) => unknown;
  isModelSpec: (value: unknown) => boolean;
  nn: { setLocationCapture: (fn: (() => SourceLocation | undefined) | null) => void };
};

interface CallSiteLike {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

interface SourceMapLike {
  findEntry(line: number, column: number): { originalSource?: string; originalLine?: number; originalColumn?: number } | Record<string, never>;
}

/**
 * A mapped frame; `superCall` marks a subclass constructor on its way to Module's: a `super(...)` call,
 * or a class without a constructor of its own (V8 puts its implicit constructor's frame at `class`).
 */
type UserFrame = SourceLocation & { superCall: boolean };

/** Stack frames of the current call inside the bundle, mapped to the user's files, innermost first. */
function captureUserFrames(bundlePath: string, userFiles: ReadonlySet<string>, bundleLines: readonly string[]): UserFrame[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let sites: CallSiteLike[] = [];
  try {
    Error.stackTraceLimit = 64;
    Error.prepareStackTrace = (_e, cs) => cs;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, captureUserFrames);
    sites = (holder.stack as CallSiteLike[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  const map = nodeModule.findSourceMap?.(bundlePath) as SourceMapLike | undefined;
  const out: UserFrame[] = [];
  for (const site of sites) {
    if (site.getFileName() !== bundlePath) continue;
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (line == null || column == null || !map) continue;
    const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!entry.originalSource || entry.originalLine == null || entry.originalColumn == null) continue;
    const file = sourcePath(entry.originalSource);
    // Frames in bundled npm packages are not the user's lines.
    if (!userFiles.has(file)) continue;
    const text = bundleLines[line - 1] ?? "";
    const superCall = text.startsWith("super", column - 1) || text.startsWith("class", column - 1);
    out.push({ file, line: entry.originalLine + 1, column: entry.originalColumn + 1, superCall });
  }
  return out;
}

/**
 * A stack line's location: "at f (/a/b.ts:3:7)" or "at /a/b.ts:3:7". The path is taken whole, so a
 * folder named "models (copy)" or "C:\\Program Files (x86)" keeps its parentheses and its colon.
 */
const FRAME_IN_PARENS = /^\s+at (?:.*? )?\((.+):(\d+):(\d+)\)\s*$/;
const FRAME_BARE = /^\s+at (.+):(\d+):(\d+)\s*$/;

/**
 * The first frame of a (source-mapped) stack that lies in one of the user's files, and the stack cut
 * after the last such frame so the runner's own frames below the model don't bury it.
 */
export function userStack(stack: string | undefined, userFiles: ReadonlySet<string>): { stack?: string; location?: SourceLocation } {
  if (!stack) return {};
  const lines = stack.split("\n");
  let first: SourceLocation | undefined;
  let last = -1;
  lines.forEach((l, i) => {
    if (!/^\s+at /.test(l)) return;
    const m = FRAME_IN_PARENS.exec(l) ?? FRAME_BARE.exec(l);
    if (!m) return;
    const file = sourcePath(m[1]);
    if (file !== m[1]) lines[i] = l.slice(0, m.index) + l.slice(m.index).replace(m[1], file);
    if (!userFiles.has(file)) return;
    first ??= { file, line: Number(m[2]), column: Number(m[3]) };
    last = i;
  });
  return { stack: last >= 0 ? lines.slice(0, last + 1).join("\n") : stack, location: first };
}

export interface LoadedBundle {
  ok: true;
  exports: unknown;
  /** Where each defineModel result was created (outermost user frame). */
  specLocations: WeakMap<object, SourceLocation>;
  userFiles: ReadonlySet<string>;
}

/**
 * Installs location capture and the engine resolution, then evaluates the bundle as a CommonJS module
 * named beside the user's file (so `__dirname` and relative `fs` reads behave as in the user's file).
 */
export function loadBundle(file: string, code: string, userFileList: readonly string[], engine: EngineModule): LoadedBundle | { ok: false; error: RunError } {
  const userFiles = new Set(userFileList);
  const dir = path.dirname(file);
  const bundlePath = path.join(dir, `${path.basename(file)}.gradient-lens-bundle.js`);
  // Mapped Error.stack for the bundle requires this before the bundle is compiled.
  process.setSourceMapsEnabled?.(true);

  const bundleLines = code.split("\n");
  const strip = ({ file, line, column }: UserFrame): SourceLocation => ({ file, line, column });
  engine.nn.setLocationCapture(() => {
    // A user's Module subclass reaches Module's constructor through super(): its location is where
    // it was constructed (`new Apply(op)`), not the super() line. A layer built inside another
    // constructor (`this.fc = new nn.Linear(…)`) is not a super() frame and keeps that line. A `tap()`
    // call is the innermost user frame: its own line, wherever it runs.
    const frames = captureUserFrames(bundlePath, userFiles, bundleLines);
    const site = frames.find((f) => !f.superCall) ?? frames[0];
    return site && strip(site);
  });
  const specLocations = new WeakMap<object, SourceLocation>();
  const defineModel = engine.defineModel as (spec: unknown) => object;
  const wrappedDefineModel = (spec: unknown) => {
    const result = defineModel(spec);
    const frames = captureUserFrames(bundlePath, userFiles, bundleLines);
    if (frames.length) specLocations.set(result, strip(frames[frames.length - 1]));
    return result;
  };
  // Same objects as the engine (classes, namespaces), except defineModel, which also records a location.
  const seen: Record<string, unknown> = { ...engine, defineModel: wrappedDefineModel, __esModule: true };

  const NodeModule = nodeModule.Module as unknown as {
    new (id: string, parent?: unknown): { filename: string; paths: string[]; exports: unknown; require(id: string): unknown; _compile(code: string, filename: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const m = new NodeModule(bundlePath);
  m.filename = bundlePath;
  m.paths = NodeModule._nodeModulePaths(dir);
  const plainRequire = m.require.bind(m);
  m.require = (id: string) => {
    const hit = ENGINE_IMPORT.exec(id);
    if (!hit) return plainRequire(id);
    if (!hit[1]) return seen;
    const sub = seen[hit[1].slice(1)];
    if (typeof sub === "object" && sub !== null) return sub;
    throw new Error(`Cannot find module '${id}': import from "gradient-lens" instead`);
  };
  try {
    m._compile(code, bundlePath);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const { stack, location } = userStack(err.stack, userFiles);
    // defineModel validates its argument: a malformed spec is an invalid model, not a crash.
    const kind = /^defineModel:/.test(err.message) ? "invalid-model" : "load";
    return { ok: false, error: { kind, message: `${path.basename(file)} threw while loading: ${err.message}`, stack, location } };
  }
  return { ok: true, exports: m.exports, specLocations, userFiles };
}

/** What a model file must export, for error messages. */
export const EXPECTED_EXPORT =
  'export default defineModel({ name, model, data, loss, optimizer, batchSize?, steps? }) (or named exports of defineModel(...) specs), with defineModel imported from "gradient-lens"';

export interface FoundModel {
  exportName: string;
  spec: { name: string } & Record<string, unknown>;
}

/** The models a module exports: `default` first, then named exports in source order. */
export function findModels(exports: unknown, isModelSpec: (v: unknown) => boolean): { models: FoundModel[]; others: string[] } {
  const models: FoundModel[] = [];
  const others: string[] = [];
  if (isModelSpec(exports)) return { models: [{ exportName: "default", spec: exports as FoundModel["spec"] }], others };
  if (typeof exports !== "object" || exports === null) return { models, others };
  const names = Object.keys(exports).filter((k) => k !== "__esModule");
  names.sort((a, b) => (a === "default" ? -1 : b === "default" ? 1 : 0));
  for (const name of names) {
    const value = (exports as Record<string, unknown>)[name];
    if (isModelSpec(value)) models.push({ exportName: name, spec: value as FoundModel["spec"] });
    else others.push(`${name} (${describe(value)})`);
  }
  return { models, others };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  const keys = Object.keys(value);
  const specLike = ["model", "data", "loss", "optimizer"].every((k) => keys.includes(k));
  return specLike ? "an object shaped like a model spec but not made by defineModel(...)" : `object with ${keys.slice(0, 5).join(", ") || "no keys"}`;
}

/** The invalid-model error for a file without usable models. */
export function noModelsError(file: string, others: string[]): RunError {
  const found = others.length ? ` It exports: ${others.join("; ")}.` : " It has no exports.";
  return { kind: "invalid-model", message: `${path.basename(file)} exports no model.${found} Expected: ${EXPECTED_EXPORT}.`, location: { file, line: 1, column: 1 } };
}
