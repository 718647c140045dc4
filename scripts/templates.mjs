// New-model templates from the examples' healthy exports (examples/templates.json names example file
// and export). Each template is the example cut down to that one export, now the default export, and
// the top-level declarations and imports it uses, found with the TypeScript parser: one source of truth,
// the examples. `npm run build` writes them to dist/templates (<id>.ts and index.json); the .vsix ships them.
import ts from "typescript";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const hasModifier = (node, kind) => (ts.canHaveModifiers(node) ? ts.getModifiers(node) ?? [] : []).some((m) => m.kind === kind);

/** Names a top-level statement declares (imports included). */
function declaredNames(stmt) {
  const names = [];
  const bind = (n) => {
    if (ts.isIdentifier(n)) names.push(n.text);
    else for (const el of n.elements) if (!ts.isOmittedExpression(el)) bind(el.name);
  };
  if (ts.isVariableStatement(stmt)) for (const d of stmt.declarationList.declarations) bind(d.name);
  else if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt) || ts.isEnumDeclaration(stmt)) && stmt.name) names.push(stmt.name.text);
  else if (ts.isImportDeclaration(stmt) && stmt.importClause) {
    const c = stmt.importClause;
    if (c.name) names.push(c.name.text);
    if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) names.push(c.namedBindings.name.text);
    if (c.namedBindings && ts.isNamedImports(c.namedBindings)) for (const s of c.namedBindings.elements) names.push(s.name.text);
  }
  return names;
}

/** Identifiers a node refers to (property names after a dot and object-literal keys are not references). */
function referencedNames(node) {
  const out = new Set();
  const visit = (n) => {
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      const isMember = p && ts.isPropertyAccessExpression(p) && p.name === n;
      const isKey = p && (ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) && p.name === n;
      if (!isMember && !isKey) out.add(n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** The statement that exports `exportName`, and the expression that becomes the template's default export. */
function findExport(sf, exportName) {
  for (const stmt of sf.statements) {
    if (exportName === "default" && ts.isExportAssignment(stmt) && !stmt.isExportEquals) return { stmt, expression: stmt.expression };
    if (ts.isVariableStatement(stmt) && hasModifier(stmt, ts.SyntaxKind.ExportKeyword)) {
      const d = stmt.declarationList.declarations.find((x) => ts.isIdentifier(x.name) && x.name.text === exportName);
      if (d?.initializer) {
        if (stmt.declarationList.declarations.length > 1) throw new Error(`${sf.fileName}: declare ${exportName} on its own line to make it a template`);
        return { stmt, expression: d.initializer };
      }
    }
  }
  throw new Error(`${sf.fileName}: no export ${exportName} of the form \`export default …\` or \`export const ${exportName} = …\``);
}

/**
 * The standalone source of one export of an example: its imports (only the specifiers used), the
 * top-level declarations it needs (transitively, in their original order, without `export`), and
 * `export default <the export's expression>;`.
 */
export function extractTemplate(source, fileName, exportName, header) {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const target = findExport(sf, exportName);
  const declaring = new Map();
  for (const stmt of sf.statements) for (const n of declaredNames(stmt)) declaring.set(n, stmt);
  const needed = new Set();
  const used = new Set();
  const queue = [target.expression];
  while (queue.length) {
    for (const name of referencedNames(queue.pop())) {
      const stmt = declaring.get(name);
      if (!stmt || stmt === target.stmt) continue;
      used.add(name);
      if (needed.has(stmt)) continue;
      needed.add(stmt);
      if (!ts.isImportDeclaration(stmt)) queue.push(stmt);
    }
  }
  const imports = [];
  let code = "";
  let previous = -1;
  sf.statements.forEach((stmt, i) => {
    if (!needed.has(stmt)) return;
    if (ts.isImportDeclaration(stmt)) {
      const c = stmt.importClause;
      const named = c.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements.filter((s) => used.has(s.name.text)).map((s) => s.getText(sf)) : [];
      const def = c.name && used.has(c.name.text) ? c.name.text : "";
      const ns = c.namedBindings && ts.isNamespaceImport(c.namedBindings) && used.has(c.namedBindings.name.text) ? c.namedBindings.getText(sf) : "";
      const clause = [def, ns, named.length ? `{ ${named.join(", ")} }` : ""].filter(Boolean).join(", ");
      imports.push(`import ${c.isTypeOnly ? "type " : ""}${clause} from ${stmt.moduleSpecifier.getText(sf)};`);
      return;
    }
    const start = stmt.getStart(sf, true);
    let text = source.slice(start, stmt.end);
    if (hasModifier(stmt, ts.SyntaxKind.ExportKeyword)) text = text.replace(/^((?:\/\*\*[\s\S]*?\*\/\s*)?)export\s+/, "$1");
    // Statements that were neighbours keep the spacing (and comments) between them.
    const gap = code && previous === i - 1 ? source.slice(sf.statements[previous].end, start) : code ? "\n\n" : "";
    code += gap + text;
    previous = i;
  });
  const body = `export default ${source.slice(target.expression.getStart(sf), target.expression.end)};`;
  return [header, imports.join("\n"), code, body].filter(Boolean).join("\n\n") + "\n";
}

/** The manifest with each template's source, read from `examplesDir`. */
export function buildTemplates(examplesDir = path.join(ROOT, "examples")) {
  const manifest = JSON.parse(readFileSync(path.join(examplesDir, "templates.json"), "utf8"));
  return manifest.templates.map((t) => {
    const header = `/**\n * ${t.title}: ${t.description}.\n * From the Gradient Lens example ${t.example}${t.export === "default" ? "" : ` (export ${t.export})`}.\n */`;
    const source = extractTemplate(readFileSync(path.join(examplesDir, t.example), "utf8"), t.example, t.export, header);
    return { ...t, file: `${t.id}.ts`, source };
  });
}

/** Writes each template as <id>.ts and the list (without sources) as index.json into `out`. */
export function writeTemplates(out) {
  mkdirSync(out, { recursive: true });
  const templates = buildTemplates();
  for (const t of templates) writeFileSync(path.join(out, t.file), t.source);
  writeFileSync(path.join(out, "index.json"), JSON.stringify(templates.map(({ source, ...t }) => t), null, 2));
  return templates;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(ROOT, "dist", "templates"));
  console.log(`templates: ${writeTemplates(out).map((t) => t.file).join(", ")} → ${out}`);
}
