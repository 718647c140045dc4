/** Colors from the VS Code theme (--vscode-* variables), re-read when the theme changes. */
export interface ThemeColors {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  blue: string;
  red: string;
  orange: string;
  yellow: string;
  green: string;
  purple: string;
  font: string;
  highContrast: boolean;
}

export function themeColors(): ThemeColors {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const highContrast = document.body.classList.contains("vscode-high-contrast") || document.body.classList.contains("vscode-high-contrast-light");
  return {
    foreground: v("--vscode-foreground", "#cccccc"),
    muted: v("--vscode-descriptionForeground", "#999999"),
    grid: highContrast ? v("--vscode-contrastBorder", "#6fc3df") : v("--vscode-editorWidget-border", v("--vscode-panel-border", "#80808040")),
    background: v("--vscode-editor-background", "#1e1e1e"),
    blue: v("--vscode-charts-blue", "#3794ff"),
    red: v("--vscode-charts-red", "#f14c4c"),
    orange: v("--vscode-charts-orange", "#d18616"),
    yellow: v("--vscode-charts-yellow", "#cca700"),
    green: v("--vscode-charts-green", "#89d185"),
    purple: v("--vscode-charts-purple", "#b180d7"),
    font: v("--vscode-font-family", "sans-serif"),
    highContrast,
  };
}

/** Calls `fn` when VS Code switches theme (it rewrites the body's class and style). */
export function onThemeChange(fn: () => void): void {
  new MutationObserver(() => fn()).observe(document.body, { attributes: true, attributeFilter: ["class"] });
}

/** Parses "#rgb", "#rrggbb", "#rrggbbaa" or "rgb(a)(…)" to [r, g, b]. */
export function parseColor(c: string): [number, number, number] {
  const s = c.trim();
  if (s.startsWith("#")) {
    const hex = s.length <= 5 ? [...s.slice(1, 4)].map((x) => x + x).join("") : s.slice(1, 7);
    return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  }
  const m = s.match(/rgba?\(([^)]+)\)/);
  if (m) return m[1].split(",").slice(0, 3).map((x) => Number(x.trim())) as [number, number, number];
  return [128, 128, 128];
}

export function mix(a: [number, number, number], b: [number, number, number], t: number): string {
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * t));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

export function withAlpha(color: string, alpha: number): string {
  const [r, g, b] = parseColor(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** WCAG 2 contrast ratio of two colors (1 … 21). */
export function contrastRatio(a: string, b: string): number {
  const luminance = (c: string) => {
    const [r, g, bl] = parseColor(c).map((x) => {
      const s = x / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * `color`, darkened on a light background (lightened on a dark one) just enough to stand `ratio`:1
 * against it — WCAG 2.1's 3:1 for graphical objects (1.4.11) by default. A theme's chart orange is
 * about 2.8:1 on Light Modern's white: series drawn in it fade into the page.
 */
export function legible(color: string, background: string, ratio = 3): string {
  if (contrastRatio(color, background) >= ratio) return color;
  const c = parseColor(color);
  const towards: [number, number, number] = contrastRatio(background, "#000000") > contrastRatio(background, "#ffffff") ? [0, 0, 0] : [255, 255, 255];
  for (let t = 0.05; t < 1; t += 0.05) {
    const m = mix(c, towards, t);
    if (contrastRatio(m, background) >= ratio) return m;
  }
  return mix(c, towards, 1);
}
