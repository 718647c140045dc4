/**
 * `gradientLens.*` settings → RunRequest fields. Pure (no vscode import): the host passes the values
 * the user actually set (`WorkspaceConfiguration.inspect`), so an unset setting leaves the decision to
 * the model's own spec and the instrument layer's documented defaults, which stay in one place.
 */
import type { RunKind, RunRequest } from "../protocol/runner";
import type { GradcheckOptions, RecordSchedule, RuleOverrides } from "../instrument/types";

/** Setting key (without the `gradientLens.` prefix) → where it lands. Keep in step with package.json. */
export const RULE_SETTINGS: Record<string, { rule: string; param: string; min?: number; max?: number; integer?: boolean }> = {
  "rules.vanishingGradient.ratio": { rule: "vanishing-gradient", param: "ratio", min: 0 },
  "rules.vanishingGradient.absolute": { rule: "vanishing-gradient", param: "absolute", min: 0 },
  "rules.vanishingGradient.window": { rule: "vanishing-gradient", param: "window", min: 1, integer: true },
  "rules.explodingGradient.ratio": { rule: "exploding-gradient", param: "ratio", min: 1 },
  "rules.deadRelu.fraction": { rule: "dead-relu", param: "fraction", min: 0, max: 1 },
  "rules.saturatedActivation.fraction": { rule: "saturated-activation", param: "fraction", min: 0, max: 1 },
  "rules.updateRatio.target": { rule: "update-ratio", param: "target", min: 0 },
  "rules.updateRatio.factor": { rule: "update-ratio", param: "factor", min: 1 },
  "rules.lossNotDecreasing.window": { rule: "loss-not-decreasing", param: "window", min: 2, integer: true },
  "rules.lossOscillating.window": { rule: "loss-oscillating", param: "window", min: 2, integer: true },
  "rules.vanishingThroughTime.ratio": { rule: "vanishing-through-time", param: "ratio", min: 0 },
  "rules.vanishingThroughTime.window": { rule: "vanishing-through-time", param: "window", min: 1, integer: true },
  "rules.explodingThroughTime.ratio": { rule: "exploding-through-time", param: "ratio", min: 1 },
  "rules.explodingThroughTime.window": { rule: "exploding-through-time", param: "window", min: 1, integer: true },
  "rules.vanishingQueryKeyGradient.ratio": { rule: "vanishing-query-key-gradient", param: "ratio", min: 0 },
  "rules.attentionCollapse.fraction": { rule: "attention-collapse", param: "fraction", min: 0, max: 1 },
  "rules.attentionCollapse.window": { rule: "attention-collapse", param: "window", min: 1, integer: true },
  "rules.clippingAlwaysActive.fraction": { rule: "clipping-always-active", param: "fraction", min: 0, max: 1 },
};

export const GRADCHECK_MODES = ["sampled", "full", "directional", "off"] as const;

export interface ParsedSettings {
  /** Fields to merge into a RunRequest for `command`. */
  request: Pick<RunRequest, "steps" | "batchSize" | "gradcheck" | "rules" | "record" | "timeLimitMs" | "memoryLimitMb">;
  /** One line per ignored value, for the output log. */
  problems: string[];
}

/**
 * @param values setting key (without prefix) → the value the user set; unset keys are absent.
 * @param command which run the fields are for: `check` uses `check.steps`, `train` uses `steps`.
 */
export function parseSettings(values: Record<string, unknown>, command: RunKind): ParsedSettings {
  const problems: string[] = [];
  const request: ParsedSettings["request"] = {};

  const num = (key: string, opts: { min?: number; max?: number; integer?: boolean; zeroMeansUnset?: boolean } = {}): number | undefined => {
    if (!(key in values) || values[key] === null || values[key] === undefined) return undefined;
    const v = values[key];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      problems.push(`gradientLens.${key}: expected a number, got ${JSON.stringify(v)} (ignored)`);
      return undefined;
    }
    if (opts.zeroMeansUnset && v === 0) return undefined;
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max) || (opts.integer && !Number.isInteger(v))) {
      const range = `${opts.integer ? "an integer " : ""}${opts.min !== undefined ? `≥ ${opts.min}` : ""}${opts.max !== undefined ? ` and ≤ ${opts.max}` : ""}`;
      problems.push(`gradientLens.${key}: ${v} is not ${range.trim()} (ignored)`);
      return undefined;
    }
    return v;
  };

  const steps = command === "check" ? num("check.steps", { min: 1, integer: true, zeroMeansUnset: true }) : num("steps", { min: 1, integer: true, zeroMeansUnset: true });
  if (steps !== undefined) request.steps = steps;
  const batchSize = num("batchSize", { min: 1, integer: true, zeroMeansUnset: true });
  if (batchSize !== undefined) request.batchSize = batchSize;
  const timeLimitMs = num("timeLimitMs", { min: 1000, integer: true });
  if (timeLimitMs !== undefined) request.timeLimitMs = timeLimitMs;
  const memoryLimitMb = num("memoryLimitMb", { min: 64, integer: true });
  if (memoryLimitMb !== undefined) request.memoryLimitMb = memoryLimitMb;

  // Gradient check.
  const mode = values["gradcheck.mode"];
  if (mode !== undefined && !(GRADCHECK_MODES as readonly unknown[]).includes(mode)) {
    problems.push(`gradientLens.gradcheck.mode: ${JSON.stringify(mode)} is not one of ${GRADCHECK_MODES.join(", ")} (ignored)`);
  }
  const trainCheck = values["train.gradcheck"];
  if (mode === "off" || (command === "train" && trainCheck === false)) {
    request.gradcheck = false;
  } else {
    const g: GradcheckOptions = {};
    if (mode === "sampled" || mode === "full" || mode === "directional") g.mode = mode;
    const eps = num("gradcheck.eps", { min: Number.MIN_VALUE, max: 1 });
    if (eps !== undefined) g.eps = eps;
    const atol = num("gradcheck.atol", { min: 0 });
    if (atol !== undefined) g.atol = atol;
    const rtol = num("gradcheck.rtol", { min: 0 });
    if (rtol !== undefined) g.rtol = rtol;
    const samples = num("gradcheck.samples", { min: 1, integer: true });
    if (samples !== undefined) g.samples = samples;
    // `check` always checks; `train` checks unless `train.gradcheck` is false (its documented default is on).
    if (Object.keys(g).length || command === "train") request.gradcheck = g;
  }

  // Rules.
  const rules: RuleOverrides = {};
  for (const [key, target] of Object.entries(RULE_SETTINGS)) {
    const v = num(key, target);
    if (v !== undefined) (rules[target.rule] ??= {})[target.param] = v;
  }
  const disabled = values["rules.disabled"];
  if (disabled !== undefined) {
    if (Array.isArray(disabled) && disabled.every((d) => typeof d === "string")) {
      for (const id of disabled as string[]) (rules[id] ??= {}).enabled = false;
    } else {
      problems.push(`gradientLens.rules.disabled: expected a list of rule ids (ignored)`);
    }
  }
  if (Object.keys(rules).length) request.rules = rules;

  // Record schedule. Unset, it follows the parameter the user did set: `record.interval` means
  // "every", `record.count` means "log" (both set: `record.schedule` decides, so the choice is explicit).
  let record = values["record.schedule"];
  if (record === undefined) {
    const hasInterval = values["record.interval"] !== undefined && values["record.interval"] !== null;
    const hasCount = values["record.count"] !== undefined && values["record.count"] !== null;
    if (hasInterval && hasCount) problems.push(`gradientLens.record.interval and record.count are both set: set gradientLens.record.schedule to choose (both ignored)`);
    else if (hasInterval) record = "every";
    else if (hasCount) record = "log";
  }
  if (record !== undefined) {
    let schedule: RecordSchedule | undefined;
    if (record === "every") {
      const interval = num("record.interval", { min: 1, integer: true });
      schedule = interval !== undefined ? { kind: "every", interval } : { kind: "every" };
    } else if (record === "log") {
      const count = num("record.count", { min: 2, integer: true });
      schedule = count !== undefined ? { kind: "log", count } : { kind: "log" };
    } else {
      problems.push(`gradientLens.record.schedule: ${JSON.stringify(record)} is not "every" or "log" (ignored)`);
    }
    if (schedule) request.record = schedule;
  }

  return { request, problems };
}

/** Every setting key `parseSettings` reads (the host inspects exactly these). */
export const SETTING_KEYS = [
  "steps",
  "check.steps",
  "batchSize",
  "timeLimitMs",
  "memoryLimitMb",
  "gradcheck.mode",
  "gradcheck.eps",
  "gradcheck.atol",
  "gradcheck.rtol",
  "gradcheck.samples",
  "train.gradcheck",
  "rules.disabled",
  "record.schedule",
  "record.interval",
  "record.count",
  ...Object.keys(RULE_SETTINGS),
];

/** Settings the host reads for itself, not for a run: `history.maxRuns` (runHistory.ts `parseMaxRuns`). */
export const HOST_SETTING_KEYS = ["history.maxRuns"];
