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

export interface InspectOptions {
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
  /** Polled between steps; true stops training early (the report covers the steps done). */
  shouldStop?: () => boolean;
  /** Filled into the report's model section. */
  file?: string;
  exportName?: string;
}
