/**
 * The gradient check's one contact with the engine's op-observer API: kink watching, the culprit
 * search's recording and its in-place nudges all subscribe through here.
 */
import { addOpObserver, type OpObserver } from "../../engine";

export type { OpObserver };

/** Subscribes `observer` to every op's forward (and backward) events; returns the unsubscribe. */
export function observeOps(observer: OpObserver): () => void {
  return addOpObserver(observer);
}
