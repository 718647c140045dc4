/** Which model "the model under the cursor" means. Pure. */
import type { ScannedModel } from "./modelScan";

/** The last model whose `defineModel` call starts at or above `line` (0-based); else the file's first. */
export function modelAtLine(models: readonly ScannedModel[], line: number): ScannedModel | undefined {
  let best: ScannedModel | undefined;
  for (const m of models) if (m.line <= line && (!best || m.line >= best.line)) best = m;
  return best ?? models[0];
}
