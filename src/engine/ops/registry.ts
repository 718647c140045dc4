/**
 * The op registry (after tfjs-core's kernel registry): every op registers its name here, so the test
 * suite can enumerate all of them and gradient-check each one. An op without a check fails that test.
 */
export type OpKind = "elementwise" | "reduction" | "linalg" | "layout" | "activation" | "composite" | "custom";

export interface OpInfo {
  readonly name: string;
  readonly kind: OpKind;
  /** False for ops with no gradient (comparisons, argmax): their outputs never require grad. */
  readonly differentiable: boolean;
  /** Where the derivative is undefined at isolated points (relu at 0, abs at 0, max ties). */
  readonly hasKinks?: boolean;
}

const registry = new Map<string, OpInfo>();

export function registerOp(info: OpInfo): string {
  if (registry.has(info.name)) throw new Error(`op "${info.name}" is already registered`);
  registry.set(info.name, info);
  return info.name;
}

export function getOp(name: string): OpInfo | undefined {
  return registry.get(name);
}

/** Every registered op, built-in and custom. */
export function listOps(): OpInfo[] {
  return [...registry.values()];
}
