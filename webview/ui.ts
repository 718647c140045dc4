/** Small pieces every card of the report panel is built from. */
import { h } from "./dom";

export function card(title: string, subtitle: string, body: HTMLElement, id: string, wide = false): HTMLElement {
  return h("section", { class: `card${wide ? " wide" : ""}`, id },
    h("h2", {}, title, subtitle ? h("span", { class: "muted subtitle" }, subtitle) : null),
    body,
  );
}

export function badge(text: string, kind: "ok" | "warn" | "error" | "info"): HTMLElement {
  return h("span", { class: `pill ${kind}` }, text);
}

export function severityKind(s: "error" | "warning" | "info"): "error" | "warn" | "info" {
  return s === "error" ? "error" : s === "warning" ? "warn" : "info";
}

export function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
