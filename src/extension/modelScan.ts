/**
 * Finds, from the source text alone, the models a file exports through `defineModel` and its
 * `checkGradients` calls: where CodeLenses go. Never runs code. A light lexer blanks out comments and
 * string/template contents (keeping offsets), so matches inside them do not count. Pure; no vscode import.
 */

/** A `defineModel(...)` whose value the file exports (one per call, however many names it is exported under). */
export interface ScannedModel {
  /** "default" or the exported name; the first one when the value is exported under several. */
  exportName: string;
  /** The spec's `name` when it is a string literal, else the export name. */
  name: string;
  /** 0-based line and column of the call (where the lens goes). */
  line: number;
  column: number;
}

/** A `checkGradients(...)` call. */
export interface ScannedCheck {
  line: number;
  column: number;
  /** The model it checks when its first argument names an exported model of this file. */
  exportName?: string;
}

export interface ScanResult {
  importsGradientLens: boolean;
  models: ScannedModel[];
  checks: ScannedCheck[];
}

const MODULE = "gradient-lens";

/** Cheap pre-filter: files that never mention the module cost a substring search and nothing more. */
export function mentionsGradientLens(text: string): boolean {
  return text.includes(MODULE);
}

export function scanSource(text: string): ScanResult {
  const empty: ScanResult = { importsGradientLens: false, models: [], checks: [] };
  if (!mentionsGradientLens(text)) return empty;
  const code = maskSource(text);
  const imports = findImports(text, code);
  if (!imports.found) return empty;

  const lines = lineStarts(text);
  const pos = (offset: number) => toLineColumn(lines, offset);

  // Calls of defineModel (by its local names or through a namespace), with the binding they initialize.
  const calls: Array<{ offset: number; open: number; binding?: string; exportedAs?: string }> = [];
  for (const m of matchCalls(code, imports.defineModel, imports.namespaces, "defineModel")) {
    const before = code.slice(Math.max(0, m.start - 200), m.start);
    const exportDefault = /export\s+default\s*$/.exec(before);
    const exportConst = /export\s+(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*$/.exec(before);
    const plainConst = /(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*$/.exec(before);
    if (exportDefault) calls.push({ offset: m.start, open: m.open, exportedAs: "default" });
    else if (exportConst) calls.push({ offset: m.start, open: m.open, binding: exportConst[1], exportedAs: exportConst[1] });
    else if (plainConst) calls.push({ offset: m.start, open: m.open, binding: plainConst[1] });
    else calls.push({ offset: m.start, open: m.open });
  }

  // Later exports of a binding: `export { a, b as c }` and `export default a`.
  const exportsOf = new Map<string, string[]>();
  const addExport = (local: string, exported: string) => exportsOf.set(local, [...(exportsOf.get(local) ?? []), exported]);
  for (const m of code.matchAll(/export\s*\{([^}]*)\}(?!\s*from)/g)) {
    for (const part of m[1].split(",")) {
      const s = part.trim().match(/^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/);
      if (s) addExport(s[1], s[2] ?? s[1]);
    }
  }
  for (const m of code.matchAll(/export\s+default\s+([A-Za-z_$][\w$]*)\s*;?\s*(?:\n|$)/g)) addExport(m[1], "default");

  const models: ScannedModel[] = [];
  const bindingToExport = new Map<string, string>();
  for (const c of calls) {
    const names = [...(c.exportedAs ? [c.exportedAs] : []), ...((c.binding && exportsOf.get(c.binding)) || [])];
    const unique = [...new Set(names)];
    if (!unique.length) continue;
    const specName = specNameLiteral(text, code, c.open);
    const { line, column } = pos(c.offset);
    // One entry per call (one set of lenses, one row in the model list), under its first export name:
    // `export const m = defineModel(…)` plus `export default m` is one model, run as `m`.
    models.push({ exportName: unique[0], name: specName ?? unique[0], line, column });
    if (c.binding) bindingToExport.set(c.binding, unique[0]);
  }

  const checks: ScannedCheck[] = [];
  for (const m of matchCalls(code, imports.checkGradients, imports.namespaces, "checkGradients")) {
    const { line, column } = pos(m.start);
    const arg = code.slice(m.open + 1).match(/^\s*([A-Za-z_$][\w$]*)\s*[,)]/);
    checks.push({ line, column, exportName: arg ? bindingToExport.get(arg[1]) : undefined });
  }

  return { importsGradientLens: true, models, checks };
}

interface Imports {
  found: boolean;
  /** Local names bound to defineModel / checkGradients (aliases included). */
  defineModel: Set<string>;
  checkGradients: Set<string>;
  /** `import * as gl from "gradient-lens"` / `const gl = require("gradient-lens")`. */
  namespaces: Set<string>;
}

function findImports(text: string, code: string): Imports {
  const result: Imports = { found: false, defineModel: new Set(), checkGradients: new Set(), namespaces: new Set() };
  // Module specifiers are string contents (blanked in `code`), so match positions in `code` and read `text`.
  const spec = `["']${MODULE}(?:/[\\w./-]*)?["']`;
  const patterns: Array<[RegExp, (m: RegExpMatchArray) => void]> = [
    [new RegExp(`import\\s+(?:type\\s+)?\\{([^}]*)\\}\\s*from\\s*${spec}`, "g"), (m) => addNamed(m[1], result)],
    [new RegExp(`import\\s+\\*\\s+as\\s+([A-Za-z_$][\\w$]*)\\s+from\\s*${spec}`, "g"), (m) => result.namespaces.add(m[1])],
    [new RegExp(`import\\s+([A-Za-z_$][\\w$]*)\\s*(?:,\\s*\\{([^}]*)\\})?\\s*from\\s*${spec}`, "g"), (m) => {
      result.namespaces.add(m[1]);
      if (m[2]) addNamed(m[2], result);
    }],
    [new RegExp(`import\\s*${spec}`, "g"), () => {}],
    [new RegExp(`(?:const|let|var)\\s+\\{([^}]*)\\}\\s*=\\s*require\\(\\s*${spec}\\s*\\)`, "g"), (m) => addNamed(m[1].replace(/:/g, " as "), result)],
    [new RegExp(`(?:const|let|var)\\s+([A-Za-z_$][\\w$]*)\\s*=\\s*require\\(\\s*${spec}\\s*\\)`, "g"), (m) => result.namespaces.add(m[1])],
  ];
  for (const [re, onMatch] of patterns) {
    for (const m of text.matchAll(re)) {
      // Only count matches that begin in code, not in a comment or string.
      if (code.slice(m.index!, m.index! + 6) !== text.slice(m.index!, m.index! + 6)) continue;
      result.found = true;
      onMatch(m);
    }
  }
  return result;
}

function addNamed(list: string, into: Imports): void {
  for (const part of list.split(",")) {
    const s = part.trim().replace(/^type\s+/, "").match(/^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/);
    if (!s) continue;
    const local = s[2] ?? s[1];
    if (s[1] === "defineModel") into.defineModel.add(local);
    if (s[1] === "checkGradients") into.checkGradients.add(local);
  }
}

/** Calls `name(` for each local name, and `ns.member(` for each namespace. */
function matchCalls(code: string, locals: Set<string>, namespaces: Set<string>, member: string): Array<{ start: number; open: number }> {
  const alternatives = [...locals].map(escape);
  for (const ns of namespaces) alternatives.push(`${escape(ns)}\\s*\\.\\s*${member}`);
  if (!alternatives.length) return [];
  const re = new RegExp(`(?<![\\w$.])(?:${alternatives.join("|")})\\s*(?:<[^>()]*>)?\\s*\\(`, "g");
  const out: Array<{ start: number; open: number }> = [];
  for (const m of code.matchAll(re)) {
    // `function defineModel(` declares, it does not call.
    if (/function\s*$/.test(code.slice(Math.max(0, m.index! - 20), m.index!))) continue;
    out.push({ start: m.index!, open: m.index! + m[0].length - 1 });
  }
  return out;
}

/** The string literal of `name:` at the top level of the object literal that is the call's first argument. */
function specNameLiteral(text: string, code: string, open: number): string | undefined {
  let i = open + 1;
  while (i < code.length && /\s/.test(code[i])) i++;
  if (code[i] !== "{") return undefined;
  let depth = 0;
  for (let j = i; j < code.length; j++) {
    const ch = code[j];
    if (ch === "{" || ch === "(" || ch === "[") depth++;
    else if (ch === "}" || ch === ")" || ch === "]") {
      depth--;
      if (depth === 0) return undefined;
    } else if (depth === 1 && ch === "n" && /[\s{,]/.test(code[j - 1])) {
      const m = code.slice(j).match(/^name\s*:\s*(["'`])/);
      if (m) {
        const q = j + m[0].length - 1;
        const end = text.indexOf(m[1], q + 1);
        if (end > q) {
          const value = text.slice(q + 1, end);
          return m[1] === "`" && value.includes("${") ? undefined : value;
        }
      }
    }
  }
  return undefined;
}

/**
 * The source with comments and the contents of strings, template literals and regex-free text
 * replaced by spaces; newlines kept, so offsets and line numbers match the original.
 */
export function maskSource(text: string): string {
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? n : end;
      blank(i, stop);
      i = stop;
    } else if (ch === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(i, stop);
      i = stop;
    } else if (ch === '"' || ch === "'" || ch === "`") {
      let j = i + 1;
      while (j < n && text[j] !== ch) {
        if (text[j] === "\\") j++;
        else if (ch !== "`" && text[j] === "\n") break;
        j++;
      }
      blank(i + 1, Math.min(j, n));
      i = j + 1;
    } else {
      i++;
    }
  }
  return out.join("");
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function toLineColumn(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, column: offset - starts[lo] };
}

function escape(s: string): string {
  return s.replace(/[$]/g, "\\$");
}
