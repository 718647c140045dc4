/**
 * Every hint names only fixes this library has: each API a hint names (`nn.X`, `nn.init.X`, `optim.X`,
 * `losses.X`, `ops.X`) must exist in the public API. Hints are read from the rules' source (every string
 * in src/instrument/rules.ts) and from the op registrations' non-finite fixes; the webview's own
 * explanations (webview/explanations.ts) must also name the API of every fix they suggest.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as api from "../../src";
import { CLIP_HINT } from "../../src/instrument/rules";
import { RULES as EXPLAINED } from "../../webview/explanations";

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

describe("the webview's explanations name this library's API for every fix", () => {
  const read = (rel: string) => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), "utf8");
  const texts = Object.entries(EXPLAINED).map(([rule, e]) => ({ rule, text: `${e.explanation} ${e.fix}`, fix: e.fix }));
  /** Also `data.X`, which the rules' hints do not use. */
  const named = (text: string) => [...text.matchAll(/\b(nn\.init|nn|optim|losses|ops|data)\.([A-Za-z_]\w*)/g)].map((m) => `${m[1]}.${m[2]}`);
  /** Fixes a text may suggest, and what it must then name so the user can find it here. */
  const concepts: Array<[RegExp, RegExp]> = [
    [/clip/i, /clipGradNorm|clipGradValue/],
    [/\bHe init/i, /nn\.init\.he(Normal|Uniform)/],
    [/Xavier/i, /nn\.init\.xavier(Normal|Uniform)/],
    [/LeakyReLU/, /nn\.LeakyReLU/],
    [/ReLU or GELU|GELU/, /nn\.GELU/],
    [/normalization \(|add normalization/i, /nn\.(LayerNorm|BatchNorm1d|BatchNorm2d|GroupNorm)/],
    [/residual/i, /nn\.Residual/],
    [/standardi[sz]e/i, /data\.standardize/],
    [/schedule|decay/i, /optim\.(cosineLR|stepLR|exponentialLR|linearWarmup)/],
    [/batch size/i, /batchSize/],
    [/biases/i, /biasInit: nn\.init\.constant/],
    [/learning rate/i, /learning rate/],
  ];

  it("covers every rule the webview explains, and every API it names exists", () => {
    expect(texts.length).toBeGreaterThanOrEqual(10);
    const names = texts.flatMap((t) => named(t.text));
    expect(names.length).toBeGreaterThan(10);
    for (const n of names) expect(exists(n), n).toBe(true);
  });

  it("a fix that suggests clipping, an init, a layer, a schedule or a batch size names the API for it", () => {
    let matched = 0;
    for (const { rule, fix } of texts) {
      for (const [concept, api] of concepts) {
        if (!concept.test(fix)) continue;
        matched++;
        expect(fix, `${rule}: "${fix}" mentions ${concept} without ${api}`).toMatch(api);
      }
    }
    expect(matched).toBeGreaterThan(10);
  });

  it("defineModel fields, checkGradients options and settings it names exist", () => {
    const spec = read("../../src/train/spec.ts");
    const report = read("../../src/report.ts");
    const options = report.slice(report.indexOf("export interface GradcheckOptions"), report.indexOf("/** Per-rule overrides"));
    const settings = Object.keys((JSON.parse(read("../../package.json")) as { contributes: { configuration: { properties: Record<string, unknown> } } }).contributes.configuration.properties);
    let seen = 0;
    for (const { rule, fix } of texts) {
      for (const m of fix.matchAll(/defineModel\(\{ ([^})]*)\}\)/g)) {
        for (const key of m[1].split(",").map((k) => k.trim().split(":")[0].trim())) {
          seen++;
          expect(spec, `${rule}: defineModel field ${key}`).toMatch(new RegExp(`\\b${key}\\??:`));
        }
      }
      for (const m of fix.matchAll(/checkGradients\(\w+, \{ ([^}]*)\}\)/g)) {
        for (const key of m[1].split(",").map((k) => k.trim())) {
          seen++;
          expect(options, `${rule}: checkGradients option ${key}`).toMatch(new RegExp(`\\b${key}\\??:`));
        }
      }
      for (const m of fix.matchAll(/\bgradientLens\.[\w.]*\w/g)) {
        seen++;
        expect(settings, `${rule}: setting ${m[0]}`).toContain(m[0]);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(5);
  });
});
