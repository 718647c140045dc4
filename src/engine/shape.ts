/** Shape arithmetic shared by every op: sizes, strides, NumPy-style broadcasting. */

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** The broadcast result of two shapes, or a clear error naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

const indexCache = new Map<string, Int32Array>();
/** The cache is bounded by bytes, not entries: one map is as large as the tensor it indexes. */
const INDEX_CACHE_BYTES = 64 * 1024 * 1024;
let indexCacheBytes = 0;

/**
 * For each flat index of `outShape`, the flat index of the element of `inShape` that broadcasts to it.
 * `inShape` must broadcast to `outShape`. Cached: training loops repeat the same shapes every step.
 * The same map serves reductions: with `inShape` the kept-dims result of a reduction of `outShape`,
 * element i of the input is summed into element map[i] of the result.
 */
export function broadcastIndex(outShape: Shape, inShape: Shape): Int32Array {
  const key = `${outShape.join(",")}|${inShape.join(",")}`;
  const hit = indexCache.get(key);
  if (hit) return hit;
  const n = sizeOf(outShape);
  const map = new Int32Array(n);
  const nd = outShape.length;
  const offset = nd - inShape.length;
  const inStrides = stridesOf(inShape);
  // Effective stride of each output axis inside the input: 0 where the input is broadcast.
  const eff = new Array<number>(nd).fill(0);
  for (let i = 0; i < inShape.length; i++) eff[i + offset] = inShape[i] === 1 ? 0 : inStrides[i];
  const counter = new Array<number>(nd).fill(0);
  let inIdx = 0;
  for (let o = 0; o < n; o++) {
    map[o] = inIdx;
    for (let ax = nd - 1; ax >= 0; ax--) {
      counter[ax]++;
      inIdx += eff[ax];
      if (counter[ax] < outShape[ax]) break;
      inIdx -= eff[ax] * counter[ax];
      counter[ax] = 0;
    }
  }
  if (map.byteLength <= INDEX_CACHE_BYTES / 4) {
    while (indexCacheBytes + map.byteLength > INDEX_CACHE_BYTES && indexCache.size) {
      const [oldest, old] = indexCache.entries().next().value as [string, Int32Array];
      indexCache.delete(oldest);
      indexCacheBytes -= old.byteLength;
    }
    indexCache.set(key, map);
    indexCacheBytes += map.byteLength;
  }
  return map;
}

/** Normalizes axis arguments (negative allowed) to a sorted unique list; undefined means all axes. */
export function normalizeAxes(op: string, shape: Shape, axis?: number | readonly number[]): number[] {
  if (axis === undefined) return shape.map((_, i) => i);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = new Set<number>();
  for (const a of list) {
    const ax = a < 0 ? a + shape.length : a;
    if (!Number.isInteger(ax) || ax < 0 || ax >= shape.length) {
      throw new Error(`${op}: axis ${a} is out of range for a tensor of shape ${formatShape(shape)}`);
    }
    out.add(ax);
  }
  return [...out].sort((x, y) => x - y);
}

/** The shape of a reduction over `axes`, with the reduced axes kept as 1. */
export function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}
