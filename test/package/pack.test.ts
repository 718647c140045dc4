/**
 * The npm package as a user's CI gets it: `npm pack` of this checkout (after `npm run build`), installed
 * from the tarball into a fresh temporary project with `npm install --offline` (esbuild, its one
 * dependency, comes from npm's cache, where installing this repository put it), then used there: the
 * `gradient-lens` bin, `tsc` against the shipped declarations, and `import`/`require` of the library.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");

let dir = "";
let files: string[] = [];

function run(cmd: string, args: string[], cwd = dir): SpawnSyncReturns<string> {
  // No colour, no update notifier, never the registry: what is not in npm's cache fails the test.
  const env = { ...process.env, NO_COLOR: "1", npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
  return spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
}

/**
 * The package's one dependency, esbuild, is in npm's cache (installing this repository put its tarballs
 * there) but its registry metadata is not, so `npm install --offline` could not resolve `^0.28`. The
 * project starts with esbuild locked at the repository's version (entries copied from our lockfile,
 * which name each tarball's integrity): npm then takes the tarballs from the cache, and installing
 * gradient-lens finds its dependency already satisfied — as a user's lockfile would have it.
 */
function seedEsbuildLock(project: string): void {
  const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
  const entries = Object.fromEntries(Object.entries(lock.packages).filter(([k]) => k === "node_modules/esbuild" || k.startsWith("node_modules/@esbuild/")));
  const dependencies = { esbuild: lock.packages["node_modules/esbuild"].version };
  const root = { name: "user-project", version: "1.0.0", private: true, dependencies };
  writeFileSync(path.join(project, "package.json"), JSON.stringify(root, null, 2));
  writeFileSync(path.join(project, "package-lock.json"), JSON.stringify({ ...root, lockfileVersion: 3, requires: true, packages: { "": root, ...entries } }, null, 2));
}

const output = (r: SpawnSyncReturns<string>) => `${r.stdout}\n${r.stderr}`;

describe("the packed npm package, installed into a fresh project", () => {
  beforeAll(() => {
    if (!existsSync(path.join(ROOT, "dist", "cli.js")) || !existsSync(path.join(ROOT, "dist", "types", "index.d.ts"))) {
      throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
    }
    dir = mkdtempSync(path.join(tmpdir(), "gradient-lens-pack-"));
    const packed = run("npm", ["pack", "--json", "--pack-destination", dir], ROOT);
    expect(packed.status, output(packed)).toBe(0);
    const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info[0].files.map((f) => f.path);
    seedEsbuildLock(dir);
    const installed = run("npm", ["install", "--offline", "--no-audit", "--no-fund", `./${info[0].filename}`]);
    expect(installed.status, output(installed)).toBe(0);
    copyFileSync(path.join(ROOT, "examples", "wrong-backward.ts"), path.join(dir, "model.ts"));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("holds what a user needs and nothing of the repository's sources or tests", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/index.cjs", "dist/index.mjs", "dist/cli.js", "dist/runner/worker.js", "dist/types/index.d.ts"]) {
      expect(files).toContain(f);
    }
    const strays = files.filter((f) => /^(src|test|webview|bench|scripts|examples|media)\//.test(f) || /^dist\/(extension|webview)/.test(f) || f.endsWith(".map"));
    expect(strays).toEqual([]);
    const installedPkg = JSON.parse(readFileSync(path.join(dir, "node_modules", "gradient-lens", "package.json"), "utf8"));
    expect(installedPkg.private).toBeUndefined();
    expect(installedPkg.dependencies).toHaveProperty("esbuild");
    expect(existsSync(path.join(dir, "node_modules", "esbuild", "package.json"))).toBe(true);
  });

  it("`npx gradient-lens check` exits 1 on a wrong custom backward and 0 on the healthy model, with the engine version in the report", () => {
    const wrong = run("npx", ["--no", "gradient-lens", "check", "model.ts"]);
    expect(wrong.status, output(wrong)).toBe(1);
    expect(wrong.stdout).toMatch(/gradcheck|gradient check/i);

    const healthy = run("npx", ["--no", "gradient-lens", "check", "model.ts", "--model", "fixed", "--json", "--out", "report.json"]);
    expect(healthy.status, output(healthy)).toBe(0);
    const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8"));
    expect(report.engine).toEqual({ version: pkg.version });
    expect(report.gradcheck.passed).toBe(true);
  });

  it("type-checks a model file against the package's declarations, and rejects a wrong argument", () => {
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: [] },
      include: ["*.ts"],
    }));
    const ok = run(process.execPath, [TSC, "--noEmit", "-p", "."]);
    expect(ok.status, output(ok)).toBe(0);

    // The declarations are real types, not `any`: a string where a number belongs is an error.
    writeFileSync(path.join(dir, "wrong-arg.ts"), 'import { nn } from "gradient-lens";\nexport const layer = new nn.Linear("two", 3);\n');
    const bad = run(process.execPath, [TSC, "--noEmit", "-p", "."]);
    rmSync(path.join(dir, "wrong-arg.ts"));
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/wrong-arg\.ts\(2,\d+\): error TS2345/);
  });

  it("loads as ESM and as CommonJS", () => {
    const esm = run(process.execPath, ["--input-type=module", "-e", 'import { nn, tensor } from "gradient-lens"; console.log(typeof nn.Linear, tensor([1, 2]).sum().data[0]);']);
    expect(esm.status, output(esm)).toBe(0);
    expect(esm.stdout.trim()).toBe("function 3");
    const cjs = run(process.execPath, ["-e", 'const { nn, tensor } = require("gradient-lens"); console.log(typeof nn.Linear, tensor([1, 2]).sum().data[0]);']);
    expect(cjs.status, output(cjs)).toBe(0);
    expect(cjs.stdout.trim()).toBe("function 3");
    expect(run(process.execPath, ["-p", 'require.resolve("gradient-lens")']).stdout.trim()).toMatch(/dist[\\/]index\.cjs$/);
  });
});
