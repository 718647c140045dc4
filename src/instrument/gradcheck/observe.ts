/**
 * The gradient check's one contact with the instrumentation surface: kink watching, the culprit
 * search and the directional check observe ops through it.
 */
import { observe, type Observer } from "../../engine";

/** An observer of op events (forward and backward). */
export type OpObserver = Pick<Observer, "forward" | "backward">;

/** Attaches `observer` to every op's forward (and backward) events; returns the detach. */
export function observeOps(observer: OpObserver): () => void {
  return observe(observer);
}
