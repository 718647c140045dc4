/**
 * Per-tensor gradient series, their health relative to the rest of the model, and the module tree
 * they group into ("blocks.3.attn.q_proj.weight" → blocks › 3 › attn › q_proj › weight), each group
 * summarized by its worst member. Pure: the flow tree, the heat map and the triage list read these.
 *
 * "Healthy" here is the model itself: a tensor's gradient RMS (its norm divided by √entries, so a bias
 * and a 512×512 weight compare) against the median over all tensors, in decades. A model whose every
 * tensor sits within a decade of its median has no layer starving or flooding the others; a tensor at
 * 10⁻⁴× the median barely learns. Non-finite gradients and all-zero gradients are worse than any ratio.
 */
import type { RunSnapshot } from "../src/protocol/webview";
import type { Severity, Warning } from "../src/report";

export interface TensorSeries {
  /** Parameter tensors in model order ("layers.0.weight"); layers when the run has no per-tensor statistics. */
  names: string[];
  /** The layer (leaf module) each tensor belongs to. */
  layers: string[];
  /** Recorded steps. */
  steps: number[];
  /** values[tensor][stepIndex]: gradient RMS (or norm, see `metric`); NaN where the step did not record it. */
  values: number[][];
  /** "rms" when every entry has gradRms; else "norm" for all (old reports, live progress). */
  metric: "rms" | "norm";
  /**
   * Per tensor, why its gradient is zero by construction when its layer declared so (an attention's key
   * bias): such a tensor is shown as such, and left out of medians, group summaries and the triage list.
   */
  zeroReasons: Array<string | undefined>;
}

export function tensorSeries(s: RunSnapshot): TensorSeries {
  const r = s.report;
  if (r && r.steps.some((st) => st.layers.length)) {
    const steps = r.steps.filter((st) => st.layers.length > 0);
    const index = new Map<string, number>();
    const names: string[] = [];
    const layers: string[] = [];
    let rms = true;
    const entries = (st: (typeof steps)[number]) => st.layers.flatMap((l) =>
      l.params?.length ? l.params.map((p) => ({ layer: l.name, stat: p })) : l.gradSource === "output" ? [] : [{ layer: l.name, stat: l }]);
    for (const st of steps) for (const { layer, stat } of entries(st)) {
      if (stat.gradRms === undefined) rms = false;
      if (index.has(stat.name)) continue;
      index.set(stat.name, names.length);
      names.push(stat.name);
      layers.push(layer);
    }
    const values = names.map(() => new Array<number>(steps.length).fill(NaN));
    steps.forEach((st, j) => {
      for (const { stat } of entries(st)) {
        const v: unknown = rms ? stat.gradRms : stat.gradNorm;
        // A NaN/Inf gradient arrives as null through JSON: recorded, non-finite (NaN in a row means "not recorded").
        values[index.get(stat.name)!][j] = typeof v === "number" && !Number.isNaN(v) ? Math.abs(v) : Infinity;
      }
    });
    const reasons = new Map(r.model.layers.flatMap((l) => (l.zeroGradient ?? []).map((z) => [z.name, z.reason] as const)));
    return { names, layers, steps: steps.map((st) => st.step), values, metric: rms ? "rms" : "norm", zeroReasons: names.map((n) => reasons.get(n)) };
  }
  // Live: per-layer norms from the progress points (redrawn every frame, so indexed, not searched).
  const points = s.progress.filter((p) => p.layers?.length);
  const index = new Map<string, number>();
  for (const p of points) for (const l of p.layers!) if (!index.has(l.name)) index.set(l.name, index.size);
  const names = [...index.keys()];
  const values = names.map(() => new Array<number>(points.length).fill(NaN));
  points.forEach((p, j) => {
    for (const l of p.layers!) values[index.get(l.name)!][j] = l.gradNorm;
  });
  return { names, layers: [...names], steps: points.map((p) => p.step), values, metric: "norm", zeroReasons: names.map(() => undefined) };
}

export type HealthStatus = "ok" | "non-finite" | "zero" | "missing" | "zero-by-design";

export interface TensorHealth {
  name: string;
  layer: string;
  /** Geometric mean of the finite positive values in the window (NaN when there are none). */
  value: number;
  /** log10(value / median), decades; +∞ for a non-finite gradient, −∞ for an all-zero one, NaN when missing or zero by design. */
  deviation: number;
  status: HealthStatus;
  /** Why the gradient is zero by construction (status "zero-by-design"). */
  reason?: string;
}

/** Each tensor's window summary and its distance from the median tensor. `window` is [start, end) over `series.steps`. */
export function tensorHealth(series: TensorSeries, window: [number, number] = [0, series.steps.length]): { tensors: TensorHealth[]; median: number } {
  const [start, end] = window;
  const summaries = series.values.map((row) => {
    let logSum = 0;
    let n = 0;
    let nonFinite = false;
    let zeros = 0;
    for (let j = start; j < end; j++) {
      const v = row[j];
      // NaN means "not recorded" (a NaN gradient stops the run at its origin, reported by nan-or-inf).
      if (v === Infinity || v === -Infinity) nonFinite = true;
      else if (v === 0) zeros++;
      else if (v > 0) {
        logSum += Math.log10(v);
        n++;
      }
    }
    return { value: n ? 10 ** (logSum / n) : NaN, nonFinite, zeros };
  });
  const finite = summaries.filter((s, i) => !s.nonFinite && !series.zeroReasons[i]).map((s) => s.value).filter((v) => Number.isFinite(v) && v > 0);
  const median = medianOf(finite);
  const tensors = summaries.map((s, i): TensorHealth => {
    const base = { name: series.names[i], layer: series.layers[i], value: s.value };
    if (s.nonFinite) return { ...base, deviation: Infinity, status: "non-finite" };
    const reason = series.zeroReasons[i];
    if (reason) return { ...base, deviation: NaN, status: "zero-by-design", reason };
    if (!Number.isFinite(s.value)) return s.zeros ? { ...base, deviation: -Infinity, status: "zero" } : { ...base, deviation: NaN, status: "missing" };
    return { ...base, deviation: Math.log10(s.value / median), status: "ok" };
  });
  return { tensors, median };
}

/** How far from healthy, for ranking: non-finite first, then all-zero, then decades from the median; missing and zero by design last. */
export function badness(t: Pick<TensorHealth, "status" | "deviation">): number {
  if (t.status === "non-finite") return 1e9;
  if (t.status === "zero") return 1e8;
  if (t.status === "missing" || t.status === "zero-by-design") return -1;
  return Math.abs(t.deviation);
}

export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export interface TreeNode {
  /** Full dotted path ("layers.3.selfAttn"); "" for the root. */
  path: string;
  /** What the row shows: the segments since the parent (chains of single children are joined: "selfAttn.qProj"). */
  label: string;
  children: TreeNode[];
  /** Index into the tensors for a leaf. */
  tensor?: number;
  /** Every tensor index under the node. */
  members: number[];
}

/** The module tree of dotted names, in first-seen order; a group with a single child group is merged into it. */
export function buildTree(names: string[]): TreeNode {
  const root: TreeNode = { path: "", label: "", children: [], members: [] };
  names.forEach((name, i) => {
    let node = root;
    const parts = name.split(".");
    parts.forEach((part, k) => {
      const path = parts.slice(0, k + 1).join(".");
      let child = node.children.find((c) => c.path === path);
      if (!child) {
        child = { path, label: part, children: [], members: [] };
        node.children.push(child);
      }
      child.members.push(i);
      node = child;
    });
    node.tensor = i;
  });
  root.members = names.map((_, i) => i);
  const merge = (n: TreeNode): TreeNode => {
    n.children = n.children.map(merge);
    if (n.path !== "" && n.tensor === undefined && n.children.length === 1 && n.children[0].tensor === undefined) {
      const only = n.children[0];
      return { ...only, label: `${n.label}.${only.label}` };
    }
    return n;
  };
  return merge(root);
}

export interface NodeSummary {
  /** The member furthest from healthy (a tensor index), or undefined for a node without recorded members. */
  worst?: number;
  /** The most severe warning on a layer under the node. */
  severity?: Severity;
  /** Indices into the report's warnings that fall under the node. */
  warnings: number[];
}

/** The node a layer's warnings belong to: the node of the layer itself, else its deepest ancestor in the tree (an activation layer has no tensor). */
export function nodeOfLayer(root: TreeNode, layer: string): TreeNode | undefined {
  let node: TreeNode | undefined;
  const walk = (n: TreeNode) => {
    for (const c of n.children) {
      if (layer === c.path || layer.startsWith(`${c.path}.`)) {
        node = c;
        walk(c);
        return;
      }
    }
  };
  walk(root);
  return node;
}

/** Each node's worst member and most severe warning, keyed by path. */
export function summarizeTree(root: TreeNode, health: TensorHealth[], warnings: Warning[]): Map<string, NodeSummary> {
  const own = new Map<TreeNode, number[]>();
  warnings.forEach((w, i) => {
    const node = w.layer ? nodeOfLayer(root, w.layer) : undefined;
    if (node) own.set(node, [...(own.get(node) ?? []), i]);
  });
  const out = new Map<string, NodeSummary>();
  const visit = (n: TreeNode): NodeSummary => {
    const childSummaries = n.children.map(visit);
    const ws = [...(own.get(n) ?? []), ...childSummaries.flatMap((c) => c.warnings)];
    let worst: number | undefined;
    for (const i of n.members) if (health[i].status !== "missing" && health[i].status !== "zero-by-design" && (worst === undefined || badness(health[i]) > badness(health[worst]))) worst = i;
    let severity: Severity | undefined;
    for (const i of ws) if (!severity || SEVERITY_RANK[warnings[i].severity] > SEVERITY_RANK[severity]) severity = warnings[i].severity;
    const s: NodeSummary = { worst, severity, warnings: ws };
    out.set(n.path, s);
    return s;
  };
  visit(root);
  return out;
}

/** The rows a tree shows with `expanded` paths open (the root's children first), each with its depth. */
export function visibleRows(root: TreeNode, expanded: ReadonlySet<string>): Array<{ node: TreeNode; depth: number }> {
  const rows: Array<{ node: TreeNode; depth: number }> = [];
  const walk = (n: TreeNode, depth: number) => {
    for (const c of n.children) {
      rows.push({ node: c, depth });
      if (c.children.length && expanded.has(c.path)) walk(c, depth + 1);
    }
  };
  walk(root, 0);
  return rows;
}

/** The paths to open so that the tree starts readable: while the top shows a single group, open it. */
export function defaultExpanded(root: TreeNode): Set<string> {
  const open = new Set<string>();
  let rows = visibleRows(root, open);
  while (rows.length === 1 && rows[0].node.children.length) {
    open.add(rows[0].node.path);
    rows = visibleRows(root, open);
  }
  return open;
}

/** The paths to open so that `path`'s node is visible. */
export function ancestorsOf(root: TreeNode, path: string): string[] {
  const found: string[] = [];
  const walk = (n: TreeNode, trail: string[]): boolean => {
    for (const c of n.children) {
      if (c.path === path) {
        found.push(...trail);
        return true;
      }
      if ((path.startsWith(`${c.path}.`)) && walk(c, [...trail, c.path])) return true;
    }
    return false;
  };
  walk(root, []);
  return found;
}

/**
 * A heat-map row for a node over steps [start, end): a leaf's own values; a group's, at each step, the
 * value of the member furthest (in decades) from that step's median over all tensors — the row lights up
 * or fades where its worst member does.
 */
export function groupRow(node: TreeNode, series: TensorSeries, stepMedians: number[], start: number, end: number): number[] {
  const out: number[] = [];
  for (let j = start; j < end; j++) {
    if (node.tensor !== undefined) {
      out.push(series.values[node.tensor][j]);
      continue;
    }
    const med = stepMedians[j];
    let best = NaN;
    let bestScore = -1;
    for (const i of node.members) {
      const v = series.values[i][j];
      if (Number.isNaN(v) || series.zeroReasons[i]) continue;
      const score = !Number.isFinite(v) ? 1e9 : v === 0 ? 1e8 : Number.isFinite(med) && med > 0 ? Math.abs(Math.log10(v / med)) : 0;
      if (score > bestScore) {
        bestScore = score;
        best = v;
      }
    }
    out.push(best);
  }
  return out;
}

/** The median over tensors of each step's finite positive values. */
export function stepMedians(series: TensorSeries): number[] {
  const rows = series.values.filter((_, i) => !series.zeroReasons[i]);
  return series.steps.map((_, j) => medianOf(rows.map((row) => row[j]).filter((v) => Number.isFinite(v) && v > 0)));
}

/** The median; of an even count, the geometric mean of the middle two (the values are compared in decades). */
export function medianOf(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.sqrt(s[m - 1] * s[m]);
}

/** Everything the flow tree, the grouped heat map and the triage list read, for one window of steps. */
export interface GradientModel {
  series: TensorSeries;
  /** [start, end) over `series.steps`. */
  window: [number, number];
  health: TensorHealth[];
  median: number;
  root: TreeNode;
  summaries: Map<string, NodeSummary>;
  stepMedians: number[];
}

export function gradientModel(series: TensorSeries, window: [number, number], warnings: Warning[]): GradientModel {
  const { tensors, median } = tensorHealth(series, window);
  const root = buildTree(series.names);
  return { series, window, health: tensors, median, root, summaries: summarizeTree(root, tensors, warnings), stepMedians: stepMedians(series) };
}
