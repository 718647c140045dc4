import { describe, expect, it } from "vitest";
import { scanSource } from "../../src/extension/modelScan";
import { modelAtLine } from "../../src/extension/modelPick";
import { isHostMessage, MAX_NAME } from "../../src/protocol/webview";

describe("scanSource", () => {
  it("finds a default-exported defineModel with its literal name, 0-based position", () => {
    const src = `import { defineModel, nn } from "gradient-lens";\n\nexport default defineModel({\n  name: "Deep sigmoid",\n  model: () => new nn.Sequential(),\n});\n`;
    const r = scanSource(src);
    expect(r.importsGradientLens).toBe(true);
    expect(r.models).toEqual([{ exportName: "default", name: "Deep sigmoid", line: 2, column: 15 }]);
  });

  it("finds named exports, later `export { a as b }` and `export default x`", () => {
    const src = [
      `import { defineModel as dm } from "gradient-lens";`,
      `export const small = dm({ name: 'Small', model });`,
      `const big = dm({ model, name: "Big" });`,
      `const hidden = dm({ name: "Hidden" });`,
      `export { big as large };`,
      `const d = dm({ name: \`Tpl\` });`,
      `export default d;`,
    ].join("\n");
    const r = scanSource(src);
    expect(r.models.map((m) => [m.exportName, m.name, m.line])).toEqual([
      ["small", "Small", 1],
      ["large", "Big", 2],
      ["default", "Tpl", 5],
    ]);
  });

  it("lists a model exported under two names once, under its first", () => {
    const head = `import { defineModel } from "gradient-lens";\nexport const m = defineModel({ name: "M" });\n`;
    expect(scanSource(head + "export default m;\n").models).toEqual([{ exportName: "m", name: "M", line: 1, column: 17 }]);
    expect(scanSource(head + "export { m as default, m as again };\n").models).toEqual([{ exportName: "m", name: "M", line: 1, column: 17 }]);
    const reexported = `import { defineModel } from "gradient-lens";\nconst m = defineModel({});\nexport { m as default };\n`;
    expect(scanSource(reexported).models.map((x) => x.exportName)).toEqual(["default"]);
  });

  it("takes the top-level name only and falls back to the export name", () => {
    const src = `import * as gl from "gradient-lens";\nexport const m = gl.defineModel({ data: () => ({ name: "inner" }), loss });\n`;
    expect(scanSource(src).models).toEqual([{ exportName: "m", name: "m", line: 1, column: 17 }]);
  });

  it("ignores files without the import, comments, strings and declarations", () => {
    expect(scanSource(`export default defineModel({ name: "x" });`).models).toEqual([]);
    const src = [
      `import { defineModel } from "gradient-lens";`,
      `// export default defineModel({ name: "commented" })`,
      `const s = "export const q = defineModel({})";`,
      `/* export const r = defineModel({}) */`,
    ].join("\n");
    const r = scanSource(src);
    expect(r.importsGradientLens).toBe(true);
    expect(r.models).toEqual([]);
  });

  it("does not count an import that only appears in a comment", () => {
    const src = `// import { defineModel } from "gradient-lens";\nexport default defineModel({ name: "x" });`;
    expect(scanSource(src).importsGradientLens).toBe(false);
  });

  it("finds checkGradients calls and the model they check", () => {
    const src = [
      `import { defineModel, checkGradients } from "gradient-lens";`,
      `export const spec = defineModel({ name: "S" });`,
      `checkGradients(spec, { mode: "full" });`,
      `checkGradients(() => 1);`,
    ].join("\n");
    expect(scanSource(src).checks).toEqual([
      { line: 2, column: 0, exportName: "spec" },
      { line: 3, column: 0, exportName: undefined },
    ]);
  });

  it("accepts require() and subpath imports", () => {
    const src = `const { defineModel } = require("gradient-lens/dist");\nmodule.exports = 1;\nexport const a = defineModel({ name: "A" });`;
    expect(scanSource(src).models.map((m) => m.name)).toEqual(["A"]);
  });

  it("keeps positions exact after strings with escapes, multi-line comments and comments", () => {
    const src = `import { defineModel } from "gradient-lens";\na "b\\"c" /* d\n e */ f // g\nexport const h = defineModel({ name: "H" });`;
    expect(scanSource(src).models).toEqual([{ exportName: "h", name: "H", line: 3, column: 17 }]);
  });
});

describe("modelAtLine", () => {
  const models = [{ exportName: "a", name: "A", line: 3, column: 0 }, { exportName: "b", name: "B", line: 10, column: 0 }];
  it("picks the last model starting at or above the cursor, else the first", () => {
    expect(modelAtLine(models, 12)?.exportName).toBe("b");
    expect(modelAtLine(models, 5)?.exportName).toBe("a");
    expect(modelAtLine(models, 0)?.exportName).toBe("a");
    expect(modelAtLine([], 0)).toBeUndefined();
  });
});

describe("scanSource within the webview protocol's bounds", () => {
  it("cuts a name too long for the webview protocol (so the model list still validates) and skips an unrunnable export name", () => {
    const long = "x".repeat(MAX_NAME + 100);
    const src = `import { defineModel } from "gradient-lens";\nexport const m = defineModel({ name: "${long}" });\nexport const ${"y".repeat(MAX_NAME + 1)} = defineModel({ name: "ok" });\n`;
    const r = scanSource(src);
    expect(r.models).toHaveLength(1);
    expect(r.models[0].name).toHaveLength(MAX_NAME);
    expect(r.models[0].name.endsWith("…")).toBe(true);
    const list = r.models.map((x) => ({ file: "/ws/m.ts", exportName: x.exportName, name: x.name, line: x.line + 1 }));
    expect(isHostMessage({ type: "models", models: list, scanning: false })).toBe(true);
  });
});

