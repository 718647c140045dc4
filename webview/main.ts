/** The webview app (report panel and side view): one bundle, the view chosen by <body data-view>. */
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-collapsible/index.js";
import "@vscode-elements/elements/dist/vscode-progress-bar/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-table/index.js";
import "@vscode-elements/elements/dist/vscode-table-header/index.js";
import "@vscode-elements/elements/dist/vscode-table-header-cell/index.js";
import "@vscode-elements/elements/dist/vscode-table-body/index.js";
import "@vscode-elements/elements/dist/vscode-table-row/index.js";
import "@vscode-elements/elements/dist/vscode-table-cell/index.js";
import { notify, onHostMessage, onRefusal, saveState, savedState } from "./host";
import { ReportView } from "./report";
import { SidebarView } from "./sidebar";
import { onThemeChange } from "./theme";
import { Notice } from "./notice";
import { CompareView, savedComparison } from "./compareView";

// Anything the CSP blocks is reported to the console (the end-to-end test fails on it).
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`gradient-lens CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
  document.body.dataset.cspViolations = String(Number(document.body.dataset.cspViolations ?? 0) + 1);
});

const root = document.getElementById("app")!;
const kind = document.body.dataset.view;

// A request the host refused says why, above the view (a re-render of the view keeps it).
const notice = new Notice();
root.before(notice.element);
onRefusal((reason) => notice.show(reason));

if (kind === "sidebar") {
  const view = new SidebarView(root);
  view.show(null);
  onHostMessage((msg) => {
    if (msg.type === "snapshot") view.show(msg.snapshot);
    else if (msg.type === "progress") view.progress(msg.runId, msg.point);
    else if (msg.type === "models") view.setModels(msg.models, msg.scanning);
  });
  onThemeChange(() => view.rerender());
} else {
  // The report panel survives a window reload: its view's state is saved after every change.
  const view = new ReportView(root);
  // ── comparing runs: the overlay above the report (webview/compareView.ts), saved with the view's state ──
  const state = () => ({ ...view.getState(), comparison: compare.getState() });
  const compare = new CompareView(() => saveState(state, true));
  root.before(compare.element);
  const saved = savedState();
  view.setState(saved);
  compare.setCurrent(saved.snapshot);
  compare.setState(savedComparison(saved.comparison));
  // ── end comparing runs ──
  onHostMessage((msg) => {
    if (msg.type === "snapshot") {
      view.show(msg.snapshot);
      compare.setCurrent(msg.snapshot);
      saveState(state, true);
    } else if (msg.type === "progress") {
      if (view.progress(msg.runId, msg.point)) saveState(state);
    } else if (msg.type === "compare") {
      compare.show(msg.a, msg.b);
    }
  });
  onThemeChange(() => {
    view.rerender();
    compare.rerender();
  });
}
notify({ type: "ready" });
