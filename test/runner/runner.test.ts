/**
 * The runner end to end: each way a model file can go wrong is one test, run through the built worker
 * (dist/runner/worker.js) in a real child process, as the CLI and the extension run it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { listModels, startRun, timeoutMessage, type RunOptions } from "../../src/runner";
import { pathToFileURL } from "node:url";
import { isRunnerEvent, type RunnerEvent, type RunRequest } from "../../src/protocol/runner";
import { parseSettings } from "../../src/extension/settings";
import { buildOnce, FIXTURES, WORKER } from "./build-once";

const options: RunOptions = { workerPath: WORKER };
const fixture = (name: string) => path.join(FIXTURES, name);

function run(req: RunRequest, opts: RunOptions = options) {
  const events: RunnerEvent[] = [];
  const handle = startRun(req, (e) => events.push(e), opts);
  return { handle, events, result: handle.result };
}

/** The 1-based line of `file` that contains `text`. */
const lineOf = (file: string, text: string) => readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;

/** A model file written at test time (invalid TypeScript cannot live in test/fixtures: tsc checks it). */
function tempModel(source: string, name = "model.ts"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gl-runner-"));
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}

beforeAll(buildOnce, 180_000);

describe("compile and load", () => {
  it("reports a syntax error as kind syntax with file:line:col for every diagnostic", async () => {
    const file = tempModel(['import { defineModel } from "gradient-lens";', "", "export default defineModel({", '  name: "broken",', "  model: () => new nn.Sequential(,", "});", "const = 3;", ""].join("\n"));
    const outcome = await run({ file, command: "train" }).result;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.kind).toBe("syntax");
    expect(outcome.error.location).toEqual({ file, line: 5, column: 34 });
    expect(outcome.error.message).toContain(`${file}:5:34`);
    expect(outcome.error.message).toMatch(/Unexpected ","/);
    expect(outcome.error.diagnostics?.length).toBeGreaterThanOrEqual(1);
    for (const d of outcome.error.diagnostics ?? []) expect(d.location?.file).toBe(file);
  });

  it("counts columns in characters, not UTF-8 bytes", async () => {
    const file = tempModel('const label = "→→"; const x = ;\n');
    const outcome = await run({ file, command: "list" }).result;
    expect(!outcome.ok && outcome.error.location).toEqual({ file, line: 1, column: 31 });
  });

  it("reports a missing relative import as a load error at the import", async () => {
    const file = tempModel('import { x } from "./nope";\nexport default x;\n');
    const outcome = await run({ file, command: "list" }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("load");
    expect(!outcome.ok && outcome.error.location?.line).toBe(1);
  });

  it("reports a file without defineModel exports as invalid-model, saying what is expected", async () => {
    const outcome = await run({ file: fixture("not-a-model.ts"), command: "train" }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("invalid-model");
    const message = !outcome.ok ? outcome.error.message : "";
    expect(message).toContain("defineModel");
    expect(message).toContain("almost (an object shaped like a model spec but not made by defineModel(...))");
    expect(message).toContain("answer (number)");
  });

  it("reports a spec defineModel rejects as invalid-model with defineModel's reason and the line", async () => {
    const outcome = await run({ file: fixture("malformed-spec.ts"), command: "train" }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("invalid-model");
    expect(!outcome.ok && outcome.error.message).toMatch(/defineModel: missing model, data, loss, optimizer/);
    expect(!outcome.ok && outcome.error.location).toMatchObject({ file: fixture("malformed-spec.ts"), line: 4 });
  });

  it("reports a throw while loading as a load error at the user's line", async () => {
    const outcome = await run({ file: fixture("throws-at-load.ts"), command: "train" }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("load");
    expect(!outcome.ok && outcome.error.location).toMatchObject({ file: fixture("throws-at-load.ts"), line: 4 });
    expect(!outcome.ok && outcome.error.stack).toContain(`${fixture("throws-at-load.ts")}:4:`);
  });

  it("reports an unknown export name as not-found, listing the models", async () => {
    const outcome = await run({ file: fixture("two-models.ts"), command: "train", exportName: "large" }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("not-found");
    expect(!outcome.ok && outcome.error.message).toContain("default, small");
  });

  it("names a path it cannot run as the CLI does: a missing file, a directory, a name the file system refuses", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gl-runner-path-"));
    const missing = await run({ file: path.join(dir, "nope.ts"), command: "check" }).result;
    expect(!missing.ok && missing.error).toMatchObject({ kind: "not-found", message: `no such file: ${path.join(dir, "nope.ts")}` });
    const folder = await run({ file: dir, command: "check" }).result;
    expect(!folder.ok && folder.error.message).toBe(`${dir} is a directory; give the model's .ts file`);
    // A name over the file system's limit exists no more than it is missing: say why it cannot be read.
    const tooLong = path.join(dir, `${"m".repeat(300)}.ts`);
    const refused = await run({ file: tooLong, command: "check" }).result;
    expect(!refused.ok && refused.error.message).toMatch(/^cannot read .*ENAMETOOLONG/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("module features of model files", () => {
  it("gives import.meta.url, .filename and .dirname the model file's own values", async () => {
    const outcome = await run({ file: fixture("import-meta.ts"), command: "train" }).result;
    if (!outcome.ok) throw new Error(outcome.error.message);
    expect(outcome.report.model.name).toBe("meta ok named");
    // Each bundled file sees its own import.meta, not the entry's.
    const file = tempModel('import { readFileSync } from "node:fs";\nimport { meta } from "./sub/helper";\nconsole.log(JSON.stringify([import.meta.url, import.meta.filename, import.meta.dirname, readFileSync(new URL("./model.ts", import.meta.url), "utf8").length, meta]));\n');
    const helper = path.join(path.dirname(file), "sub", "helper.ts");
    mkdirSync(path.dirname(helper));
    writeFileSync(helper, "export const meta = [import.meta.url, import.meta.dirname];\n");
    const events: RunnerEvent[] = [];
    await startRun({ file, command: "list" }, (e) => events.push(e), options).result;
    const logged = events.find((e): e is Extract<RunnerEvent, { type: "log" }> => e.type === "log" && e.text.startsWith("["));
    expect(JSON.parse(logged!.text)).toEqual([pathToFileURL(file).href, file, path.dirname(file), expect.any(Number), [pathToFileURL(helper).href, path.dirname(helper)]]);
    expect(events.some((e) => e.type === "log" && /import\.meta/.test(e.text) && !e.text.startsWith("["))).toBe(false);
  });

  it("rejects top-level await with a message saying what to do instead", async () => {
    const file = tempModel('import { readFile } from "node:fs/promises";\nconst text = await readFile(new URL("./model.ts", import.meta.url), "utf8");\nexport default text;\n');
    const outcome = await run({ file, command: "train" }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("syntax");
    const message = !outcome.ok ? outcome.error.message : "";
    expect(message).toContain(`${file}:2:14: top-level await is not supported in model files`);
    expect(message).toContain("readFileSync");
    expect(message).not.toContain('"cjs" output format');
  });
});

describe("time limit message", () => {
  it("points at the gradient check's cost once training has finished", () => {
    const full = timeoutMessage({ command: "check", gradcheck: { mode: "full" } }, 120_000, true);
    expect(full).toContain("time limit of 120 s");
    expect(full).toContain("Training had finished; the full gradient check was still running.");
    expect(full).toContain("`--mode sampled` or `--mode directional`");
    expect(timeoutMessage({ command: "check" }, 5000, true)).toContain("`--mode directional`");
    // Still training: the check is not to blame.
    expect(timeoutMessage({ command: "check", gradcheck: { mode: "full" } }, 5000, false)).not.toContain("--mode");
    expect(timeoutMessage({ command: "train" }, 5000, true)).not.toContain("--mode");
  });
});

describe("listModels", () => {
  it("lists default and named exports with the line of each export", async () => {
    const result = await listModels(fixture("two-models.ts"), options);
    expect(result).toEqual({
      ok: true,
      models: [
        { exportName: "default", name: "Wide MLP", location: { file: fixture("two-models.ts"), line: 22, column: expect.any(Number) } },
        { exportName: "small", name: "Small MLP", location: { file: fixture("two-models.ts"), line: 8, column: expect.any(Number) } },
      ],
    });
  });

  it("returns the error for a broken file", async () => {
    const result = await listModels(fixture("throws-at-load.ts"), options);
    expect(!result.ok && result.error.kind).toBe("load");
  });

  it("forwards the model file's stdout as log events and bundles relative imports", async () => {
    const { events, result } = run({ file: fixture("uses-helper.ts"), command: "list" });
    await result;
    expect(events).toContainEqual({ type: "log", level: "info", text: "hello from the model file" });
    expect(events.every(isRunnerEvent)).toBe(true);
  });
});

describe("limits and isolation", () => {
  it("stops an infinite loop at the time limit with kind timeout, saying the limit", async () => {
    const t0 = Date.now();
    const outcome = await run({ file: fixture("infinite-loop.ts"), command: "train", timeLimitMs: 3000 }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("timeout");
    expect(!outcome.ok && outcome.error.message).toContain("3 s");
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it("reports running out of a 64 MB heap as out-of-memory, saying the limit", async () => {
    const outcome = await run({ file: fixture("out-of-memory.ts"), command: "train", memoryLimitMb: 64, timeLimitMs: 30_000 }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("out-of-memory");
    expect(!outcome.ok && outcome.error.message).toContain("64 MB");
  });

  it("cancels a run with kind cancelled and kills the child", async () => {
    const { handle, result } = run({ file: fixture("infinite-loop.ts"), command: "train", timeLimitMs: 60_000 });
    setTimeout(() => handle.cancel(), 500);
    const outcome = await result;
    expect(!outcome.ok && outcome.error.kind).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(handle.pid!, 0)).toThrow();
  });

  it("turns process.exit while loading into a clear error at the calling line", async () => {
    const outcome = await run({ file: fixture("process-exit.ts"), command: "train" }, { ...options, env: { ...process.env, GRADIENT_LENS_TEST_EXIT_AT_LOAD: "1" } }).result;
    expect(!outcome.ok && outcome.error.message).toMatch(/called process\.exit\(0\)/);
    expect(!outcome.ok && outcome.error.location).toMatchObject({ file: fixture("process-exit.ts"), line: 14 });
  });

  it("reports a model process that kills itself, and the caller keeps working", async () => {
    const outcome = await run({ file: fixture("process-exit.ts"), command: "train" }, { ...options, env: { ...process.env, GRADIENT_LENS_TEST_KILL_AT_LOAD: "1" } }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("runtime");
    expect(!outcome.ok && outcome.error.message).toMatch(/killed by SIGKILL before finishing/);
    const after = await listModels(fixture("two-models.ts"), options);
    expect(after.ok).toBe(true);
  });

  it("loads esbuild from the path the caller gives, and says so when it cannot", async () => {
    const esbuildPath = require.resolve("esbuild");
    const ok = await listModels(fixture("two-models.ts"), { ...options, esbuildPath });
    expect(ok.ok).toBe(true);
    const bad = await listModels(fixture("two-models.ts"), { ...options, esbuildPath: "/nonexistent/esbuild" });
    expect(!bad.ok && bad.error.kind).toBe("load");
    expect(!bad.ok && bad.error.message).toContain("Could not load esbuild (/nonexistent/esbuild)");
  });

  it("reports a missing worker as a load error instead of throwing", async () => {
    const outcome = await run({ file: fixture("two-models.ts"), command: "train" }, { workerPath: "/nonexistent/worker.js" }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("load");
  });
});

describe("running models (needs inspect)", () => {
  it("runs a named export and streams started/progress events before the report", async () => {
    const { events, result } = run({ file: fixture("two-models.ts"), command: "train", exportName: "small", steps: 5 });
    const outcome = await result;
    if (!outcome.ok) throw new Error(`${outcome.error.kind}: ${outcome.error.message}`);
    expect(outcome.report.model.name).toBe("Small MLP");
    expect(outcome.report.model.exportName).toBe("small");
    expect(outcome.report.model.file).toBe(fixture("two-models.ts"));
    expect(events.find((e) => e.type === "started")).toMatchObject({ exportName: "small", name: "Small MLP" });
    expect(events.some((e) => e.type === "progress")).toBe(true);
  });

  it("runs the default export when no name is given", async () => {
    const outcome = await run({ file: fixture("two-models.ts"), command: "train", steps: 3 }).result;
    expect(outcome.ok && outcome.report.model.name).toBe("Wide MLP");
  });

  it("gives each layer the file:line:column of its `new nn.Linear(...)`", async () => {
    const outcome = await run({ file: fixture("two-models.ts"), command: "train", exportName: "small", steps: 2 }).result;
    if (!outcome.ok) throw new Error(outcome.error.message);
    const loc = (name: string) => outcome.report.model.layers.find((l) => l.name === name)?.location;
    expect(loc("layers.0")).toEqual({ file: fixture("two-models.ts"), line: 12, column: 7 });
    expect(loc("layers.2")).toEqual({ file: fixture("two-models.ts"), line: 14, column: 7 });
  });

  it("locates layers built in an imported helper file", async () => {
    const outcome = await run({ file: fixture("uses-helper.ts"), command: "train", steps: 2 }).result;
    if (!outcome.ok) throw new Error(outcome.error.message);
    const loc = (name: string) => outcome.report.model.layers.find((l) => l.name === name)?.location;
    expect(loc("layers.0")).toMatchObject({ file: fixture("helpers/blocks.ts"), line: 6 });
    expect(loc("layers.2")).toMatchObject({ file: fixture("uses-helper.ts"), line: 9 });
  });

  it("locates a user's Module subclass where it is constructed, and layers built in its constructor at their lines", async () => {
    const outcome = await run({ file: fixture("custom-modules.ts"), command: "train" }).result;
    if (!outcome.ok) throw new Error(outcome.error.message);
    const loc = (name: string) => outcome.report.model.layers.find((l) => l.name === name)?.location;
    expect(loc("layers.0.fc1")).toMatchObject({ file: fixture("custom-modules.ts"), line: 18 });
    expect(loc("layers.0.fc2")).toMatchObject({ file: fixture("custom-modules.ts"), line: 19 });
    expect(loc("layers.1")).toEqual({ file: fixture("custom-modules.ts"), line: 28, column: 50 });
  });

  it("locates a tap series at its tap() call (in a module's loop, or in the loss), a recurrent layer's series at the layer", async () => {
    const file = fixture("taps.ts");
    const outcome = await run({ file, command: "train", gradcheck: false }).result;
    if (!outcome.ok) throw new Error(outcome.error.message);
    const series = (name: string) => outcome.report.model.timeSeries?.find((s) => s.name === name);
    expect(series("h")).toMatchObject({ kind: "tap", layer: "layers.2", location: { file, line: lineOf(file, 'tap(h.mul(0.5), "h")') } });
    expect(series("prediction")).toMatchObject({ kind: "tap", location: { file, line: lineOf(file, 'tap(prediction, "prediction")') } });
    expect(series("prediction")!.layer).toBeUndefined();
    expect(series("layers.0")).toMatchObject({ kind: "recurrent", layer: "layers.0", location: { file, line: lineOf(file, "new nn.RNN(") } });
    // The layer the tap ran in keeps its own line: the tap's is not the module's.
    expect(outcome.report.model.layers.find((l) => l.name === "layers.2")?.location?.line).toBe(lineOf(file, "new Halving()"));
  });

  it("passes a time rule's setting to the rules: vanishing-through-time on the tap at 0.5^7 fires at ratio 0.01, not at the default or 0.005, and points at the tap()", async () => {
    const file = fixture("taps.ts");
    const onTap = async (values: Record<string, unknown>) => {
      const { request, problems } = parseSettings(values, "train");
      expect(problems).toEqual([]);
      const outcome = await run({ file, command: "train", ...request, gradcheck: false }).result;
      if (!outcome.ok) throw new Error(outcome.error.message);
      return outcome.report.warnings.filter((w) => w.rule === "vanishing-through-time" && w.evidence?.series === "h");
    };
    expect(await onTap({})).toEqual([]);
    expect(await onTap({ "rules.vanishingThroughTime.ratio": 0.005 })).toEqual([]);
    const [w, ...more] = await onTap({ "rules.vanishingThroughTime.ratio": 0.01, "rules.vanishingThroughTime.window": 3 });
    expect(more).toEqual([]);
    expect(w.evidence).toMatchObject({ ratio: 0.5 ** 7, threshold: 0.01, window: 3, kind: "tap", timeSteps: 8 });
    expect(w.location).toMatchObject({ file, line: lineOf(file, 'tap(h.mul(0.5), "h")') });
  });

  it("reports an exception inside the model as runtime with the user's file:line in the stack", async () => {
    const outcome = await run({ file: fixture("throws-in-model.ts"), command: "train" }).result;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.kind).toBe("runtime");
    expect(outcome.error.message).toContain("Broken.forward failed on purpose");
    expect(outcome.error.location).toMatchObject({ file: fixture("throws-in-model.ts"), line: 8 });
    expect(outcome.error.stack).toContain(`${fixture("throws-in-model.ts")}:8:`);
  });

  it("turns process.exit inside the model into a runtime error at the calling line", async () => {
    const outcome = await run({ file: fixture("process-exit.ts"), command: "train" }).result;
    expect(!outcome.ok && outcome.error.kind).toBe("runtime");
    expect(!outcome.ok && outcome.error.message).toMatch(/called process\.exit\(3\)/);
    expect(!outcome.ok && outcome.error.location).toMatchObject({ file: fixture("process-exit.ts"), line: 7 });
  });

  it("reports a NaN loss as a nan-or-inf warning, not a failure", async () => {
    const outcome = await run({ file: fixture("nan-loss.ts"), command: "train" }).result;
    if (!outcome.ok) throw new Error(`${outcome.error.kind}: ${outcome.error.message}`);
    expect(outcome.report.warnings.some((w) => w.rule === "nan-or-inf")).toBe(true);
  });
});
