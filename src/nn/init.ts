/**
 * Weight initialization schemes. Linear weights are stored [fanIn, fanOut] (so a layer is x·W + b).
 * Formulas: Glorot & Bengio 2010 (Xavier), He et al. 2015 (Kaiming), LeCun et al. 1998.
 */
import { globalRandom, type Random } from "../engine";

export interface Initializer {
  (shape: readonly number[], rng?: Random): Float64Array;
  /** Shown in reports and hovers, e.g. "heNormal". */
  readonly description: string;
}

function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[0] * receptive, fanOut: shape[1] * receptive };
}

function make(description: string, sample: (fanIn: number, fanOut: number, rng: Random) => number): Initializer {
  const f = (shape: readonly number[], rng: Random = globalRandom) => {
    const { fanIn, fanOut } = fans(shape);
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = sample(fanIn, fanOut, rng);
    return out;
  };
  return Object.assign(f, { description });
}

/** U(−a, a) with a = gain·√(6/(fanIn+fanOut)). */
export const xavierUniform = (gain = 1) =>
  make("xavierUniform", (i, o, r) => { const a = gain * Math.sqrt(6 / (i + o)); return r.range(-a, a); });
/** N(0, gain²·2/(fanIn+fanOut)). */
export const xavierNormal = (gain = 1) => make("xavierNormal", (i, o, r) => r.normal(0, gain * Math.sqrt(2 / (i + o))));
/** U(−a, a) with a = √(6/fanIn): keeps ReLU activations' variance constant with depth. */
export const heUniform = () => make("heUniform", (i, _o, r) => { const a = Math.sqrt(6 / i); return r.range(-a, a); });
/** N(0, 2/fanIn). */
export const heNormal = () => make("heNormal", (i, _o, r) => r.normal(0, Math.sqrt(2 / i)));
/** N(0, 1/fanIn). */
export const lecunNormal = () => make("lecunNormal", (i, _o, r) => r.normal(0, Math.sqrt(1 / i)));
/** N(0, std²) regardless of shape: the classic "small random numbers" init. */
export const normal = (std = 0.01, mean = 0) => make(`normal(${std})`, (_i, _o, r) => r.normal(mean, std));
/** U(low, high). */
export const uniform = (low = -0.05, high = 0.05) => make(`uniform(${low}, ${high})`, (_i, _o, r) => r.range(low, high));
/** Every entry equal to `value`. */
export const constant = (value = 0) => make(`constant(${value})`, () => value);
/** PyTorch's nn.Linear default: U(−1/√fanIn, 1/√fanIn) (kaiming_uniform with a = √5). */
export const torchDefault = () => make("torchDefault", (i, _o, r) => { const a = 1 / Math.sqrt(i); return r.range(-a, a); });
