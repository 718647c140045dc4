/**
 * Gradients through time and attention statistics: an observer the recorder attaches for the forward and
 * backward pass of each recorded step only (so taps cost nothing on the other steps). Every tap call of
 * the step is one entry (its series' next time index); its gradient event adds ‖g‖² into it. At the end
 * of the step the entries become the step record's `timeNorms` (norms[t] = ‖∂L/∂h_t‖, forward order) and
 * the attention calls its `attention` (per-head entropy, averaged over the step's calls weighted by their rows).
 */
import { observe, type AttentionEvent, type Observer, type TapEvent, type TapGradientEvent } from "../engine";
import type { AttentionStats, SourceLocation, StepRecord, TimeNorms, TimeSeriesInfo } from "../report";

interface AttentionSum {
  entropy: Float64Array;
  uniform: number;
  rows: number;
}

export class TapCollector implements Observer {
  /** Every series seen on a recorded step, in order of first appearance. */
  readonly series = new Map<string, TimeSeriesInfo>();
  /** What each recorded step measured, by step. */
  readonly steps = new Map<number, { timeNorms?: TimeNorms[]; attention?: AttentionStats[] }>();
  /** This step's tap calls: entry → series name, and its Σ g² (0 until a gradient reaches it). */
  private names: string[] = [];
  private sq: number[] = [];
  /** This step's tap events → their entry. */
  private entries = new Map<TapEvent, number>();
  private attentionSums = new Map<string, AttentionSum>();
  private detach: (() => void) | null = null;

  /** `locate` gives a layer's source location (the recorder knows the model's modules). */
  constructor(private readonly locate: (layer: string) => SourceLocation | undefined = () => undefined) {}

  /** Starts collecting for a recorded step: attaches this collector as an observer. */
  start(): void {
    this.detach ??= observe(this);
    this.clear();
  }

  private clear(): void {
    this.names = [];
    this.sq = [];
    this.entries.clear();
    this.attentionSums.clear();
  }

  /** Ends the step (after its backward pass): detaches and keeps what the step measured. */
  finish(step: number): void {
    if (!this.detach) return;
    this.stop();
    const byName = new Map<string, number[]>();
    for (let i = 0; i < this.names.length; i++) {
      const norms = byName.get(this.names[i]) ?? [];
      if (!norms.length) byName.set(this.names[i], norms);
      norms.push(Math.sqrt(this.sq[i]));
    }
    const record: { timeNorms?: TimeNorms[]; attention?: AttentionStats[] } = {};
    if (byName.size) record.timeNorms = this.timeSeries().filter((s) => byName.has(s.name)).map(({ name }) => ({ name, norms: byName.get(name)! }));
    if (this.attentionSums.size) {
      record.attention = [...this.attentionSums].map(([layer, a]) => ({
        layer, entropy: Array.from(a.entropy, (e) => e / a.rows), uniformEntropy: a.uniform / a.rows,
      }));
    }
    if (record.timeNorms || record.attention) this.steps.set(step, record);
    this.clear();
  }

  /** Detaches without keeping the step (a step that ended before its backward pass). */
  stop(): void {
    this.detach?.();
    this.detach = null;
  }

  tap(e: TapEvent): void {
    const { name, info } = e;
    if (!this.series.has(name)) {
      const s: TimeSeriesInfo = { name, kind: info.kind };
      if (info.layer) s.layer = info.layer;
      // A tap's own line, else the line that built its layer (a recurrent layer's series, or no capture).
      const location = info.callSite?.() ?? (info.layer ? this.locate(info.layer) : undefined);
      if (location) s.location = location;
      this.series.set(name, s);
    }
    this.entries.set(e, this.names.length);
    this.names.push(name);
    this.sq.push(0);
  }

  tapGradient({ tap, sumSquares }: TapGradientEvent): void {
    // A second backward pass over the same graph in one step adds its ‖g‖² to the entry (rare; one pass is
    // the norm); a call from before this step (a graph kept across steps) has no entry and is ignored.
    const entry = this.entries.get(tap);
    if (entry !== undefined) this.sq[entry] += sumSquares;
  }

  attention({ layer, entropy, uniformEntropy, rows }: AttentionEvent): void {
    if (!(rows > 0)) return;
    let a = this.attentionSums.get(layer);
    if (!a || a.entropy.length !== entropy.length) {
      a = { entropy: new Float64Array(entropy.length), uniform: 0, rows: 0 };
      this.attentionSums.set(layer, a);
    }
    for (let h = 0; h < entropy.length; h++) a.entropy[h] += entropy[h] * rows;
    a.uniform += uniformEntropy * rows;
    a.rows += rows;
  }

  /**
   * The series in report order: grouped by layer in order of first appearance, a layer's series by name
   * (its hidden state "layers.0" before its cell state "layers.0.c" and its stacked layers "layers.0.l1").
   */
  timeSeries(): TimeSeriesInfo[] {
    const groups = new Map<string, TimeSeriesInfo[]>();
    for (const s of this.series.values()) {
      const key = s.kind === "recurrent" && s.layer ? s.layer : `\u0000${s.name}`;
      const g = groups.get(key);
      if (g) g.push(s);
      else groups.set(key, [s]);
    }
    return [...groups.values()].flatMap((g) => g.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  }

  /** Copies each recorded step's measurements into its step record. */
  fill(steps: StepRecord[]): void {
    for (const s of steps) {
      const r = this.steps.get(s.step);
      if (r?.timeNorms) s.timeNorms = r.timeNorms;
      if (r?.attention) s.attention = r.attention;
    }
  }
}
