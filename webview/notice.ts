/** The line above a view that says why the host refused a request (text only; dismissible). */
import { h } from "./dom";

export class Notice {
  readonly element: HTMLElement;
  private readonly text: HTMLElement;

  constructor() {
    this.text = h("span", { class: "notice-text" });
    const close = h("a", { href: "#", class: "notice-close", title: "Dismiss", "aria-label": "Dismiss" }, "×");
    close.addEventListener("click", (e) => {
      e.preventDefault();
      this.hide();
    });
    this.element = h("div", { class: "notice", role: "alert", hidden: true }, this.text, close);
  }

  show(reason: string): void {
    this.text.textContent = reason;
    this.element.hidden = false;
  }

  hide(): void {
    this.element.hidden = true;
    this.text.textContent = "";
  }
}
