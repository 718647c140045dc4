/** Options of the debugger's entry points (`inspect`, `checkGradients`): the contract front ends code against. */

// The options a run is made with are shared with the runner protocol, which may import only the
// report's types: they live in report.ts, and are re-exported here for the debugger's entry points.
import type { GradcheckOptions, RecordSchedule, RuleOverrides } from "../report";
export type { GradcheckMode, GradcheckOptions, RecordSchedule, RuleOverrides } from "../report";

export interface ProgressInfo {
  step: number;
  totalSteps: number;
  loss: number;
  accuracy?: number;
  /** Latest gradient norms of the layers with parameters (present on recorded steps). */
  layers?: Array<{ name: string; gradNorm: number }>;
}

/** What kind of run `inspect` builds: a `check` is a short recorded run plus the gradient check; a `train` runs the spec's steps and checks only when asked. */
export type RunPurpose = "check" | "train";

/** What `inspect` tells its caller once the run is built, before the first step. */
export interface RunStartInfo {
  /** The steps the run will take (after the check's cap). */
  totalSteps: number;
  /** Trainable parameters of the built model. */
  parameters: number;
  /** Changes `inspect` made to what was asked (e.g. a full check sampled over its budget), one sentence each. */
  notes: string[];
}

export interface InspectOptions {
  /**
   * `check`: at most CHECK_MAX_STEPS steps unless `steps` is given, gradient check sampled by default.
   * `train`: no gradient check unless `gradcheck` is given. Unset: the spec's steps and a sampled check.
   */
  purpose?: RunPurpose;
  /** Overrides the spec's step count. */
  steps?: number;
  /** Overrides the spec's batch size. */
  batchSize?: number;
  record?: RecordSchedule;
  /** Run a gradient check after training (false to skip). Default: sampled. */
  gradcheck?: GradcheckOptions | false;
  rules?: RuleOverrides;
  /** Track the first op producing NaN/Inf (default true). */
  nanTracking?: boolean;
  onProgress?: (p: ProgressInfo) => void;
  /** Called once the run is built (model, data, step count), before the first step. */
  onStart?: (info: RunStartInfo) => void;
  /** Polled between steps; true stops training early (the report covers the steps done). */
  shouldStop?: () => boolean;
  /** Filled into the report's model section. */
  file?: string;
  exportName?: string;
}
