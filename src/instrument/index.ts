/** The debugger: per-layer recording, warning rules, NaN/Inf origin tracking, numeric gradient checks, `inspect`. */
export * from "./types";
export { inspect, modelLayers } from "./inspect";
export { checkGradients, GRADCHECK_DEFAULTS, GRADCHECK_BATCH, type GradcheckTarget, type ModuleTarget, type FunctionTarget, type CheckGradientsOptions } from "./gradcheck";
export { NanTracker, type NanOrigin } from "./nan";
export { Recorder, recordedSteps, DEFAULT_RECORD, SATURATION_THRESHOLD, type RecordedLayer } from "./recorder";
export {
  RULES, RULE_IDS, runRules, resolveRuleParams, vanishingGradient, explodingGradient, deadRelu, saturatedActivation,
  updateRatio, nanOrInf, lossNotDecreasing, lossOscillating, gradcheckFailed,
  type Rule, type RuleId, type RuleContext, type RuleLayer, type RuleParams,
} from "./rules";
export { HISTOGRAM_BINS, HISTOGRAM_LOG10_MIN, HISTOGRAM_LOG10_MAX, histogramEdges } from "./stats";
export { vanishingThroughTime, explodingThroughTime, attentionCollapse, clippingAlwaysActive } from "./timeRules";
export { TapCollector } from "./taps";
