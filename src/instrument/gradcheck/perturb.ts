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

/** A seeded random unit vector u the size of `grad`, and the directional derivative a = grad·u. */
export function randomDirection(rng: Random, grad: ArrayLike<number>): { u: Float64Array; a: number } {
  const u = new Float64Array(grad.length);
  let norm = 0;
  for (let j = 0; j < u.length; j++) {
    u[j] = rng.normal();
    norm += u[j] * u[j];
  }
  norm = Math.sqrt(norm) || 1;
  let a = 0;
  for (let j = 0; j < u.length; j++) {
    u[j] /= norm;
    a += grad[j] * u[j];
  }
  return { u, a };
}
