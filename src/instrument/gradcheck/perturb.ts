/**
 * Perturbation and finite differences' bookkeeping: which side of a kink every element sits on (so a
 * perturbation that crosses one is seen), entry indices, and seeded random directions.
 */
import { getOp, type Random, type Tensor } from "../../engine";
import type { OpObserver } from "./observe";

/**
 * Records, for every op with a kink, which side of it each element is on; in compare mode flags any
 * change. An entry whose ±eps evaluation changes a pattern straddles a kink, where the two one-sided
 * derivatives differ and a central difference means nothing.
 */
export class KinkWatch implements OpObserver {
  private base: Int8Array[] = [];
  private index = 0;
  private mode: "off" | "record" | "compare" = "off";
  crossed = false;

  begin(mode: "record" | "compare"): void {
    this.mode = mode;
    this.index = 0;
    this.crossed = false;
    if (mode === "record") this.base = [];
  }
  end(): void {
    if (this.mode === "compare" && this.index !== this.base.length) this.crossed = true;
    this.mode = "off";
  }

  forward(e: { op: string; inputs: readonly Tensor[]; output: Tensor }): void {
    if (this.mode === "off" || this.crossed) return;
    const sides = getOp(e.op)?.kinks;
    if (!sides) return;
    const pattern = sides(e.inputs, e.output);
    if (this.mode === "record") {
      this.base.push(pattern);
      this.index++;
      return;
    }
    const b = this.base[this.index++];
    if (!b || b.length !== pattern.length) {
      this.crossed = true;
      return;
    }
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== pattern[i]) {
        this.crossed = true;
        return;
      }
    }
  }
}

export function multiIndex(shape: readonly number[], flat: number): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** `k` distinct indices out of `size`, seeded (a partial Fisher–Yates shuffle), in the order drawn. */
export function sampleIndices(rng: Random, size: number, k: number): number[] {
  const pool = Int32Array.from({ length: size }, (_, i) => i);
  const out: number[] = [];
  for (let j = 0; j < Math.min(k, size); j++) {
    const r = j + rng.int(size - j);
    const tmp = pool[j];
    pool[j] = pool[r];
    pool[r] = tmp;
    out.push(pool[j]);
  }
  return out;
}

/**
 * Fills `u` with seeded values uniform in [−0.5, 0.5): a counter hashed by an integer hash from
 * C. Wellons' hash prospector (two multiplies per value). `Random.normal` (Box–Muller over two xoshiro
 * draws) took ~130 ms for a million values on the bench machine, four times the forward and backward
 * pass of the 1M-parameter MLP whose check should cost a few of them. A uniform direction finds a wrong
 * gradient e as well as a Gaussian one (PyTorch's fast mode draws uniform ones too): it is missed only
 * when e·u ≈ 0.
 */
export function fillUniform(u: Float64Array, seed: number): Float64Array {
  let s = seed | 0;
  for (let j = 0; j < u.length; j++) {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z ^= z >>> 15;
    // A signed 32-bit integer over 2³²: [−0.5, 0.5).
    u[j] = z * 2.3283064365386963e-10;
  }
  return u;
}

/** A seeded random unit vector u the size of `grad`, and the directional derivative a = grad·u. */
export function randomDirection(rng: Random, grad: ArrayLike<number>): { u: Float64Array; a: number } {
  const u = fillUniform(new Float64Array(grad.length), rng.nextUint32());
  let norm = 0;
  for (let j = 0; j < u.length; j++) norm += u[j] * u[j];
  norm = Math.sqrt(norm) || 1;
  let a = 0;
  for (let j = 0; j < u.length; j++) {
    u[j] /= norm;
    a += grad[j] * u[j];
  }
  return { u, a };
}
