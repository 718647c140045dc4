/** Command-line parsing: each accepted form and each rejection with its message. */
import { describe, expect, it } from "vitest";
import { parseArgs, USAGE } from "../../src/cli/args";

describe("parseArgs", () => {
  it("parses check with model and mode", () => {
    expect(parseArgs(["check", "m.ts", "--model", "small", "--mode", "full", "--json"])).toEqual({ command: "check", file: "m.ts", model: "small", mode: "full", json: true });
  });
  it("parses train with steps, out and --flag=value forms", () => {
    expect(parseArgs(["train", "m.ts", "--steps=50", "--out", "r.json", "--time-limit", "2.5", "--memory", "256", "--batch-size", "8"])).toMatchObject({
      command: "train", file: "m.ts", steps: 50, out: "r.json", timeLimitMs: 2500, memoryLimitMb: 256, batchSize: 8,
    });
  });
  it("parses report, list, help and version", () => {
    expect(parseArgs(["report", "r.json"])).toMatchObject({ command: "report", file: "r.json" });
    expect(parseArgs(["list", "m.ts"])).toMatchObject({ command: "list", file: "m.ts" });
    expect(parseArgs([]).command).toBe("help");
    expect(parseArgs(["check", "m.ts", "--help"]).command).toBe("help");
    expect(parseArgs(["-v"]).command).toBe("version");
  });
  it.each([
    [["frobnicate", "m.ts"], 'unknown command "frobnicate"'],
    [["check"], "check expects a file"],
    [["check", "m.ts", "--mode", "fast"], "--mode expects full, sampled or directional, got fast"],
    [["train", "m.ts", "--steps", "-3"], "--steps expects a positive integer, got -3"],
    [["train", "m.ts", "--steps"], "--steps expects a positive integer, got nothing"],
    [["train", "m.ts", "--wat"], "unknown option --wat"],
    [["train", "a.ts", "b.ts"], 'unexpected argument "b.ts"'],
  ])("rejects %j", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
  it.each([
    [["train", "m.ts", "--out", "--json"], "--out expects a file name, got the option --json"],
    [["train", "m.ts", "--model", "--steps", "3"], "--model expects an export name, got the option --steps"],
    [["train", "m.ts", "--out="], "--out expects a file name"],
    [["train", "m.ts", "--steps", "1e3x"], "--steps expects a positive integer, got 1e3x"],
    [["train", "m.ts", "--time-limit", "-1"], "--time-limit expects a positive number, got -1"],
  ])("never lets a flag swallow the next one: %j", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
  it("takes a value that starts with a dash through the --flag=value form", () => {
    expect(parseArgs(["train", "m.ts", "--out=-r.json"]).out).toBe("-r.json");
  });
  it("documents the exit codes", () => {
    expect(USAGE).toMatch(/0\s+healthy/);
    expect(USAGE).toMatch(/1\s+the gradient check failed/);
    expect(USAGE).toMatch(/2\s+the model could not be loaded or run/);
  });
});
