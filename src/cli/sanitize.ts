/**
 * What the CLI prints from data (model and layer names, messages, notes, paths, a model's console
 * output) can come from a file someone else wrote: a shared report or model file must not drive the
 * terminal (retitle it, clear the screen, print a fake verdict). C0 controls except newline and tab,
 * DEL, C1 controls and the bidirectional-override characters (which reorder what is shown) are made
 * visible as escapes instead. `--json` output is not passed through here: it stays exact.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
};

/** `s` with every control character shown as an escape (`\x1b`, `\x9b`, `\u{202e}`); newline and tab kept. */
export function sanitize(s: string): string {
  return s.replace(UNSAFE, escape);
}

/** A deep copy of `value` with every string (keys included) sanitized: for reports, errors and model lists before formatting. */
export function sanitizeDeep<T>(value: T): T {
  if (typeof value === "string") return sanitize(value) as T;
  if (Array.isArray(value)) return value.map(sanitizeDeep) as T;
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[sanitize(k)] = sanitizeDeep(v);
  return out as T;
}
