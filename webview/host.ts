/**
 * The webview's side of the protocol: notifications, requests answered by the host (each refusal is
 * shown to the user through `onRefusal`), validated receiving, and the state a reload restores.
 */
import {
  isHostMessage, isRunSnapshot, type HostMessage, type Outcome, type RunSnapshot, type WebviewNotification, type WebviewRequest,
} from "../src/protocol/webview";

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

/** What a webview persists across a window reload. */
export interface PersistedState {
  snapshot: RunSnapshot | null;
  /** The report panel's overlay of two runs (webview/compareView.ts), validated there when read back. */
  comparison?: unknown;
}

export function notify(msg: WebviewNotification): void {
  api.postMessage(msg);
}

let nextRequestId = 1;
const pending = new Map<number, (outcome: Outcome) => void>();
let refusalHandler: (reason: string) => void = (reason) => console.warn(`gradient-lens: ${reason}`);

/** Where refusals go (the view shows them); set once by main.ts. */
export function onRefusal(fn: (reason: string) => void): void {
  refusalHandler = fn;
}

/** Asks the host to act; resolves with its answer, after showing a refusal's reason. */
export function request(req: WebviewRequest): Promise<Outcome> {
  const requestId = nextRequestId++;
  return new Promise<Outcome>((resolve) => {
    pending.set(requestId, resolve);
    api.postMessage({ ...req, requestId });
  }).then((outcome) => {
    if (outcome.status === "refused") refusalHandler(outcome.reason);
    return outcome;
  });
}

/** Fire-and-forget form of `request` for click handlers (the refusal, if any, is still shown). */
export function act(req: WebviewRequest): void {
  void request(req);
}

let handler: ((msg: Exclude<HostMessage, { type: "response" }>) => void) | undefined;

/** Receives the host's messages other than responses (which settle `request`'s promises). */
export function onHostMessage(fn: (msg: Exclude<HostMessage, { type: "response" }>) => void): void {
  handler = fn;
}

window.addEventListener("message", (e: MessageEvent) => {
  const msg: unknown = e.data;
  if (!isHostMessage(msg)) {
    console.warn("gradient-lens: ignored an invalid message from the host");
    return;
  }
  if (msg.type === "response") {
    const settle = pending.get(msg.requestId);
    pending.delete(msg.requestId);
    settle?.(msg.outcome);
    return;
  }
  handler?.(msg);
});

/** The state saved by a previous incarnation of this webview (window reload), if valid. */
export function savedState(): PersistedState {
  const state = api.getState() as { snapshot?: unknown; comparison?: unknown } | undefined;
  return { snapshot: state && isRunSnapshot(state.snapshot) ? state.snapshot : null, comparison: state?.comparison };
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
/** Saves the view's state for a reload; saves driven by progress (not `immediate`) are coalesced. */
export function saveState(get: () => PersistedState, immediate = false): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = undefined;
  const save = () => api.setState(get());
  if (immediate) save();
  else saveTimer = setTimeout(save, 500);
}
