import { describe, expect, it } from "vitest";
import { parseSettings, RULE_SETTINGS, SETTING_KEYS, HOST_SETTING_KEYS } from "../../src/extension/settings";
import pkg from "../../package.json";
import { runRules, type RuleContext } from "../../src/instrument/rules";
import type { StepRecord } from "../../src/report";

describe("parseSettings", () => {
  it("leaves everything to the model and the instrument defaults when nothing is set", () => {
    expect(parseSettings({}, "check")).toEqual({ request: {}, problems: [] });
    // …except that Train & inspect checks gradients too unless told not to.
    expect(parseSettings({}, "train")).toEqual({ request: { gradcheck: {} }, problems: [] });
  });

  it("maps steps by command, overrides, gradcheck options, rules and the record schedule", () => {
    const values = {
      steps: 300, "check.steps": 10, batchSize: 64, timeLimitMs: 5000, memoryLimitMb: 512,
      "gradcheck.mode": "full", "gradcheck.eps": 1e-5, "gradcheck.atol": 1e-6, "gradcheck.rtol": 1e-4, "gradcheck.samples": 7,
      "rules.vanishingGradient.ratio": 1e-4, "rules.deadRelu.fraction": 0.8, "rules.updateRatio.target": 1e-3, "rules.updateRatio.factor": 30,
      "rules.disabled": ["loss-oscillating"], "record.schedule": "log", "record.count": 30,
    };
    const train = parseSettings(values, "train");
    expect(train.problems).toEqual([]);
    expect(train.request).toEqual({
      steps: 300, batchSize: 64, timeLimitMs: 5000, memoryLimitMb: 512,
      gradcheck: { mode: "full", eps: 1e-5, atol: 1e-6, rtol: 1e-4, samples: 7 },
      rules: {
        "vanishing-gradient": { ratio: 1e-4 },
        "dead-relu": { fraction: 0.8 },
        "update-ratio": { target: 1e-3, factor: 30 },
        "loss-oscillating": { enabled: false },
      },
      record: { kind: "log", count: 30 },
    });
    expect(parseSettings(values, "check").request.steps).toBe(10);
  });

  it("treats 0 as 'the model's own' and turns the check off", () => {
    expect(parseSettings({ steps: 0, batchSize: 0, "gradcheck.mode": "off" }, "train").request).toEqual({ gradcheck: false });
    expect(parseSettings({ "train.gradcheck": false }, "train").request).toEqual({ gradcheck: false });
    expect(parseSettings({ "train.gradcheck": false }, "check").request).toEqual({});
  });

  it("ignores invalid values and says why", () => {
    const r = parseSettings({ "check.steps": -3, batchSize: 2.5, "gradcheck.mode": "fast", "rules.deadRelu.fraction": 1.5, "rules.updateRatio.factor": 0.5, "record.schedule": "sometimes", timeLimitMs: "soon" }, "check");
    expect(r.request).toEqual({});
    expect(r.problems).toHaveLength(7);
    expect(r.problems.join("\n")).toMatch(/gradientLens\.check\.steps: -3/);
    expect(r.problems.join("\n")).toMatch(/gradientLens\.rules\.updateRatio\.factor: 0\.5/);
  });

  it("infers the record schedule from the one parameter set when the schedule itself is unset", () => {
    expect(parseSettings({ "record.interval": 5 }, "train")).toEqual({ request: { gradcheck: {}, record: { kind: "every", interval: 5 } }, problems: [] });
    expect(parseSettings({ "record.count": 30 }, "check")).toEqual({ request: { record: { kind: "log", count: 30 } }, problems: [] });
    // An explicit schedule still decides, and both parameters without one is a question the user must answer.
    expect(parseSettings({ "record.schedule": "log", "record.interval": 5 }, "check").request).toEqual({ record: { kind: "log" } });
    const both = parseSettings({ "record.interval": 5, "record.count": 30 }, "check");
    expect(both.request).toEqual({});
    expect(both.problems.join("\n")).toMatch(/record\.schedule/);
  });

  it("covers every gradientLens.* setting that package.json declares, and nothing else", () => {
    const declared = Object.keys(pkg.contributes.configuration.properties).map((k) => k.replace(/^gradientLens\./, ""));
    expect(new Set(declared)).toEqual(new Set([...SETTING_KEYS, ...HOST_SETTING_KEYS]));
    for (const key of Object.keys(RULE_SETTINGS)) {
      expect((pkg.contributes.configuration.properties as Record<string, { markdownDescription?: string }>)[`gradientLens.${key}`].markdownDescription, key).toMatch(/\w{3,}.*\w{3,}/);
    }
  });
});

describe("rule settings match the rules", () => {
  it("declares integers as integers and lists the rule ids that can be disabled", async () => {
    const { RULES } = await import("../../src/instrument/rules");
    const props = pkg.contributes.configuration.properties as Record<string, { type?: string; items?: { enum?: string[] } }>;
    for (const [key, target] of Object.entries(RULE_SETTINGS)) expect(props[`gradientLens.${key}`].type, key).toBe(target.integer ? "integer" : "number");
    for (const key of ["steps", "check.steps", "batchSize", "gradcheck.samples", "timeLimitMs", "memoryLimitMb", "record.interval", "record.count"]) {
      expect(props[`gradientLens.${key}`].type, key).toBe("integer");
    }
    expect(props["gradientLens.rules.disabled"].items?.enum).toEqual(Object.keys(RULES));
  });

  it("contributes only commands the extension registers", async () => {
    const { readFileSync } = await import("node:fs");
    const source = readFileSync(new URL("../../src/extension/gradientLens.ts", import.meta.url), "utf8");
    for (const c of pkg.contributes.commands) expect(source, c.command).toContain(`"${c.command}"`);
  });

  it("each setting names a real parameter of a real rule, and documents the rule's own default and the bounds parseSettings enforces", async () => {
    const { RULES } = await import("../../src/instrument/rules");
    const props = pkg.contributes.configuration.properties as Record<string, { default?: unknown; markdownDescription?: string; minimum?: number; maximum?: number }>;
    for (const [key, target] of Object.entries(RULE_SETTINGS)) {
      const rule = (RULES as Record<string, { defaults: Record<string, unknown> }>)[target.rule];
      expect(rule, `${key}: no rule "${target.rule}"`).toBeDefined();
      expect(Object.keys(rule.defaults), `${key}: "${target.rule}" has no parameter "${target.param}"`).toContain(target.param);
      const prop = props[`gradientLens.${key}`];
      expect(prop.default, `${key}: documented default`).toBe(rule.defaults[target.param]);
      // The text says the default too (the settings editor shows the text, not always the default).
      const stated = /default `([^`]+)`/i.exec(prop.markdownDescription ?? "")?.[1];
      expect(Number(stated), `${key}: "default \`…\`" in its markdownDescription`).toBe(rule.defaults[target.param]);
      expect([prop.minimum, prop.maximum], `${key}: minimum and maximum`).toEqual([target.min, target.max]);
    }
  });

  /** A run's records, by hand: `timeNorms` of a tap "h", attention of a layer "attn", clipping. */
  const ctxOf = (steps: Array<Partial<StepRecord>>): RuleContext => ({ steps: steps.map((s, i) => ({ step: i, loss: 1, layers: [], ...s })), layers: [] });
  const fires = (ctx: RuleContext, rule: string, values: Record<string, unknown> = {}) => {
    const { request, problems } = parseSettings(values, "check");
    expect(problems).toEqual([]);
    return runRules(ctx, undefined, request.rules).some((w) => w.rule === rule);
  };

  it("each setting of the rules over time changes their verdict", () => {
    const tapRatios = (ratios: number[]) => ctxOf(ratios.map((r) => ({ timeNorms: [{ name: "h", norms: [r, 0.5, 1] }] })));
    // ‖g_0‖/‖g_last‖ = 1e-3 throughout: above the default 1e-5.
    const vanishing = tapRatios([1e-3, 1e-3, 1e-3]);
    expect(fires(vanishing, "vanishing-through-time")).toBe(false);
    expect(fires(vanishing, "vanishing-through-time", { "rules.vanishingThroughTime.ratio": 1e-2 })).toBe(true);
    // Two vanished steps, then healthy ones: the median over 10 (here all 5) is healthy, over 2 it is not.
    const burst = tapRatios([1e-7, 1e-7, 1, 1, 1]);
    expect(fires(burst, "vanishing-through-time")).toBe(false);
    expect(fires(burst, "vanishing-through-time", { "rules.vanishingThroughTime.window": 2 })).toBe(true);
    const growing = tapRatios([30, 30, 30]);
    expect(fires(growing, "exploding-through-time")).toBe(false);
    expect(fires(growing, "exploding-through-time", { "rules.explodingThroughTime.ratio": 20 })).toBe(true);
    const growthBurst = tapRatios([1e3, 1e3, 1, 1, 1]);
    expect(fires(growthBurst, "exploding-through-time")).toBe(false);
    expect(fires(growthBurst, "exploding-through-time", { "rules.explodingThroughTime.window": 2 })).toBe(true);
    // Both heads at 15% of uniform attention's entropy: above the default 10%.
    const u = Math.log(8);
    const attention = (fractions: number[]) => ctxOf(fractions.map((f) => ({ attention: [{ layer: "attn", entropy: [f * u, f * u], uniformEntropy: u }] })));
    expect(fires(attention([0.15, 0.15, 0.15]), "attention-collapse")).toBe(false);
    expect(fires(attention([0.15, 0.15, 0.15]), "attention-collapse", { "rules.attentionCollapse.fraction": 0.2 })).toBe(true);
    expect(fires(attention([0.05, 0.05, 0.5, 0.5, 0.5]), "attention-collapse")).toBe(false);
    expect(fires(attention([0.05, 0.05, 0.5, 0.5, 0.5]), "attention-collapse", { "rules.attentionCollapse.window": 2 })).toBe(true);
    // Clipped on 8 of 10 steps: below the default 90%.
    const clipping = ctxOf(Array.from({ length: 10 }, (_, i) => ({ gradClip: { totalNorm: 5, clipped: i < 8 } })));
    expect(fires(clipping, "clipping-always-active")).toBe(false);
    expect(fires(clipping, "clipping-always-active", { "rules.clippingAlwaysActive.fraction": 0.8 })).toBe(true);
  });
});
