/**
 * What a layer does inside a larger one, and parameters whose gradient is zero by construction: facts a
 * composite layer knows about its parts and states once, for the rules and views to read (the rules
 * judge the query and key projections of an attention layer against its values, not against the depth
 * of the network; a key projection's bias is never "far from healthy"). Kept beside the modules, not on
 * them, so a module is not widened by what only the instrumentation asks.
 */
import type { Tensor } from "../engine";
import type { Module } from "./module";

export type LayerRole = "attention-query" | "attention-key" | "attention-value" | "attention-output";

const roles = new WeakMap<Module, { role: LayerRole; owner: Module }>();
const zeroGradients = new WeakMap<Tensor, string>();

/** Declares that `layer` plays `role` inside `owner` (a MultiheadAttention's projections). */
export function setLayerRole(layer: Module, role: LayerRole, owner: Module): void {
  roles.set(layer, { role, owner });
}

/** The role a composite layer gave `layer`, with the composite. */
export function layerRole(layer: Module): { role: LayerRole; owner: Module } | undefined {
  return roles.get(layer);
}

/** Declares that `param`'s gradient is zero in exact arithmetic whatever the input, and why. */
export function declareZeroGradient(param: Tensor, reason: string): void {
  zeroGradients.set(param, reason);
}

/** Why `param`'s gradient is zero by construction, when a layer declared it. */
export function zeroGradientReason(param: Tensor): string | undefined {
  return zeroGradients.get(param);
}
