/**
 * Every hint names only fixes this library has: each API a hint names (`nn.X`, `nn.init.X`, `optim.X`,
 * `losses.X`, `ops.X`) must exist in the public API. Hints are read from the rules' source (every string
 * in src/instrument/rules.ts) and from the op registrations' non-finite fixes.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as api from "../../src";
import { CLIP_HINT } from "../../src/instrument/rules";

const API_NAME = /\b(nn\.init|nn|optim|losses|ops)\.([A-Za-z_]\w*)/g;

/** The API names a text mentions: "nn.init.heNormal", "optim.cosineLR", … */
export function apiNames(text: string): string[] {
  return [...text.matchAll(API_NAME)].map((m) => `${m[1]}.${m[2]}`);
}

function exists(name: string): boolean {
  let at: unknown = api;
  for (const part of name.split(".")) {
    if (at === null || (typeof at !== "object" && typeof at !== "function") || !(part in (at as object))) return false;
    at = (at as Record<string, unknown>)[part];
  }
  return at !== undefined;
}

/** Every string and template literal in the rules' source, except the conditional clipping clause itself. */
function ruleStrings(): string[] {
  const src = readFileSync(fileURLToPath(new URL("../../src/instrument/rules.ts", import.meta.url)), "utf8");
  const lines = src.split("\n").filter((l) => !/export const CLIP_HINT/.test(l) && !/^\s*(\/\/|\*|\/\*\*)/.test(l)).join("\n");
  return [...lines.matchAll(/"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
}

describe("hints name only this library's API", () => {
  it("extracts names as written", () => {
    expect(apiNames("use nn.init.heNormal or optim.cosineLR; ops.logSumExp")).toEqual(["nn.init.heNormal", "optim.cosineLR", "ops.logSumExp"]);
    expect(exists("nn.init.heNormal")).toBe(true);
    expect(exists("optim.noSuchThing")).toBe(false);
  });

  it("every API named in a rule's hint exists", () => {
    const names = ruleStrings().flatMap(apiNames);
    expect(names.length).toBeGreaterThan(5);
    for (const n of names) expect(exists(n), n).toBe(true);
  });

  it("every API named in an op's non-finite fix exists", () => {
    const fixes = api.listOps().map((o) => o.nonFinite?.fix ?? "");
    const names = fixes.flatMap(apiNames);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(exists(n), n).toBe(true);
  });

  it("gradient clipping is promised only when optim.clipGradNorm exists", () => {
    if (exists("optim.clipGradNorm")) expect(CLIP_HINT).toMatch(/optim\.clipGradNorm/);
    else expect(CLIP_HINT).toBe("");
    for (const s of ruleStrings()) if (/clip/i.test(s)) expect(s, s).toMatch(/CLIP_HINT|clipGradNorm/);
  });
});
