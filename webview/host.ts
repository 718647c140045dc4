/** The webview's side of the protocol: typed posting, validated receiving, persisted state. */
import { isHostMessage, isRunSnapshot, type HostMessage, type RunSnapshot, type WebviewMessage } from "../src/protocol/webview";

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function send(msg: WebviewMessage): void {
  api.postMessage(msg);
}

export function onHostMessage(fn: (msg: HostMessage) => void): void {
  window.addEventListener("message", (e: MessageEvent) => {
    if (isHostMessage(e.data)) fn(e.data);
    else console.warn("gradient-lens: ignored an invalid message from the host");
  });
}

/** The snapshot saved by a previous incarnation of this webview (window reload), if valid. */
export function restoredSnapshot(): RunSnapshot | null {
  const state = api.getState() as { snapshot?: unknown } | undefined;
  return state && isRunSnapshot(state.snapshot) ? state.snapshot : null;
}

let pending: ReturnType<typeof setTimeout> | undefined;
/** Saves the snapshot for a reload; progress-driven saves are coalesced. */
export function persist(snapshot: RunSnapshot | null, immediate = false): void {
  if (pending) clearTimeout(pending);
  const save = () => api.setState({ snapshot });
  if (immediate) save();
  else pending = setTimeout(save, 500);
}
