// The scanner on real TypeScript source: regex literals, nested templates, escapes, comments, and the
// export forms and scoping a line-by-line regex gets wrong. Each case failed before the tokenizer.
import { describe, expect, it } from "vitest";
import { scanSource } from "../../src/extension/modelScan";

const IMPORT = `import { defineModel, checkGradients } from "gradient-lens";\n`;
const models = (body: string) => scanSource(IMPORT + body).models.map((m) => [m.exportName, m.name]);

describe("scanSource: lexing", () => {
  it("does not take a quote or backtick inside a regex literal for a string start", () => {
    expect(models("const re = /`/;\nexport const a = defineModel({ name: \"A\" });")).toEqual([["a", "A"]]);
    expect(models(`const re = /'/; export const a = defineModel({ name: "A" });`)).toEqual([["a", "A"]]);
    expect(models(`const q = s.replace(/["']/g, "");\nexport const a = defineModel({ name: "A" });`)).toEqual([["a", "A"]]);
    // A regex right after `(`, `,`, `return`, `=` … and one with `/` or a quote inside a character class.
    const src = [
      `function f(s) { return /"/.test(s) || [/'/, /[/"]/].some((r) => r.test(s)); }`,
      `const ok = !/\`/.test("x") && typeof /'/ === "object";`,
      `export const a = defineModel({ name: "A" });`,
    ].join("\n");
    expect(models(src)).toEqual([["a", "A"]]);
  });

  it("reads `/` after an identifier, number, `)` or `]` as division", () => {
    const src = [
      `const half = total / 2, third = (total) / 3, q = xs[0] / 4 / "x".length, re = /\`/;`,
      "const w = 1 / 2 + 'x', n = 3 / 4 / 5;",
      `export const a = defineModel({ name: "A", lr: 1/2, decay: lr / 10 });`,
      `export const b = defineModel({ name: "B" });`,
    ].join("\n");
    expect(models(src)).toEqual([["a", "A"], ["b", "B"]]);
  });

  it("follows template literals with nested `${ … }` holding strings, braces and templates", () => {
    const src = [
      "const t = `a ${ \"`\" } b ${ { k: '}' }.k } c ${ `inner ${ \"'\" } x` } d`;",
      "const u = `${ (() => { return `}`; })() }`;",
      "const w = `a ${ \"`\" } b",
      "`;",
      `export const a = defineModel({ name: "A" });`,
      "const v = `export const z = ${ `defineModel({})` }`;",
    ].join("\n");
    expect(models(src)).toEqual([["a", "A"]]);
  });

  it("reads escaped quotes in the spec name", () => {
    expect(models(`export const a = defineModel({ name: "say \\"hi\\"" });`)).toEqual([["a", 'say "hi"']]);
    expect(models(`export const a = defineModel({ name: 'it\\'s' });`)).toEqual([["a", "it's"]]);
    expect(models("export const a = defineModel({ name: `tick \\` here` });")).toEqual([["a", "tick ` here"]]);
  });

  it("never finds models in comments, whatever the comment or string holds", () => {
    const src = [
      `const s = "/* not a comment";`,
      `export const a = defineModel({ name: "A" });`,
      `const r = /\\/\\/ not a comment/;`,
      `export const b = defineModel({ name: "B" });`,
      `const u = "http://example.com";`,
      `export const c = defineModel({ name: "C" });`,
      `const r2 = /\\/\\//g; export const c2 = defineModel({ name: "C2" });`,
      `const r3 = /[/*]/; export const c3 = defineModel({ name: "C3" });`,
      `/* export const d = defineModel({ name: "D" }); "unclosed`,
      `   export const e = defineModel({}); */`,
      `// export const f = defineModel({ name: "F" }); /*`,
      `export const g = defineModel({ name: "G" });`,
    ].join("\n");
    expect(models(src)).toEqual([["a", "A"], ["b", "B"], ["c", "C"], ["c2", "C2"], ["c3", "C3"], ["g", "G"]]);
  });

  it("keeps the call's position exact after regex, template and string contents on the same and earlier lines", () => {
    const src = IMPORT + "a = /'x/ + `t ${ b } u\n v` + 'q' // c\nexport default defineModel({ name: 'D' }); const z = /[`'\"]/;";
    expect(scanSource(src).models).toEqual([{ exportName: "default", name: "D", line: 3, column: 15 }]);
  });
});

describe("scanSource: export forms", () => {
  it("finds a defineModel in a later declarator of one declaration", () => {
    expect(models(`export const a = 1, b = defineModel({ name: "B" });`)).toEqual([["b", "B"]]);
    expect(models(`export let x = f(1, 2), y: Spec<A, B> = defineModel({ name: "Y" }), z = defineModel({ name: "Z" });`)).toEqual([
      ["y", "Y"],
      ["z", "Z"],
    ]);
  });

  it("finds `export default (defineModel(...))`", () => {
    expect(models(`export default (defineModel({ name: "paren" }));`)).toEqual([["default", "paren"]]);
    expect(models(`export default ((defineModel({ name: "typed" })) satisfies Spec);`)).toEqual([["default", "typed"]]);
    expect(models(`export default (defineModel({ name: "sum" }) + 1);`)).toEqual([]);
  });

  it("finds `export { m as default }`, `export { m as other }` and exports of a const declared later", () => {
    expect(models(`export { m as default };\nconst m = defineModel({ name: "M" });`)).toEqual([["default", "M"]]);
    expect(models(`export { m as other };\nconst m = defineModel({ name: "M" });`)).toEqual([["other", "M"]]);
    // The same name bound in a function body is not the exported one.
    const shadowed = `function f() { const m = defineModel({ name: "inner" }); }\nexport { m as other };\nconst m = defineModel({ name: "M" });`;
    expect(models(shadowed)).toEqual([["other", "M"]]);
    expect(models(`export default m\nconst m = defineModel({ name: "M" })\nexport const n = defineModel({ name: "N" })`)).toEqual([
      ["default", "M"],
      ["n", "N"],
    ]);
  });

  it("does not take `export { m } from …` for an export of the local m", () => {
    expect(models(`export { m } from "./other";\nconst m = defineModel({});`)).toEqual([]);
  });

  it("does not confuse a defineModel in a function body with an exported top-level name", () => {
    expect(models(`function f() { const m = defineModel({ name: "inner" }); return m; }\nconst m = 1;\nexport { m };`)).toEqual([]);
    expect(models(`export function g() {\n  const m = defineModel({});\n  return m;\n}\nexport default m;\nconst m = 2;`)).toEqual([]);
    const src = `export const m = defineModel({ name: "outer" });\nfunction h() { const m = defineModel({ name: "inner" }); }`;
    expect(models(src)).toEqual([["m", "outer"]]);
  });

  it("takes a binding only when the call is its whole value", () => {
    expect(models(`export const a = defineModel({ name: "A" }).withLr(1);`)).toEqual([]);
    expect(models(`export const a = defineModel({ name: "A" }) satisfies unknown;`)).toEqual([["a", "A"]]);
  });

  it("still links checkGradients to the exported model of a multi-declarator const", () => {
    const r = scanSource(IMPORT + `export const a = 1, b = defineModel({ name: "B" });\ncheckGradients(b);`);
    expect(r.checks).toEqual([{ line: 2, column: 0, exportName: "b" }]);
  });
});

describe("scanSource: CommonJS, assignments and re-exports", () => {
  it("finds `module.exports = defineModel(…)` as the default export and `exports.foo = …` as a named one", () => {
    const cjs = `const { defineModel } = require("gradient-lens");\n`;
    expect(scanSource(cjs + `module.exports = defineModel({ name: "M" });`).models).toEqual([{ exportName: "default", name: "M", line: 1, column: 17 }]);
    expect(scanSource(cjs + `exports.foo = defineModel({ name: "F" });\nmodule.exports.bar = defineModel({ name: "B" });`).models).toEqual([
      { exportName: "foo", name: "F", line: 1, column: 14 },
      { exportName: "bar", name: "B", line: 2, column: 21 },
    ]);
    expect(scanSource(cjs + `const m = defineModel({ name: "M" });\nmodule.exports = m;`).models.map((m) => m.exportName)).toEqual(["default"]);
    expect(scanSource(cjs + `const m = defineModel({ name: "M" });\nmodule.exports = { large: m, other: 1 };`).models.map((m) => m.exportName)).toEqual(["large"]);
    // Not an export: a property of some other object.
    expect(scanSource(cjs + `config.exports = defineModel({ name: "M" });`).models).toEqual([]);
  });

  it("finds a model assigned after its declaration", () => {
    expect(models(`let m;\nm = defineModel({ name: "Late" });\nexport default m;`)).toEqual([["default", "Late"]]);
    expect(models(`export let m: unknown;\nm = defineModel({ name: "Late" });`)).toEqual([["m", "Late"]]);
    // An assignment inside a function is not the module's value.
    expect(models(`let m;\nfunction f() { m = defineModel({ name: "inner" }); }\nexport default m;`)).toEqual([]);
  });

  it("takes re-exports of other files for theirs, and `export { m as n }` of a local for this file's", () => {
    expect(models(`export { default as x } from "./other";\nexport * from "./more";`)).toEqual([]);
    expect(models(`const m = defineModel({ name: "M" });\nexport { m as n };`)).toEqual([["n", "M"]]);
    // A re-export does not export the local binding of the same name.
    expect(models(`export { default as m } from "./other";\nconst m = defineModel({ name: "M" });`)).toEqual([]);
    // A file that only re-exports gradient-lens still counts as using it.
    expect(scanSource(`export { defineModel } from "gradient-lens";`).importsGradientLens).toBe(true);
  });

  it("reads regex and template literals the old tokenizer confused", () => {
    const src = [
      "const a = x => /`/.test(x) ? `}${'`'}` : /'/;",
      "const b = `${`${`deep ${'}'}`}`}`; const c = y < 2 ? /</ : />/g;",
      "class K { static re = /\\/\\*/; m() { return this.re / 2 /** / */; } }",
      "type T = `a${string}`; const d = <T,>(v: T) => v / /x/.source.length;",
      `export const e = defineModel({ name: "E" });`,
    ].join("\n");
    expect(scanSource(IMPORT + src).models).toEqual([{ exportName: "e", name: "E", line: 5, column: 17 }]);
  });

  it("keeps the models above the line a file being edited stops parsing at", () => {
    expect(models(`export const a = defineModel({ name: "A" });\nexport const b = defineModel({ name: "B" }`)).toEqual([["a", "A"]]);
    expect(models(`export const a = defineModel({ name: "A" });\nexport const b = defineModel({ name: "B",\n  model: (`)).toEqual([["a", "A"]]);
    // Errors Babel recovers from (a missing initializer) lose nothing.
    expect(models(`export const a = defineModel({ name: "A" });\nlet x: number = ;\nexport const b = defineModel({ name: "B" });`)).toEqual([["a", "A"], ["b", "B"]]);
  });
});
