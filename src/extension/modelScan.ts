/**
 * Finds, from the source text alone, the models a file exports through `defineModel` and its
 * `checkGradients` calls: where CodeLenses go. Never runs code. A compact tokenizer (comments, strings,
 * template literals with `${ … }` nesting, regex literals told from division the way a JS tokenizer
 * does) feeds a shallow reading of the module's top-level statements: imports, `const`/`let`/`var`
 * declarations and `export` forms. Linear in the file's length. Pure; no vscode import.
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
  const toks = tokenize(text).tokens;
  const top = readTopLevel(toks);
  if (!top.imports.found) return empty;
  const { imports } = top;

  const lines = lineStarts(text);
  const pos = (offset: number) => toLineColumn(lines, offset);

  const models: ScannedModel[] = [];
  const bindingToExport = new Map<string, string>();
  for (const call of findCalls(toks, imports.defineModel, imports.namespaces, "defineModel")) {
    const info = top.calls.get(call.start);
    if (!info) continue;
    const names = [...(info.exportedAs ? [info.exportedAs] : []), ...((info.binding && top.exportsOf.get(info.binding)) || [])];
    if (!names.length) continue;
    const exportName = names[0];
    const { line, column } = pos(toks[call.start].start);
    // One entry per call (one set of lenses, one row in the model list), under its first export name:
    // `export const m = defineModel(…)` plus `export default m` is one model, run as `m`.
    models.push({ exportName, name: specNameLiteral(toks, call.open) ?? exportName, line, column });
    if (info.binding && !bindingToExport.has(info.binding)) bindingToExport.set(info.binding, exportName);
  }

  const checks: ScannedCheck[] = [];
  for (const call of findCalls(toks, imports.checkGradients, imports.namespaces, "checkGradients")) {
    const { line, column } = pos(toks[call.start].start);
    const arg = toks[call.open + 1];
    const after = toks[call.open + 2];
    const named = arg?.kind === "ident" && after?.kind === "punct" && (after.value === "," || after.value === ")");
    checks.push({ line, column, exportName: named ? bindingToExport.get(arg.value) : undefined });
  }

  return { importsGradientLens: true, models, checks };
}

/**
 * The source with comments and the contents of strings, template literals (outside their `${ … }`)
 * and regex literals replaced by spaces; newlines kept, so offsets and line numbers match the original.
 */
export function maskSource(text: string): string {
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n" && out[k] !== "\r") out[k] = " ";
  };
  const { tokens, comments } = tokenize(text);
  for (const [from, to] of comments) blank(from, to);
  for (const t of tokens) if (t.kind === "string" || t.kind === "template" || t.kind === "regex") blank(t.innerStart, t.innerEnd);
  return out.join("");
}

// ---------------------------------------------------------------------------------------------------
// Tokenizer

type Kind = "ident" | "punct" | "string" | "template" | "regex" | "number";

interface Token {
  kind: Kind;
  /** Identifier name, punctuator, or the cooked value of a string / template piece. */
  value: string;
  start: number;
  end: number;
  /** Brackets ( [ { and template `${` open around the token. */
  depth: number;
  /** A line break between the previous token and this one (for automatic semicolon insertion). */
  nl: boolean;
  /** Where a string, template piece or regex body starts and ends (the part masking blanks). */
  innerStart: number;
  innerEnd: number;
  /** Template piece: `…` whole (no substitution); else a head/middle/tail piece of one with `${ … }`. */
  whole?: boolean;
  /** Template piece that ends with `${` (an expression follows). */
  opensHole?: boolean;
  /** For an opening ( [ {: index of its closing token (or the token count when unclosed). */
  close?: number;
}

const PUNCTS = [
  ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
  "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "%=", "&=", "|=", "^=", "**", "<<", ">>",
];
/** After these keywords an expression starts, so a `/` opens a regex. */
const EXPR_KEYWORDS = new Set(["return", "typeof", "case", "do", "else", "in", "instanceof", "new", "delete", "void", "throw", "yield", "await", "of", "extends"]);

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c === 92 || c >= 128;
}
function isIdPart(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `/` starts a regex unless the previous token ends an operand (identifier, literal, `)`, `]`). */
function regexAllowed(prev: Token | undefined): boolean {
  if (!prev) return true;
  switch (prev.kind) {
    case "ident":
      return EXPR_KEYWORDS.has(prev.value);
    case "number":
    case "string":
    case "regex":
      return false;
    case "template":
      return !!prev.opensHole;
    case "punct":
      return !(prev.value === ")" || prev.value === "]" || prev.value === "++" || prev.value === "--");
  }
}

function tokenize(text: string): { tokens: Token[]; comments: Array<[number, number]> } {
  const tokens: Token[] = [];
  const comments: Array<[number, number]> = [];
  // Open brackets: the index of an opening ( [ { token, or -1 for a template's `${`.
  const stack: number[] = [];
  const n = text.length;
  let i = 0;
  let nl = false;

  const push = (kind: Kind, value: string, start: number, end: number, innerStart = start, innerEnd = start): Token => {
    const t: Token = { kind, value, start, end, depth: stack.length, nl, innerStart, innerEnd };
    tokens.push(t);
    nl = false;
    return t;
  };

  /** A template piece from `from` (just after the opening backtick or the `}` closing a hole). */
  const templatePiece = (tokenStart: number, from: number, head: boolean) => {
    // A piece ends at the closing backtick or at a hole's `${`.
    const { value, end: j } = readLiteral(text, from, (c, at) => c === 96 /* ` */ || (c === 36 /* $ */ && text.charCodeAt(at + 1) === 123 /* { */));
    if (j >= n) {
      push("template", value, tokenStart, n, from, n).whole = head;
      i = n;
    } else if (text.charCodeAt(j) === 96) {
      push("template", value, tokenStart, j + 1, from, j).whole = head;
      i = j + 1;
    } else {
      const t = push("template", value, tokenStart, j + 2, from, j);
      t.opensHole = true;
      stack.push(-1);
      i = j + 2;
    }
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    // Whitespace.
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      nl = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff) {
      i++;
      continue;
    }
    const next = text.charCodeAt(i + 1);
    // Comments (and a leading #! line).
    if (c === 47 /* / */ && next === 47) {
      let j = text.indexOf("\n", i);
      if (j === -1) j = n;
      comments.push([i, j]);
      i = j;
      continue;
    }
    if (c === 47 && next === 42 /* * */) {
      const e = text.indexOf("*/", i + 2);
      const j = e === -1 ? n : e + 2;
      if (text.slice(i, j).includes("\n")) nl = true;
      comments.push([i, j]);
      i = j;
      continue;
    }
    if (c === 35 /* # */ && next === 33 /* ! */ && i === 0) {
      let j = text.indexOf("\n");
      if (j === -1) j = n;
      comments.push([0, j]);
      i = j;
      continue;
    }
    // Identifiers and keywords.
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdPart(text.charCodeAt(j))) j++;
      push("ident", text.slice(i, j), i, j);
      i = j;
      continue;
    }
    // Numbers (1, 1_000, 0x1F, 1e-5, .5, 10n).
    if (isDigit(c) || (c === 46 /* . */ && isDigit(next))) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isIdPart(d) || d === 46) j++;
        else if ((d === 43 || d === 45) && /[eE]/.test(text[j - 1]) && !/^0[xX]/.test(text.slice(i, j))) j++;
        else break;
      }
      push("number", text.slice(i, j), i, j);
      i = j;
      continue;
    }
    // Strings.
    if (c === 34 /* " */ || c === 39 /* ' */) {
      // A string ends at its quote, or (unterminated) at the end of the line.
      const { value, end: j } = readLiteral(text, i + 1, (d) => d === c || d === 10 || d === 13);
      const closed = j < n && text.charCodeAt(j) === c;
      push("string", value, i, closed ? j + 1 : j, i + 1, Math.min(j, n));
      i = closed ? j + 1 : j;
      continue;
    }
    // Template literals.
    if (c === 96) {
      templatePiece(i, i + 1, true);
      continue;
    }
    // Brackets.
    if (c === 40 || c === 91 || c === 123 /* ( [ { */) {
      const t = push("punct", text[i], i, i + 1);
      t.close = -1;
      stack.push(tokens.length - 1);
      i++;
      continue;
    }
    if (c === 41 || c === 93 || c === 125 /* ) ] } */) {
      if (c === 125 && stack.length && stack[stack.length - 1] === -1) {
        // The `}` closing a template's `${ … }`: the template goes on.
        stack.pop();
        templatePiece(i, i + 1, false);
        continue;
      }
      const open = stack.length && stack[stack.length - 1] !== -1 ? stack.pop()! : undefined;
      push("punct", text[i], i, i + 1);
      if (open !== undefined) tokens[open].close = tokens.length - 1;
      i++;
      continue;
    }
    // Regex literals.
    if (c === 47 && regexAllowed(tokens[tokens.length - 1])) {
      let j = i + 1;
      let inClass = false;
      let ok = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 10 || d === 13) break;
        if (d === 92) j += 2;
        else {
          if (d === 91) inClass = true;
          else if (d === 93) inClass = false;
          else if (d === 47 && !inClass) {
            ok = true;
            break;
          }
          j++;
        }
      }
      if (ok) {
        let k = j + 1;
        while (k < n && isIdPart(text.charCodeAt(k))) k++;
        push("regex", text.slice(i, k), i, k, i + 1, j);
        i = k;
        continue;
      }
      // Not a regex after all (no closing `/` on the line): read it as division.
    }
    // Other punctuators.
    let p = text[i];
    for (const q of PUNCTS) {
      if (text.startsWith(q, i)) {
        // `a?.5:b` is a conditional, not optional chaining.
        if (q === "?." && isDigit(text.charCodeAt(i + 2))) continue;
        p = q;
        break;
      }
    }
    if (p === "/" && text.charCodeAt(i + 1) === 61) p = "/=";
    push("punct", p, i, i + p.length);
    i += p.length;
  }
  for (const open of stack) if (open >= 0) tokens[open].close = tokens.length;
  return { tokens, comments };
}

/** The escape sequence at `text[at] === "\\"`: its cooked value and where it ends. */
/**
 * Reads a string or template body from `from` up to (not including) the first character where `stop`
 * holds, or the end of the text, decoding escapes on the way.
 */
function readLiteral(text: string, from: number, stop: (c: number, at: number) => boolean): { value: string; end: number } {
  let j = from;
  let value = "";
  let chunk = from;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (stop(c, j)) break;
    if (c === 92 /* \ */) {
      value += text.slice(chunk, j);
      const e = readEscape(text, j);
      value += e.value;
      j = e.end;
      chunk = j;
      continue;
    }
    j++;
  }
  return { value: value + text.slice(chunk, j), end: j };
}

function readEscape(text: string, at: number): { value: string; end: number } {
  const c = text[at + 1];
  if (c === undefined) return { value: "", end: at + 1 };
  const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", "0": "\0" };
  if (c === "\r") return { value: "", end: text[at + 2] === "\n" ? at + 3 : at + 2 };
  if (c === "\n" || c === "\u2028" || c === "\u2029") return { value: "", end: at + 2 };
  if (c in simple && !(c === "0" && /[0-9]/.test(text[at + 2] ?? ""))) return { value: simple[c], end: at + 2 };
  if (c === "x") {
    const h = text.slice(at + 2, at + 4);
    if (/^[0-9a-fA-F]{2}$/.test(h)) return { value: String.fromCharCode(parseInt(h, 16)), end: at + 4 };
  }
  if (c === "u") {
    const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(text.slice(at + 2, at + 10));
    if (braced) {
      const cp = parseInt(braced[1], 16);
      if (cp <= 0x10ffff) return { value: String.fromCodePoint(cp), end: at + 2 + braced[0].length };
    }
    const h = text.slice(at + 2, at + 6);
    if (/^[0-9a-fA-F]{4}$/.test(h)) return { value: String.fromCharCode(parseInt(h, 16)), end: at + 6 };
  }
  const cp = text.codePointAt(at + 1)!;
  const ch = String.fromCodePoint(cp);
  return { value: ch, end: at + 1 + ch.length };
}

// ---------------------------------------------------------------------------------------------------
// Reading the module's top level

interface Imports {
  found: boolean;
  /** Local names bound to defineModel / checkGradients (aliases included). */
  defineModel: Set<string>;
  checkGradients: Set<string>;
  /** `import * as gl from "gradient-lens"` / `const gl = require("gradient-lens")`. */
  namespaces: Set<string>;
}

interface TopLevel {
  imports: Imports;
  /** Top-level calls (by the index of their first token) that are a declarator's whole value or `export default`. */
  calls: Map<number, { binding?: string; exportedAs?: string }>;
  /** Local binding → the names `export { … }` / `export default x` export it under, in source order. */
  exportsOf: Map<string, string[]>;
}

const isP = (t: Token | undefined, v: string): boolean => !!t && t.kind === "punct" && t.value === v;
const isId = (t: Token | undefined, v?: string): boolean => !!t && t.kind === "ident" && (v === undefined || t.value === v);
const isModuleSpec = (t: Token | undefined): boolean =>
  !!t && t.kind === "string" && (t.value === MODULE || t.value.startsWith(MODULE + "/"));

/** Tokens that, on a new line after a complete operand, start the next statement (no continuation). */
function startsStatement(prev: Token | undefined, t: Token | undefined): boolean {
  if (!t) return true;
  if (!t.nl || !prev) return false;
  const prevEnds =
    prev.kind === "number" || prev.kind === "string" || prev.kind === "regex" ||
    (prev.kind === "template" && !prev.opensHole) ||
    (prev.kind === "ident" && !EXPR_KEYWORDS.has(prev.value)) ||
    (prev.kind === "punct" && [")", "]", "}", "++", "--"].includes(prev.value));
  if (!prevEnds) return false;
  if (t.kind === "ident") return !["as", "satisfies", "instanceof", "in", "of"].includes(t.value);
  return t.kind === "string" || t.kind === "number" || t.kind === "regex" || (t.kind === "punct" && ["++", "--", "!", "~", "@", "{", ";"].includes(t.value));
}

function readTopLevel(toks: Token[]): TopLevel {
  const imports: Imports = { found: false, defineModel: new Set(), checkGradients: new Set(), namespaces: new Set() };
  const calls: TopLevel["calls"] = new Map();
  const exportsOf: TopLevel["exportsOf"] = new Map();
  const addExport = (local: string, exported: string) => exportsOf.set(local, [...(exportsOf.get(local) ?? []), exported]);
  const addNamed = (local: string, imported: string) => {
    if (imported === "defineModel") imports.defineModel.add(local);
    if (imported === "checkGradients") imports.checkGradients.add(local);
  };

  /** `{ a, b as c, type d }` (import/export) or `{ a, b: c }` (require): [source name, local name] pairs. */
  const readList = (open: number, sep: "as" | ":"): Array<[string, string]> => {
    const out: Array<[string, string]> = [];
    const close = toks[open].close ?? toks.length;
    let k = open + 1;
    while (k < close) {
      let a = toks[k];
      if (isId(a, "type") && k + 1 < close && !isP(toks[k + 1], ",") && !isId(toks[k + 1], "as")) a = toks[++k];
      if (a && (a.kind === "ident" || a.kind === "string")) {
        let local = a.value;
        if ((sep === "as" ? isId(toks[k + 1], "as") : isP(toks[k + 1], ":")) && toks[k + 2] && (toks[k + 2].kind === "ident" || toks[k + 2].kind === "string")) {
          local = toks[k + 2].value;
          k += 2;
        }
        out.push([a.value, local]);
      }
      while (k < close && !(isP(toks[k], ",") && toks[k].depth === toks[open].depth + 1)) k++;
      k++;
    }
    return out;
  };

  /** `require("gradient-lens")` at k: the index after it, or -1. */
  const requireAt = (k: number): number =>
    isId(toks[k], "require") && isP(toks[k + 1], "(") && isModuleSpec(toks[k + 2]) && isP(toks[k + 3], ")") ? k + 4 : -1;

  /** A defineModel call (possibly in parentheses) that is the whole expression at k: its first token's index. */
  const wholeCallAt = (k: number): number => {
    const wraps: number[] = [];
    while (isP(toks[k], "(")) wraps.push(k++);
    const call = callAt(toks, k, imports.defineModel, imports.namespaces, "defineModel");
    if (!call) return -1;
    let e = (toks[call.open].close ?? toks.length) + 1;
    // Inside each wrapping `( … )` only a non-null `!` or an `as` / `satisfies` type may follow the call.
    for (let w = wraps.length - 1; w >= 0; w--) {
      const close = toks[wraps[w]].close ?? toks.length;
      while (isP(toks[e], "!")) e++;
      if (isId(toks[e], "as") || isId(toks[e], "satisfies")) e = close;
      if (e !== close) return -1;
      e++;
    }
    while (isP(toks[e], "!")) e++;
    const t = toks[e];
    if (!t || isP(t, ";") || isP(t, ",") || isId(t, "as") || isId(t, "satisfies") || startsStatement(toks[e - 1], t)) return k;
    return -1;
  };

  /** `const|let|var` declarators from k (just after the keyword); returns the index after the statement. */
  const declarations = (k: number, exported: boolean): number => {
    const depth = toks[k - 1].depth;
    for (;;) {
      const target = toks[k];
      let name: string | undefined;
      let pattern = -1;
      if (isId(target)) {
        name = target.value;
        k++;
      } else if (isP(target, "{") || isP(target, "[")) {
        pattern = k;
        k = (target.close ?? toks.length) + 1;
      } else return k;
      if (isP(toks[k], "!")) k++;
      if (isP(toks[k], ":")) {
        // A type annotation: up to the `=`, `,` or `;` outside its angle brackets.
        let angle = 0;
        for (k++; k < toks.length; k++) {
          const t = toks[k];
          if (t.depth < depth) return k;
          if (t.depth > depth || t.kind !== "punct") {
            if (t.depth === depth && startsStatement(toks[k - 1], t) && angle <= 0) return k;
            continue;
          }
          if (t.value === "<") angle++;
          else if (/^>+$/.test(t.value)) angle -= t.value.length;
          else if (t.value === ">=" || t.value === ">>=") {
            angle -= t.value.length - 1;
            if (angle <= 0) break;
          } else if (angle <= 0 && (t.value === "=" || t.value === "," || t.value === ";")) break;
        }
      }
      if (isP(toks[k], "=")) {
        k++;
        const req = requireAt(k);
        if (req !== -1) {
          imports.found = true;
          if (name) imports.namespaces.add(name);
          else if (isP(toks[pattern], "{")) for (const [imported, local] of readList(pattern, ":")) addNamed(local, imported);
          k = req;
        } else {
          const call = name ? wholeCallAt(k) : -1;
          if (call !== -1) calls.set(call, { binding: name, exportedAs: exported ? name : undefined });
          // Skip the initializer.
          const from = k;
          while (k < toks.length) {
            const t = toks[k];
            if (t.depth < depth) return k;
            if (t.depth === depth && (isP(t, ",") || isP(t, ";") || (k > from && startsStatement(toks[k - 1], t)))) break;
            k++;
          }
        }
      }
      if (isP(toks[k], ",")) k++;
      else return k;
    }
  };

  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.depth !== 0 || t.kind !== "ident") continue;
    const prev = toks[i - 1];
    if (isP(prev, ".") || isP(prev, "?.")) continue;
    if (t.value === "import") {
      let k = i + 1;
      if (isP(toks[k], "(") || isP(toks[k], ".")) continue; // import(…), import.meta
      if (isId(toks[k], "type") && !isId(toks[k + 1], "from") && !isP(toks[k + 1], ",") && !isP(toks[k + 1], "=")) k++;
      if (isModuleSpec(toks[k])) {
        imports.found = true;
        continue;
      }
      // import x = require("gradient-lens")
      if (isId(toks[k]) && isP(toks[k + 1], "=")) {
        if (requireAt(k + 2) !== -1) {
          imports.found = true;
          imports.namespaces.add(toks[k].value);
        }
        continue;
      }
      const namespaces: string[] = [];
      const named: Array<[string, string]> = [];
      for (;;) {
        const a = toks[k];
        if (isId(a) && !isId(a, "from")) {
          namespaces.push(a.value);
          k++;
        } else if (isP(a, "*") && isId(toks[k + 1], "as") && isId(toks[k + 2])) {
          namespaces.push(toks[k + 2].value);
          k += 3;
        } else if (isP(a, "{")) {
          named.push(...readList(k, "as"));
          k = (a.close ?? toks.length) + 1;
        } else break;
        if (isP(toks[k], ",")) k++;
        else break;
      }
      if (isId(toks[k], "from") && isModuleSpec(toks[k + 1])) {
        imports.found = true;
        for (const ns of namespaces) imports.namespaces.add(ns);
        for (const [imported, local] of named) addNamed(local, imported);
      }
      i = k;
    } else if (t.value === "export") {
      const a = toks[i + 1];
      if (isId(a, "default")) {
        const call = wholeCallAt(i + 2);
        if (call !== -1) calls.set(call, { exportedAs: "default" });
        else {
          let k = i + 2;
          let wraps = 0;
          while (isP(toks[k], "(")) {
            k++;
            wraps++;
          }
          const id = toks[k];
          let e = k + 1;
          while (wraps > 0 && isP(toks[e], ")")) {
            e++;
            wraps--;
          }
          const end = toks[e];
          if (isId(id) && wraps === 0 && (!end || isP(end, ";") || isId(end, "as") || isId(end, "satisfies") || startsStatement(toks[e - 1], end))) {
            if (!["function", "class", "async", "abstract", "interface", "enum"].includes(id.value)) addExport(id.value, "default");
          }
        }
      } else if (isP(a, "{")) {
        const close = a.close ?? toks.length;
        if (!isId(toks[close + 1], "from")) for (const [local, exported] of readList(i + 1, "as")) addExport(local, exported);
        i = close;
      } else if (isId(a, "const") || isId(a, "let") || isId(a, "var")) {
        i = declarations(i + 2, true) - 1;
      }
    } else if ((t.value === "const" || t.value === "let" || t.value === "var") && !isId(prev, "export") && !isId(prev, "declare")) {
      i = declarations(i + 1, false) - 1;
    }
  }
  return { imports, calls, exportsOf };
}

// ---------------------------------------------------------------------------------------------------
// Calls

/** A call of `name(…)` (a local name) or `ns.member(…)` starting at token k, with optional type arguments. */
function callAt(toks: Token[], k: number, locals: Set<string>, namespaces: Set<string>, member: string): { start: number; open: number } | undefined {
  const t = toks[k];
  if (!t || t.kind !== "ident") return undefined;
  const prev = toks[k - 1];
  if (isP(prev, ".") || isP(prev, "?.") || isId(prev, "function")) return undefined;
  let j: number;
  if (locals.has(t.value)) j = k + 1;
  else if (namespaces.has(t.value) && (isP(toks[k + 1], ".") || isP(toks[k + 1], "?.")) && isId(toks[k + 2], member)) j = k + 3;
  else return undefined;
  if (isP(toks[j], "?.")) j++;
  if (isP(toks[j], "<")) {
    // Type arguments: to the matching `>` (`>>` closes two), within reason.
    let angle = 0;
    const limit = Math.min(toks.length, j + 200);
    for (; j < limit; j++) {
      const v = toks[j];
      if (v.kind !== "punct") continue;
      if (v.value === "<") angle++;
      else if (/^>+$/.test(v.value)) angle -= v.value.length;
      else if (v.value === ";") return undefined;
      if (angle <= 0) break;
    }
    if (angle !== 0) return undefined;
    j++;
  }
  if (!isP(toks[j], "(")) return undefined;
  // `defineModel(x) { … }` in a class or object literal declares a method, it does not call.
  if (isP(toks[(toks[j].close ?? toks.length) + 1], "{") && !toks[(toks[j].close ?? toks.length) + 1].nl) return undefined;
  return { start: k, open: j };
}

function findCalls(toks: Token[], locals: Set<string>, namespaces: Set<string>, member: string): Array<{ start: number; open: number }> {
  if (!locals.size && !namespaces.size) return [];
  const out: Array<{ start: number; open: number }> = [];
  for (let k = 0; k < toks.length; k++) {
    if (toks[k].kind !== "ident") continue;
    const call = callAt(toks, k, locals, namespaces, member);
    if (call) out.push(call);
  }
  return out;
}

/** The string literal of `name:` at the top level of the object literal that is the call's first argument. */
function specNameLiteral(toks: Token[], open: number): string | undefined {
  const obj = toks[open + 1];
  if (!isP(obj, "{")) return undefined;
  const close = obj.close ?? toks.length;
  let found: string | undefined;
  for (let k = open + 2; k < close; k++) {
    const t = toks[k];
    if (t.depth !== obj.depth + 1) continue;
    const key = (t.kind === "ident" || t.kind === "string") && t.value === "name";
    if (!key || !(isP(toks[k - 1], "{") || isP(toks[k - 1], ","))) continue;
    // The last `name` key wins, as in the object it builds.
    if (!isP(toks[k + 1], ":")) {
      found = undefined; // `name,` or `name() {}`: not a literal
      continue;
    }
    const v = toks[k + 2];
    const after = toks[k + 3];
    const literal = v && (v.kind === "string" || (v.kind === "template" && v.whole));
    const ends = !after || isP(after, ",") || isP(after, "}") || isId(after, "as");
    found = literal && ends ? v.value : undefined;
  }
  return found;
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
