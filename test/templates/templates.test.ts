/**
 * New-model templates (examples/templates.json → scripts/templates.mjs): each is one healthy export of
 * an example, cut down to what it uses. Each must type-check on its own with no unused import or
 * declaration, load in the runner, and pass `gradient-lens check` (exit 0).
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import ts from "typescript";
// @ts-expect-error: a plain ES module of the build, without declarations
import { buildTemplates, extractTemplate } from "../../scripts/templates.mjs";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "cli.js");

interface Template { id: string; title: string; example: string; export: string; file: string; source: string }
const templates = buildTemplates() as Template[];

function typeErrors(file: string): string[] {
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true, noEmit: true, noUnusedLocals: true, skipLibCheck: true, types: ["node"],
    paths: { "gradient-lens": [path.join(ROOT, "src", "index.ts")] },
  });
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("template extraction", () => {
  it("keeps the chosen export's dependencies, drops the rest, and makes it the default export", () => {
    const source = [
      'import { defineModel, nn, optim, data, losses } from "gradient-lens";',
      "const used = 3;",
      "const unused = 4;",
      "function helper(n: number) { return new nn.Linear(2, n); }",
      "function other() { return optim; }",
      "export default defineModel({ name: \"a\", model: () => helper(unused), data: () => data.xor({ n: 8 }), loss: losses.mse, optimizer: other() as never });",
      "export const b = defineModel({ name: \"b\", model: () => helper(used), data: () => data.xor({ n: 8 }), loss: losses.mse, optimizer: (p) => new optim.SGD(p, { lr: 0.1 }) });",
    ].join("\n");
    const out = extractTemplate(source, "x.ts", "b", "// header") as string;
    expect(out).toContain('import { defineModel, nn, optim, data, losses } from "gradient-lens";');
    expect(out).toContain("const used = 3;");
    expect(out).toContain("function helper");
    expect(out).not.toContain("unused");
    expect(out).not.toContain("function other");
    expect(out).toMatch(/export default defineModel\(\{ name: "b"/);
    expect(out).not.toContain('name: "a"');
    expect(() => extractTemplate(source, "x.ts", "missing", "")).toThrow(/no export missing/);
  });

  it("lists an MLP on spirals first, and each template names an existing example", () => {
    expect(templates[0]).toMatchObject({ id: "mlp-spirals", title: "MLP on spirals" });
    for (const t of templates) expect(existsSync(path.join(ROOT, "examples", t.example))).toBe(true);
    expect(new Set(templates.map((t) => t.id)).size).toBe(templates.length);
  });
});

describe.each(templates.map((t) => [t.id, t] as const))("template %s", (_id, t) => {
  it("type-checks alone with no unused import or declaration, and passes `gradient-lens check`", async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is not built: run `npm run build` first");
    const dir = mkdtempSync(path.join(tmpdir(), "gl-template-"));
    try {
      const file = path.join(dir, t.file);
      writeFileSync(file, t.source);
      expect(typeErrors(file)).toEqual([]);
      // Asynchronously: a check of a CNN or transformer template takes seconds, and a synchronous spawn
      // would block the test worker's event loop long enough for vitest's worker RPC to time out.
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, "check", file], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 },
          (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }));
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/gradient check|gradcheck/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
