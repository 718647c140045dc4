/** Options of the debugger's entry points (`inspect`, `checkGradients`): the contract front ends code against. */

/** Which steps get full per-layer statistics (the loss is recorded every step regardless). */
export type RecordSchedule =
  | { kind: "every"; interval?: number }
  /** About `count` steps spaced evenly on a log scale (Cockpit's `track_schedule` idea): dense early, sparse late. */
  | { kind: "log"; count?: number }
  | { kind: "steps"; steps: number[] };

export type GradcheckMode = "full" | "sampled" | "directional";

export interface GradcheckOptions {
  mode?: GradcheckMode;
  /** Central-difference step (default 1e-6). */
  eps?: number;
  /** Pass when |a − n| ≤ atol + rtol·|n| (defaults 1e-5 and 1e-3: PyTorch gradcheck's). */
  atol?: number;
  rtol?: number;
  /** Entries per parameter tensor in `sampled` mode (default 10). */
  samples?: number;
  /** Random direction pairs in `directional` mode (default 2). */
  directions?: number;
  /** Seed for sampled entries and directions (default 0). */
  seed?: number;
  /** How many worst entries to list per layer (default 5). */
  worst?: number;
  /**
   * Training rows a ModelSpec is checked on, drawn at random with `seed` (default 16, capped by the
   * spec's batch size; an explicit value is capped only by the data): each checked entry costs two
   * forward passes over them. Random rather than the first rows: sorted data sets start with special
   * points (spirals start at the origin, where every ReLU input is exactly at its kink).
   */
  batchSize?: number;
}

/** Per-rule overrides by rule id, e.g. `{ "dead-relu": { fraction: 0.8 }, "loss-oscillating": { enabled: false } }`. */
export type RuleOverrides = Record<string, Record<string, number | boolean>>;

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
