/**
 * Sequence tasks that test memory over time, seeded; inputs are (n, time, channels), batch first as the
 * recurrent layers expect.
 *   addingProblem  Hochreiter & Schmidhuber 1997 (in the form of Le et al. 2015): regression on two marked values.
 *   copyTask       recall a sequence of symbols after a delay (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016).
 *   parity         the XOR of a bit sequence: every step matters until the last.
 *   brackets       is a bracket string balanced? Token ids for nn.Embedding (a Dyck language, Dyck 1882).
 */
import { Random, Tensor } from "../engine";
import type { Dataset } from "./dataset";

function checkInteger(name: string, v: number, min: number): void {
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
}

export interface AddingProblemOptions {
  /** Number of sequences (default 1000). */
  n?: number;
  /** Time steps per sequence (default 50); the marked values lie one in each half. */
  length?: number;
  seed?: number;
}

/**
 * The adding problem: x (n, length, 2) with channel 0 values U(0, 1) and channel 1 a marker that is 1 at
 * exactly two steps, one in each half of the sequence; y (n, 1) is the sum of the two marked values. Always
 * predicting 1 gives a mean squared error of 1/6 ≈ 0.167: a model below it has learned to remember.
 */
export function addingProblem(options: AddingProblemOptions = {}): Dataset {
  const n = options.n ?? 1000;
  const length = options.length ?? 50;
  checkInteger("addingProblem: n", n, 1);
  checkInteger("addingProblem: length", length, 2);
  const rng = new Random(options.seed ?? 0);
  const x = new Float64Array(n * length * 2);
  const y = new Float64Array(n);
  const half = Math.floor(length / 2);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < length; t++) x[(i * length + t) * 2] = rng.uniform();
    const first = Math.floor(rng.uniform() * half);
    const second = half + Math.floor(rng.uniform() * (length - half));
    for (const t of [first, second]) {
      x[(i * length + t) * 2 + 1] = 1;
      y[i] += x[(i * length + t) * 2];
    }
  }
  return { x: new Tensor(x, [n, length, 2]), y: new Tensor(y, [n, 1]) };
}

export interface CopyTaskOptions {
  /** Number of sequences (default 1000). */
  n?: number;
  /** Symbols to remember per sequence (default 10). */
  length?: number;
  /** Blank steps between the symbols and the recall cue (default 10). */
  delay?: number;
  /** Alphabet size (default 8): symbols are classes 1..symbols, class 0 is "blank". */
  symbols?: number;
  seed?: number;
}

/**
 * The copy task: the model sees `length` random symbols, `delay` blanks, then a cue, and must output the
 * symbols again. Sequences have T = 2·length + delay + 1 steps. x (n, T, symbols + 2) is one-hot over
 * [blank, symbol 1..symbols, cue]; y (n, T) holds the class wanted at each step (0 = blank until after the
 * cue, then the symbols in order), `classes = symbols + 1`. For a per-step cross-entropy, reshape the
 * logits to (n·T, classes) and the labels to (n·T). Always answering blank scores
 * log(symbols)·length/T above a perfect copy in mean cross-entropy.
 */
export function copyTask(options: CopyTaskOptions = {}): Dataset {
  const n = options.n ?? 1000;
  const length = options.length ?? 10;
  const delay = options.delay ?? 10;
  const symbols = options.symbols ?? 8;
  checkInteger("copyTask: n", n, 1);
  checkInteger("copyTask: length", length, 1);
  checkInteger("copyTask: delay", delay, 0);
  checkInteger("copyTask: symbols", symbols, 1);
  const T = 2 * length + delay + 1;
  const C = symbols + 2;
  const rng = new Random(options.seed ?? 0);
  const x = new Float64Array(n * T * C);
  const y = new Float64Array(n * T);
  for (let i = 0; i < n; i++) {
    const seq = Array.from({ length }, () => 1 + Math.floor(rng.uniform() * symbols));
    for (let t = 0; t < T; t++) {
      const channel = t < length ? seq[t] : t === length + delay ? symbols + 1 : 0;
      x[(i * T + t) * C + channel] = 1;
      if (t > length + delay) y[i * T + t] = seq[t - length - delay - 1];
    }
  }
  return { x: new Tensor(x, [n, T, C]), y: new Tensor(y, [n, T]), classes: symbols + 1 };
}

export interface ParityOptions {
  /** Number of sequences (default 1000). */
  n?: number;
  /** Bits per sequence (default 20). */
  length?: number;
  seed?: number;
}

/** Parity: x (n, length, 1) of random bits 0/1; y (n) is their XOR (class 0 or 1, `classes = 2`). */
export function parity(options: ParityOptions = {}): Dataset {
  const n = options.n ?? 1000;
  const length = options.length ?? 20;
  checkInteger("parity: n", n, 1);
  checkInteger("parity: length", length, 1);
  const rng = new Random(options.seed ?? 0);
  const x = new Float64Array(n * length);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let t = 0; t < length; t++) {
      const bit = rng.uniform() < 0.5 ? 1 : 0;
      x[i * length + t] = bit;
      p ^= bit;
    }
    y[i] = p;
  }
  return { x: new Tensor(x, [n, length, 1]), y: new Tensor(y, [n]), classes: 2 };
}

export interface BracketsOptions {
  /** Number of sequences (default 1000). */
  n?: number;
  /** Longest sequence (default 16, even); each sequence has an even length in [2, length], left-padded with 0. */
  length?: number;
  /** Bracket kinds (default 1: "()"; 2 adds "[]"). */
  kinds?: 1 | 2;
  seed?: number;
}

/** Token ids of `brackets`: 0 padding, then each kind's opening and closing bracket. */
export const BRACKET_TOKENS = ["<pad>", "(", ")", "[", "]"] as const;

/** True when the id sequence (0 = padding, ignored) is a balanced bracket string. */
export function isBalanced(ids: ArrayLike<number>): boolean {
  const stack: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i];
    if (t === 0) continue;
    if (t % 2 === 1) stack.push(t);
    else if (stack.pop() !== t - 1) return false;
  }
  return stack.length === 0;
}

/** A random open-or-close walk of `m` tokens (m even) that never goes below depth 0 and ends at 0. */
function balanced(m: number, kinds: number, rng: Random): number[] {
  const out: number[] = [];
  const open: number[] = [];
  let opensLeft = m / 2;
  for (let i = 0; i < m; i++) {
    if (opensLeft > 0 && (open.length === 0 || rng.uniform() < 0.5)) {
      const id = 1 + 2 * rng.int(kinds);
      open.push(id);
      out.push(id);
      opensLeft--;
    } else {
      out.push(open.pop()! + 1);
    }
  }
  return out;
}

/**
 * Breaks a balanced string in one of three ways, each always unbalanced: flip one bracket's direction (the
 * counts no longer match), move the first token to the end (counts match, the order does not: the string
 * now ends with an opening bracket), or with two kinds give one closing bracket the other kind.
 */
function corrupt(seq: number[], kinds: number, rng: Random): number[] {
  const out = seq.slice();
  const way = rng.int(kinds === 2 ? 3 : 2);
  if (way === 0) {
    const i = rng.int(out.length);
    out[i] += out[i] % 2 === 1 ? 1 : -1;
  } else if (way === 1) {
    out.push(out.shift()!);
  } else {
    const closing = out.flatMap((t, i) => (t % 2 === 0 ? [i] : []));
    const i = closing[rng.int(closing.length)];
    out[i] = out[i] === 2 ? 4 : 2;
  }
  return out;
}

/**
 * Balanced-bracket classification: x (n, length) holds token ids as integral floats (0 padding, 1 "(",
 * 2 ")", 3 "[", 4 "]"; see BRACKET_TOKENS), each sequence left-padded so its last token sits at the last
 * step; y (n) is 1 when the string is balanced and 0 when not (`classes = 2`), each with probability 1/2.
 * Unbalanced strings are balanced ones broken once, so counting brackets is not enough to tell them
 * apart: a model must track depth over time. `vocab` is the number of ids, for `nn.Embedding(vocab, dim,
 * { paddingIdx: 0 })`.
 */
export function brackets(options: BracketsOptions = {}): Dataset & { vocab: number } {
  const n = options.n ?? 1000;
  const length = options.length ?? 16;
  const kinds = options.kinds ?? 1;
  checkInteger("brackets: n", n, 1);
  checkInteger("brackets: length", length, 2);
  if (length % 2 !== 0) throw new Error(`brackets: length must be even, got ${length}`);
  if (kinds !== 1 && kinds !== 2) throw new Error(`brackets: kinds must be 1 or 2, got ${kinds}`);
  const rng = new Random(options.seed ?? 0);
  const x = new Float64Array(n * length);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = 2 * (1 + rng.int(length / 2));
    const good = rng.uniform() < 0.5;
    const base = balanced(m, kinds, rng);
    const seq = good ? base : corrupt(base, kinds, rng);
    x.set(seq, i * length + length - m);
    y[i] = good ? 1 : 0;
  }
  return { x: new Tensor(x, [n, length]), y: new Tensor(y, [n]), classes: 2, vocab: 1 + 2 * kinds };
}
