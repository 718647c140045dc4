/** The webview's color arithmetic: WCAG contrast ratios, and series colors made legible on the page. */
import { describe, expect, it } from "vitest";
import { contrastRatio, legible } from "../../webview/theme";

describe("contrast", () => {
  it("computes WCAG 2 contrast ratios", () => {
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#ffffff", "#ffffff")).toBeCloseTo(1, 5);
    // Symmetric, and in agreement with published values (#777 on white: 4.48).
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrastRatio("#ffffff", "#777777")).toBe(contrastRatio("#777777", "#ffffff"));
    expect(contrastRatio("rgb(209, 134, 22)", "#ffffff")).toBeCloseTo(contrastRatio("#d18616", "#ffffff"), 10);
  });

  it("keeps a color that already stands 3:1, and darkens (on light) or lightens (on dark) one that does not, no further than needed", () => {
    expect(legible("#1a85ff", "#ffffff")).toBe("#1a85ff");
    expect(legible("#d18616", "#1f1f1f")).toBe("#d18616");
    // The charts' orange on Light Modern's white is under 3:1.
    expect(contrastRatio("#d18616", "#ffffff")).toBeLessThan(3);
    const dark = legible("#d18616", "#ffffff");
    expect(contrastRatio(dark, "#ffffff")).toBeGreaterThanOrEqual(3);
    expect(contrastRatio(dark, "#ffffff")).toBeLessThan(3.6);
    // A dark blue on a dark page is lightened.
    const light = legible("#0000a0", "#1e1e1e");
    expect(contrastRatio(light, "#1e1e1e")).toBeGreaterThanOrEqual(3);
    expect(contrastRatio(light, "#ffffff")).toBeLessThan(contrastRatio("#0000a0", "#ffffff"));
  });
});
