/**
 * The fault matrix (issue 11): bad inputs and faults a careless or hostile user meets, each run through
 * the built CLI (`node dist/cli.js …`) and checked for its exit code, its message, the user's
 * file:line, no orphaned model process, and no lost or half-written report file.
 *
 * Cases run concurrently on small models (fixtures in ./fixtures) and share one build (build-once).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildOnce, CLI, ROOT } from "../runner/build-once";
import { reportToProblems } from "../../src/extension/diagnosticsMap";
import type { Report } from "../../src/report";

const FIX = path.join(ROOT, "test", "faults", "fixtures");
const fixture = (name: string) => path.join("test", "faults", "fixtures", name);
const UNICODE_DIR = path.join(FIX, "päth with spaces", "モデル");

/** Control characters a terminal acts on (C0 but newline and tab, DEL, C1) and bidi overrides. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

let tagCounter = 0;

/** Processes whose environment carries `tag`: the model processes a run left behind. */
function processesTagged(tag: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(tag)) found.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

async function noOrphans(tag: string): Promise<number[]> {
  const deadline = Date.now() + 3000;
  let left = processesTagged(tag);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = processesTagged(tag);
  }
  return left;
}

/**
 * Runs the CLI; `signal` is sent to the CLI once the model logs its first step (plus `signalDelayMs`).
 * Every run is tagged through its environment, and the test fails if a tagged process outlives it.
 */
async function cli(args: string[], options: { signal?: NodeJS.Signals; signalDelayMs?: number; cwd?: string } = {}): Promise<CliRun> {
  const tag = `GL_FAULT_TAG=${process.pid}-${++tagCounter}-${Date.now()}`;
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, GL_FAULT_TAG: tag.slice("GL_FAULT_TAG=".length) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let signalled = false;
  child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  child.stderr.setEncoding("utf8").on("data", (t: string) => {
    stderr += t;
    if (options.signal && !signalled && /first step/.test(stderr)) {
      signalled = true;
      setTimeout(() => child.kill(options.signal), options.signalDelayMs ?? 800);
    }
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(killer);
  expect(await noOrphans(tag), "a model process outlived the CLI").toEqual([]);
  return { code, stdout, stderr };
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), "gl-faults-"));

/** The directory holds exactly `names` (no temporary or half-written file beside them). */
const filesIn = (dir: string) => readdirSync(dir).sort();

beforeAll(buildOnce, 180_000);

describe.concurrent("terminal injection: nothing from data drives the terminal", () => {
  const HOSTILE = fixture("hostile-report.json");

  it("report: hostile strings in every field are printed escaped, never raw", async () => {
    const r = await cli(["report", HOSTILE]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stderr).not.toMatch(CONTROL);
    // Every field is still shown, escaped: model, export, file, layer, kind, note, culprit, warning, hint.
    for (const field of ["model ", "(export ", "/tmp/evil ", "layers.0\\x1b]0;pwned", "Kind\\x1b", "note: note ", "op op ", "message ", "hint: hint ", "/tmp/warn "]) {
      expect(r.stdout).toContain(field);
    }
    expect(r.stdout).toContain("\\x1b[2J");
    expect(r.stdout).toContain("\\x9b");
    expect(r.stdout).toContain("\\u{202e}");
  });

  it("report --json: the output is exact, escapes included", async () => {
    const r = await cli(["report", HOSTILE, "--json"]);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(path.join(ROOT, HOSTILE), "utf8")));
    expect(JSON.parse(r.stdout).model.name).toContain("\x1b]0;pwned\x07");
  });

  it("train: a hostile model name and console output are escaped", async () => {
    const r = await cli(["train", fixture("injection-name.ts")]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stdout).toContain("\\x1b]0;pwned\\x07");
    expect(r.stderr).toContain("log \\x1b]0;title\\x07 \\x1b[2J end");
  });

  it("train --json: the hostile name reaches JSON exactly", async () => {
    const r = await cli(["train", fixture("injection-name.ts"), "--json"]);
    expect(JSON.parse(r.stdout).model.name).toBe("\x1b]0;pwned\x07\x1b[2J\x1b[32mHealthy.\x1b[0m\u009b31m\r");
  });

  it("list: a hostile model name is escaped", async () => {
    const r = await cli(["list", fixture("injection-name.ts")]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stdout).toContain("\\x1b[2J");
  });

  it("an error message and a layer kind with escapes are escaped", async () => {
    const r = await cli(["train", fixture("injection-throw.ts")]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toContain("boom \\x1b[2J\\x1b]0;owned\\x07 \\u{202e} reversed");
  });

  it("a file name with escapes is escaped wherever it is printed", async () => {
    const dir = tmp();
    const evil = path.join(dir, "evil\x1b[2Jname.ts");
    copyFileSync(path.join(FIX, "healthy.ts"), evil);
    const r = await cli(["train", evil]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stdout).toContain("evil\\x1b[2Jname.ts");
  });
});

describe.concurrent("finished work is never lost", () => {
  it("a time limit ends the run with the partial report on stdout and in --out, status timeout", async () => {
    const dir = tmp();
    const out = path.join(dir, "r.json");
    // A generous limit: under a loaded machine, compiling alone can take seconds.
    const r = await cli(["train", fixture("slow-steps.ts"), "--time-limit", "10", "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[timeout] The run exceeded its time limit of 10 s");
    // steps: 1e9 used to crash the recorder ("Set maximum size exceeded") before the first step.
    expect(r.stderr).not.toContain("Set maximum size exceeded");
    expect(r.stdout).toMatch(/stopped after \d+ of 1,000,000,000 steps \(timeout\)/);
    expect(r.stdout).toContain("Did not finish (stopped by its time limit)");
    const saved = JSON.parse(readFileSync(out, "utf8")) as Report;
    expect(saved.status).toMatchObject({ ok: false, reason: "timeout" });
    expect(saved.steps.length).toBeGreaterThan(0);
    expect(saved.status!.steps).toBe(saved.steps.length);
    expect(filesIn(dir)).toEqual(["r.json"]);
  });

  it("Ctrl-C (SIGINT) returns the partial report, status cancelled, as JSON on stdout and in --out", async () => {
    const dir = tmp();
    const out = path.join(dir, "r.json");
    const r = await cli(["train", fixture("slow-steps.ts"), "--json", "--out", out], { signal: "SIGINT" });
    expect(r.code).toBe(2);
    const printed = JSON.parse(r.stdout) as { error: { kind: string; partialReport: Report } };
    expect(printed.error.kind).toBe("cancelled");
    expect(printed.error.partialReport.status).toMatchObject({ ok: false, reason: "cancelled" });
    expect(printed.error.partialReport.steps.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(printed.error.partialReport);
    expect(filesIn(dir)).toEqual(["r.json"]);
  });

  it("SIGTERM returns the partial report the same way", async () => {
    const dir = tmp();
    const out = path.join(dir, "r.json");
    const r = await cli(["train", fixture("slow-steps.ts"), "--out", out], { signal: "SIGTERM" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[cancelled]");
    expect(r.stdout).toMatch(/stopped after \d+ of 1,000,000,000 steps \(cancelled\)/);
    expect((JSON.parse(readFileSync(out, "utf8")) as Report).status!.reason).toBe("cancelled");
  });

  it("--out in a missing directory is a usage error before training (exit 2, no run)", async () => {
    const r = await cli(["train", fixture("healthy.ts"), "--out", path.join(tmp(), "missing", "r.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--out: no such directory:");
    expect(r.stderr).not.toContain("Training");
    expect(r.stderr).not.toContain("internal error");
  });

  it("--out naming a directory is a usage error before training", async () => {
    const dir = tmp();
    const r = await cli(["train", fixture("healthy.ts"), "--out", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is a directory; give a file name");
    expect(r.stderr).not.toContain("Training");
  });

  it("a write failure still prints the report, with a one-line error (exit 2)", async () => {
    // /proc accepts no new files, whoever runs the test (root included).
    const r = await cli(["train", fixture("healthy.ts"), "--out", "/proc/gradient-lens-report.json"]);
    expect(r.code).toBe(2);
    const lines = r.stderr.split("\n").filter((l) => l.includes("could not write the report"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("/proc/gradient-lens-report.json");
    expect(r.stdout).toContain("healthy");
    expect(r.stdout).toContain("Healthy.");
  });

  it("--out replaces an existing report atomically and leaves no temporary file", async () => {
    const dir = tmp();
    const out = path.join(dir, "r.json");
    writeFileSync(out, "old");
    const r = await cli(["train", fixture("healthy.ts"), "--out", out]);
    expect(r.code).toBe(0);
    expect((JSON.parse(readFileSync(out, "utf8")) as Report).model.name).toBe("healthy");
    expect(filesIn(dir)).toEqual(["r.json"]);
  });

  it.each([
    [["--out", "--json"], "--out expects a file name, got the option --json"],
    [["--model", "--json"], "--model expects an export name, got the option --json"],
    [["--steps", "--json"], "--steps expects a positive integer, got the option --json"],
    [["--steps", "0"], "--steps expects a positive integer, got 0"],
    [["--steps", "-3"], "--steps expects a positive integer, got -3"],
    [["--batch-size", "1.5"], "--batch-size expects a positive integer, got 1.5"],
    [["--time-limit", "0"], "--time-limit expects a positive number, got 0"],
    [["--memory"], "--memory expects a positive integer, got nothing"],
    [["--frobnicate"], "unknown option --frobnicate"],
  ])("flags %j: a usage error, and no file is created from a swallowed flag", async (flags, message) => {
    const dir = tmp();
    const r = await cli(["train", fixture("healthy.ts"), ...flags], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(filesIn(dir)).toEqual([]);
  });

  it("console output over the cap is truncated with a visible dropped-lines line", async () => {
    const r = await cli(["train", fixture("heavy-output.ts")]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("line 0\n");
    expect(r.stderr).toContain("… 3000 lines of the model's output dropped");
  });

  it("console output under the cap arrives in full, the last line included", async () => {
    const r = await cli(["train", fixture("moderate-output.ts")]);
    expect(r.code).toBe(0);
    const lines = r.stderr.split("\n").filter((l) => /^line \d+$/.test(l));
    expect(lines).toHaveLength(1500);
    expect(r.stderr).toContain("last line");
  });

  it("a top-level promise rejected without a handler fails the run every time, even a short one", async () => {
    const r = await cli(["train", fixture("top-level-rejection.ts"), "--steps", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unhandled promise rejection: top-level rejection nobody handled");
  });

  it("running out of memory prints only the clean message, not V8's report", async () => {
    const r = await cli(["train", "test/fixtures/out-of-memory.ts", "--memory", "96"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[out-of-memory] The model ran out of memory: the limit is 96 MB");
    expect(r.stderr).not.toMatch(/Last few GCs|JS stacktrace|FATAL ERROR|0x[0-9a-f]{6,}/);
  });
});

describe.concurrent("paths", () => {
  const model = path.join(UNICODE_DIR, "naïve モデル.ts");

  it("a path with spaces, accents and CJK is shown decoded in the layer table", async () => {
    const r = await cli(["train", model]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("päth with spaces/モデル/naïve モデル.ts:5");
    expect(r.stdout).not.toMatch(/%[0-9A-F]{2}/);
  });

  it("the JSON report's locations name the file on disk, and the extension's diagnostics land on it", async () => {
    const r = await cli(["train", model, "--json"]);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.model.layers[0].location?.file).toBe(model);
    expect(existsSync(report.model.layers[0].location!.file)).toBe(true);
    // The extension turns report locations into Problems entries through this function.
    report.warnings.push({ rule: "dead-relu", severity: "warning", layer: report.model.layers[0].name, message: "m", evidence: {} } as Report["warnings"][number]);
    delete report.problems; // grouped again from the warnings, the added one included
    const problems = reportToProblems(report, (f) => path.resolve(path.dirname(model), f));
    expect(problems.map((p) => p.file)).toContain(model);
    expect(problems.every((p) => existsSync(p.file))).toBe(true);
  });

  it("list shows the decoded path", async () => {
    const r = await cli(["list", model]);
    expect(r.stdout).toContain("naïve モデル.ts:3");
  });

  it("an error in such a file points at the decoded path and line", async () => {
    const r = await cli(["train", path.join(UNICODE_DIR, "wrong shape モデル.ts"), "--json"]);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout) as { error: { location: { file: string; line: number } } };
    expect(error.location).toMatchObject({ file: path.join(UNICODE_DIR, "wrong shape モデル.ts"), line: 5 });
  });

  it("a missing model file is named as such, not as spawn ENOENT", async () => {
    const r = await cli(["train", "no/such/model.ts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such file: no/such/model.ts");
    expect(r.stderr).not.toMatch(/spawn|ENOENT/);
  });

  it("a directory is refused as a directory", async () => {
    const r = await cli(["check", "test/faults"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("test/faults is a directory");
  });

  it("list of a missing file is named as such", async () => {
    const r = await cli(["list", "nope.ts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such file: nope.ts");
  });

  it("report of a missing file and of a directory", async () => {
    const a = await cli(["report", "nope.json"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("no such file: nope.json");
    const b = await cli(["report", "test/faults"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("is a directory");
  });

  it("a report file that is not JSON", async () => {
    const file = path.join(tmp(), "bad.json");
    writeFileSync(file, "{ half a repo");
    const r = await cli(["report", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read ${file}`);
  });
});

describe.concurrent("the model contract, checked up front at the user's line", () => {
  it.each([
    ["contract-batch-zero.ts", 'defineModel: "batchSize" must be a positive integer, got 0', 3],
    ["contract-batch-string.ts", 'defineModel: "batchSize" must be a positive integer, got "8"', 3],
    ["contract-steps-negative.ts", 'defineModel: "steps" must be a positive integer, got -1', 3],
    ["contract-steps-fraction.ts", 'defineModel: "steps" must be a positive integer, got 2.5', 3],
    ["contract-epochs-zero.ts", 'defineModel: "epochs" must be a positive integer, got 0', 3],
    ["contract-missing-loss.ts", "defineModel: missing loss", 3],
    ["contract-rows-mismatch.ts", "data() has 4 inputs (x rows) but 3 targets (y rows)", 3],
    ["contract-label-range.ts", "class label 5 (in the first batch) is outside the model's 2 outputs", 3],
    ["contract-loss-not-scalar.ts", "loss(prediction, target) must return a scalar, got a tensor of shape [8, 2]", 3],
    ["contract-no-step.ts", "optimizer(params) must return an optimizer with step()", 3],
    ["contract-async-data.ts", "data() returned a Promise", 3],
    ["contract-model-not-module.ts", "model() must return an nn.Module", 3],
  ])("%s: invalid model, said in the user's terms at the defineModel line", async (file, message, line) => {
    const r = await cli(["train", fixture(file), "--json"]);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout) as { error: { kind: string; message: string; location: { file: string; line: number } } };
    expect(error.kind).toBe("invalid-model");
    expect(error.message).toContain(message);
    expect(error.location).toMatchObject({ file: path.join(FIX, file), line });
  });

  it("a layer fed the wrong shape names the line that built it", async () => {
    const r = await cli(["train", fixture("contract-wrong-shape.ts")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("layers.0 (Linear 3→4): input has 2 features, expected 3");
    expect(r.stderr).toMatch(/at test\/faults\/fixtures\/contract-wrong-shape\.ts:5:\d+/);
  });

  it("data() throwing names the user's line", async () => {
    const r = await cli(["train", fixture("throws-in-data.ts")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read the data set");
    expect(r.stderr).toContain("at test/faults/fixtures/throws-in-data.ts:6:");
  });
});

// Keep the fixtures directory free of reports the runs above could have left.
it("no run wrote into the fixtures", () => {
  mkdirSync(FIX, { recursive: true });
  expect(readdirSync(FIX).filter((f) => f.endsWith(".tmp") || (f.endsWith(".json") && f !== "hostile-report.json"))).toEqual([]);
});
