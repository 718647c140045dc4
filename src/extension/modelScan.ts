/**
 * Finds, from the source text alone, the models a file exports through `defineModel` and its
 * `checkGradients` calls: where CodeLenses go. Never runs code. The file is parsed by `@babel/parser`
 * (TypeScript plugin, error recovery on, so a file being typed still yields what parses), then one
 * pass over the module's top-level statements reads imports, declarations, assignments and exports
 * (ESM and CommonJS), and one walk of the whole tree finds the calls. Pure; no vscode import.
 *
 * Why @babel/parser (measured with `node bench/modelScan.mjs`, numbers in bench/README.md): a tenth
 * of the TypeScript compiler's bundle size, a faster cold start, and full TypeScript syntax.
 */
import { parse } from "@babel/parser";
import type * as t from "@babel/types";
import { abridgeName, MAX_NAME } from "../protocol/webview";

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
const EMPTY: ScanResult = { importsGradientLens: false, models: [], checks: [] };

/** Cheap pre-filter: files that never mention the module cost a substring search and nothing more. */
export function mentionsGradientLens(text: string): boolean {
  return text.includes(MODULE);
}

export function scanSource(text: string): ScanResult {
  if (!mentionsGradientLens(text)) return EMPTY;
  const program = parseModule(text);
  if (!program) return EMPTY;
  const top = readTopLevel(program);
  if (!top.imports.found) return EMPTY;
  const isCall = (name: "defineModel" | "checkGradients") => calleeMatcher(top.imports, name);
  const isDefineModel = isCall("defineModel");

  // Each defineModel call the module exports, by the export names of its binding or its own export.
  const exportNamesOf = (call: t.CallExpression): string[] => {
    const site = top.modelSites.get(call);
    if (!site) return [];
    return [...site.exportedAs, ...site.bindings.flatMap((b) => top.exportsOf.get(b) ?? [])];
  };

  const models: ScannedModel[] = [];
  const bindingToExport = new Map<string, string>();
  const checks: ScannedCheck[] = [];
  const checkCalls: t.CallExpression[] = [];
  const isCheck = isCall("checkGradients");
  walk(program, (node) => {
    if (node.type !== "CallExpression") return;
    if (isDefineModel(node)) {
      const names = exportNamesOf(node);
      if (!names.length) return;
      // One entry per call (one set of lenses, one row in the model list), under its first export name:
      // `export const m = defineModel(…)` plus `export default m` is one model, run as `m`.
      const exportName = names[0];
      // An export name too long for the protocol could not be run by name: such a model is not offered.
      if (exportName.length > MAX_NAME) return;
      models.push({ exportName, name: abridgeName(specName(node) ?? exportName), ...position(node) });
      for (const b of top.modelSites.get(node)?.bindings ?? []) if (!bindingToExport.has(b)) bindingToExport.set(b, exportName);
    } else if (isCheck(node)) checkCalls.push(node);
  });
  for (const call of checkCalls) {
    const arg = call.arguments[0];
    checks.push({ ...position(call), exportName: arg?.type === "Identifier" ? bindingToExport.get(arg.name) : undefined });
  }
  const bySource = (a: { line: number; column: number }, b: { line: number; column: number }) => a.line - b.line || a.column - b.column;
  models.sort(bySource);
  checks.sort(bySource);
  return { importsGradientLens: true, models, checks };
}

/**
 * The module's AST, or undefined when even error recovery cannot read it. Babel recovers from many
 * errors but not all (`let x = ;`, an unclosed bracket); a file being typed should keep its lenses.
 * So, a few times: an error inside the text blanks its line (offsets kept) and the text is read
 * again; an error at the end (something left open) cuts the text at the last line that starts a
 * top-level statement (no indent) before it, keeping the models above.
 */
function parseModule(source: string): t.Program | undefined {
  let text = source;
  for (let attempt = 0; attempt < 4; attempt++) {
    const result = tryParse(text);
    if ("program" in result) return result.program;
    if (result.pos === undefined) return undefined;
    const pos = Math.min(result.pos, text.length);
    if (text.slice(pos).trim() === "") {
      text = text.slice(0, lastStatementStart(text, pos));
    } else {
      const start = text.lastIndexOf("\n", pos - 1) + 1;
      const newline = text.indexOf("\n", start);
      const end = newline < 0 ? text.length : newline;
      text = text.slice(0, start) + " ".repeat(end - start) + text.slice(end);
    }
  }
  return undefined;
}

/** The start of the last line before `pos` that begins with a non-blank character (0 if none). */
function lastStatementStart(text: string, pos: number): number {
  for (let i = text.lastIndexOf("\n", pos - 1); i >= 0; i = text.lastIndexOf("\n", i - 1)) {
    if (i + 1 < pos && /\S/.test(text[i + 1]) && i + 1 < text.length) return i + 1;
  }
  return 0;
}

function tryParse(text: string): { program: t.Program } | { pos?: number } {
  try {
    const file = parse(text, {
      sourceType: "module",
      plugins: ["typescript"],
      errorRecovery: true,
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowUndeclaredExports: true,
    });
    return { program: file.program };
  } catch (e) {
    const pos = (e as { pos?: unknown }).pos;
    return { pos: typeof pos === "number" ? pos : undefined };
  }
}

function position(node: t.Node): { line: number; column: number } {
  const start = node.loc!.start;
  return { line: start.line - 1, column: start.column };
}

// ── the module's top level ──────────────────────────────────────────────────────────────────────

interface Imports {
  found: boolean;
  /** Local names of the imported `defineModel` / `checkGradients`. */
  defineModel: Set<string>;
  checkGradients: Set<string>;
  /** `import * as gl from "gradient-lens"` / `const gl = require("gradient-lens")`. */
  namespaces: Set<string>;
}

/** Where a top-level defineModel call's value goes: names it is exported as directly, bindings that hold it. */
interface ModelSite {
  exportedAs: string[];
  bindings: string[];
}

interface TopLevel {
  imports: Imports;
  /** The top-level defineModel calls whose value is a binding's whole value or an export's. */
  modelSites: Map<t.CallExpression, ModelSite>;
  /** Top-level binding → the names it is exported under, in source order. */
  exportsOf: Map<string, string[]>;
}

const isGradientLens = (source: string) => source === MODULE || source.startsWith(MODULE + "/");

function readTopLevel(program: t.Program): TopLevel {
  const imports: Imports = { found: false, defineModel: new Set(), checkGradients: new Set(), namespaces: new Set() };
  const modelSites = new Map<t.CallExpression, ModelSite>();
  const exportsOf = new Map<string, string[]>();
  /** The value of each top-level name: the defineModel call assigned last wins only if no other value is assigned. */
  const pending: Array<{ value: t.Expression; exportedAs?: string; binding?: string }> = [];

  const addNamed = (imported: string, local: string) => {
    if (imported === "defineModel") imports.defineModel.add(local);
    if (imported === "checkGradients") imports.checkGradients.add(local);
  };
  const exportAs = (local: string, exported: string) => {
    const list = exportsOf.get(local) ?? [];
    list.push(exported);
    exportsOf.set(local, list);
  };
  const readRequire = (id: t.Node, init: t.Expression | null | undefined) => {
    const source = requireSource(init);
    if (source === undefined || !isGradientLens(source)) return false;
    imports.found = true;
    if (id.type === "Identifier") imports.namespaces.add(id.name);
    else if (id.type === "ObjectPattern") {
      for (const p of id.properties) {
        if (p.type !== "ObjectProperty" || p.computed) continue;
        const key = propertyName(p.key);
        const value = p.value.type === "AssignmentPattern" ? p.value.left : p.value;
        if (key !== undefined && value.type === "Identifier") addNamed(key, value.name);
      }
    }
    return true;
  };
  const readDeclaration = (decl: t.VariableDeclaration, exported: boolean) => {
    for (const d of decl.declarations) {
      if (readRequire(d.id, d.init)) continue;
      if (d.id.type !== "Identifier") continue;
      if (exported) exportAs(d.id.name, d.id.name);
      if (d.init) pending.push({ value: d.init, binding: d.id.name });
    }
  };

  for (const stmt of program.body) {
    switch (stmt.type) {
      case "ImportDeclaration": {
        if (!isGradientLens(stmt.source.value)) break;
        imports.found = true;
        if (stmt.importKind === "type") break;
        for (const s of stmt.specifiers) {
          if (s.type === "ImportSpecifier") {
            if (s.importKind !== "type") addNamed(propertyName(s.imported) ?? "", s.local.name);
          } else imports.namespaces.add(s.local.name);
        }
        break;
      }
      case "TSImportEqualsDeclaration":
        if (stmt.moduleReference.type === "TSExternalModuleReference" && isGradientLens(stmt.moduleReference.expression.value)) {
          imports.found = true;
          imports.namespaces.add(stmt.id.name);
        }
        break;
      case "VariableDeclaration":
        readDeclaration(stmt, false);
        break;
      case "ExportNamedDeclaration":
        if (stmt.source) {
          // `export { x } from "gradient-lens"` is a use of the module; re-exports of other files name their models, not this file's.
          if (isGradientLens(stmt.source.value)) imports.found = true;
          break;
        }
        if (stmt.declaration?.type === "VariableDeclaration") readDeclaration(stmt.declaration, true);
        for (const s of stmt.specifiers) {
          if (s.type === "ExportSpecifier" && s.exportKind !== "type") exportAs(s.local.name, propertyName(s.exported) ?? s.local.name);
        }
        break;
      case "ExportAllDeclaration":
        if (isGradientLens(stmt.source.value)) imports.found = true;
        break;
      case "ExportDefaultDeclaration": {
        const d = stmt.declaration;
        if (d.type === "Identifier") exportAs(d.name, "default");
        else if (isExpression(d)) pending.push({ value: d, exportedAs: "default" });
        break;
      }
      case "TSExportAssignment": // export = m
        if (stmt.expression.type === "Identifier") exportAs(stmt.expression.name, "default");
        else pending.push({ value: stmt.expression, exportedAs: "default" });
        break;
      case "ExpressionStatement": {
        const e = unwrap(stmt.expression);
        if (e.type !== "AssignmentExpression" || e.operator !== "=") break;
        const target = commonJsExport(e.left);
        if (target !== undefined) {
          // module.exports = … / exports.name = … / module.exports.name = …
          const right = unwrap(e.right);
          if (target === "default" && right.type === "ObjectExpression") {
            for (const p of right.properties) {
              if (p.type !== "ObjectProperty" || p.computed) continue;
              const key = propertyName(p.key);
              if (key === undefined) continue;
              const value = p.value;
              if (value.type === "Identifier") exportAs(value.name, key);
              else if (isExpression(value)) pending.push({ value, exportedAs: key });
            }
          } else if (right.type === "Identifier") exportAs(right.name, target);
          else pending.push({ value: e.right, exportedAs: target });
        } else if (e.left.type === "Identifier") pending.push({ value: e.right, binding: e.left.name }); // let m; m = defineModel(…)
        break;
      }
    }
  }

  const isDefineModel = calleeMatcher(imports, "defineModel");
  for (const { value, exportedAs, binding } of pending) {
    const call = unwrap(value);
    if (call.type !== "CallExpression" || !isDefineModel(call)) continue;
    const site = modelSites.get(call) ?? { exportedAs: [], bindings: [] };
    if (exportedAs) site.exportedAs.push(exportedAs);
    if (binding) site.bindings.push(binding);
    modelSites.set(call, site);
  }
  return { imports, modelSites, exportsOf };
}

/** `require("x")` → "x". */
function requireSource(init: t.Expression | null | undefined): string | undefined {
  if (!init) return undefined;
  const e = unwrap(init);
  if (e.type !== "CallExpression" || e.callee.type !== "Identifier" || e.callee.name !== "require") return undefined;
  const arg = e.arguments[0];
  return arg?.type === "StringLiteral" ? arg.value : undefined;
}

/** The export name a CommonJS assignment target writes: `module.exports` → "default", `exports.a` / `module.exports.a` → "a". */
function commonJsExport(left: t.LVal | t.OptionalMemberExpression): string | undefined {
  const isModuleExports = (n: t.Node) =>
    n.type === "MemberExpression" && !n.computed && isIdentifier(n.object, "module") && isIdentifier(n.property, "exports");
  if (isModuleExports(left)) return "default";
  if (left.type !== "MemberExpression") return undefined;
  const name = left.computed ? (left.property.type === "StringLiteral" ? left.property.value : undefined) : propertyName(left.property);
  if (name === undefined) return undefined;
  return isIdentifier(left.object, "exports") || isModuleExports(left.object) ? name : undefined;
}

// ── calls ───────────────────────────────────────────────────────────────────────────────────────

/** Whether a call calls the imported `member` (`defineModel(…)`, `gl.defineModel(…)`, `gl?.defineModel(…)`). */
function calleeMatcher(imports: Imports, member: "defineModel" | "checkGradients"): (call: t.CallExpression) => boolean {
  const locals = imports[member];
  return (call) => {
    const c = unwrap(call.callee as t.Expression);
    if (c.type === "Identifier") return locals.has(c.name);
    if ((c.type === "MemberExpression" || c.type === "OptionalMemberExpression") && !c.computed) {
      return c.object.type === "Identifier" && imports.namespaces.has(c.object.name) && isIdentifier(c.property, member);
    }
    return false;
  };
}

/** The spec's `name` when the first argument is an object literal whose `name` is a plain string. */
function specName(call: t.CallExpression): string | undefined {
  const arg = call.arguments[0];
  if (arg?.type !== "ObjectExpression") return undefined;
  for (const p of arg.properties) {
    if (p.type !== "ObjectProperty" || p.computed || propertyName(p.key) !== "name") continue;
    const v = p.value;
    if (v.type === "StringLiteral") return v.value;
    if (v.type === "TemplateLiteral" && v.expressions.length === 0) return v.quasis[0].value.cooked ?? undefined;
    return undefined;
  }
  return undefined;
}

// ── AST helpers ─────────────────────────────────────────────────────────────────────────────────

/** Strips parentheses and TypeScript's value-preserving wrappers (`as`, `satisfies`, `!`, `<T>x`). */
function unwrap(e: t.Expression): t.Expression {
  for (;;) {
    switch (e.type) {
      case "ParenthesizedExpression":
      case "TSAsExpression":
      case "TSSatisfiesExpression":
      case "TSNonNullExpression":
      case "TSTypeAssertion":
        e = e.expression;
        break;
      default:
        return e;
    }
  }
}

function propertyName(key: t.Node): string | undefined {
  if (key.type === "Identifier") return key.name;
  if (key.type === "StringLiteral") return key.value;
  return undefined;
}

function isIdentifier(n: t.Node, name: string): boolean {
  return n.type === "Identifier" && n.name === name;
}

function isExpression(n: t.Node): n is t.Expression {
  return !n.type.endsWith("Declaration") && n.type !== "ClassDeclaration";
}

const SKIP = new Set(["loc", "start", "end", "extra", "range", "leadingComments", "trailingComments", "innerComments", "comments", "errors"]);

/** Visits every node of the tree in source order (children in their fields' order). */
function walk(node: t.Node, visit: (n: t.Node) => void): void {
  visit(node);
  for (const key in node) {
    if (SKIP.has(key)) continue;
    const v = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(v)) {
      for (const c of v) if (isNode(c)) walk(c, visit);
    } else if (isNode(v)) walk(v, visit);
  }
}

function isNode(v: unknown): v is t.Node {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}
