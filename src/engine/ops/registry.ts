/**
 * The op registry (after tfjs-core's kernel registry): every op registers its name here with what the
 * debugger must know about it, so the test suite can enumerate every op and check each fact — its gradient
 * against central differences, its kinks, the non-finite values it can make. An op registered without
 * them does not compile, and an op whose declaration is wrong fails the registry walk.
 */
import type { Tensor } from "../tensor";

export type OpKind = "elementwise" | "reduction" | "linalg" | "layout" | "activation" | "composite" | "custom";

/**
 * Which side of the op's kinks each entry of one call sits on (one code per entry, any numbering the op
 * likes). A perturbation that changes any code crossed a kink: the gradient check then judges that entry
 * against one-sided differences instead of the central one.
 */
export type KinkSides = (inputs: readonly Tensor[], output: Tensor) => Int8Array;

/** How an op can turn finite inputs into NaN or ±Inf (forward or backward), and what the user can do. */
export interface NonFiniteCause {
  /** The inputs that do it, e.g. "inputs above ~709 overflow". */
  readonly when: string;
  /** A fix the user can make with this library, shown as the nan-or-inf warning's hint. */
  readonly fix: string;
}

export interface OpInfo {
  readonly name: string;
  readonly kind: OpKind;
  /** False for ops with no gradient (comparisons, argmax): their outputs never require grad. */
  readonly differentiable: boolean;
  /** Where the derivative is undefined at isolated points (relu at 0, max ties); null where it never is. */
  readonly kinks: KinkSides | null;
  /** The non-finite values the op can make from finite inputs of moderate size; null if it cannot. */
  readonly nonFinite: NonFiniteCause | null;
}

/**
 * The kinks of ops that bend where their first input changes sign (relu, leakyRelu, abs, a hand-written
 * hinge): each entry's sign.
 */
export const signOfFirstInput: KinkSides = (inputs) => {
  const x = inputs[0].data;
  const p = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) p[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : 0;
  return p;
};

const registry = new Map<string, OpInfo>();

export function registerOp(info: OpInfo): string {
  if (registry.has(info.name)) throw new Error(`op "${info.name}" is already registered`);
  registry.set(info.name, info);
  return info.name;
}

/** Replaces a custom op's declaration (a reloaded model file redefines its ops); built-ins are fixed. */
export function redeclareCustomOp(info: OpInfo): void {
  const existing = registry.get(info.name);
  if (existing && existing.kind !== "custom") throw new Error(`op "${info.name}" is a built-in op`);
  registry.set(info.name, info);
}

export function getOp(name: string): OpInfo | undefined {
  return registry.get(name);
}

/** Every registered op, built-in and custom. */
export function listOps(): OpInfo[] {
  return [...registry.values()];
}
