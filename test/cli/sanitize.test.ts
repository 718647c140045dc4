/** Terminal-injection escaping (src/cli/sanitize.ts) and the CLI's file checks and atomic write (src/cli/files.ts). */
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sanitize, sanitizeDeep } from "../../src/cli/sanitize";
import { checkModelFile, checkOutFile, writeFileAtomic } from "../../src/cli/files";

describe("sanitize", () => {
  it("escapes C0 (but newline and tab), DEL, C1 and bidi overrides", () => {
    expect(sanitize("a\x1b[2Jb")).toBe("a\\x1b[2Jb");
    expect(sanitize("\x07\x00\r\x7f\x9b\x85")).toBe("\\x07\\x00\\x0d\\x7f\\x9b\\x85");
    expect(sanitize("x\u202ey\u2066z")).toBe("x\\u{202e}y\\u{2066}z");
    expect(sanitize("line 1\n\tline 2")).toBe("line 1\n\tline 2");
  });
  it("leaves printable text alone, accents and CJK included", () => {
    expect(sanitize("naïve モデル.ts → ok — 100%")).toBe("naïve モデル.ts → ok — 100%");
  });
  it("sanitizes every string of a nested value, keys included, without touching the original", () => {
    const value = { name: "\x1b]0;t\x07", list: ["\x1b[31m", 3, null], nested: { "\x1b": true }, typed: new Float64Array([1]) };
    const clean = sanitizeDeep(value);
    expect(clean).toEqual({ name: "\\x1b]0;t\\x07", list: ["\\x1b[31m", 3, null], nested: { "\\x1b": true }, typed: new Float64Array([1]) });
    expect(value.name).toBe("\x1b]0;t\x07");
  });
});

describe("CLI files", () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), "gl-files-"));

  it("checkModelFile names a missing file, a directory, and accepts a file", () => {
    const d = dir();
    writeFileSync(path.join(d, "m.ts"), "");
    expect(checkModelFile(path.join(d, "nope.ts"))).toBe(`no such file: ${path.join(d, "nope.ts")}`);
    expect(checkModelFile(path.join(d, "m.ts", "x.ts"))).toContain("no such file");
    expect(checkModelFile(d)).toContain("is a directory");
    expect(checkModelFile(path.join(d, "m.ts"))).toBeUndefined();
  });

  it("checkOutFile refuses a missing directory, a directory target and a file as directory", () => {
    const d = dir();
    writeFileSync(path.join(d, "f"), "");
    mkdirSync(path.join(d, "sub"));
    expect(checkOutFile(path.join(d, "missing", "r.json"))).toContain("--out: no such directory");
    expect(checkOutFile(path.join(d, "sub"))).toContain("is a directory");
    expect(checkOutFile(path.join(d, "f", "r.json"))).toContain("is not a directory");
    expect(checkOutFile(path.join(d, "r.json"))).toBeUndefined();
  });

  it("writeFileAtomic replaces the target and leaves no temporary file; a failure leaves the target as it was", () => {
    const d = dir();
    const target = path.join(d, "r.json");
    writeFileSync(target, "old");
    writeFileAtomic(target, "new");
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(readdirSync(d)).toEqual(["r.json"]);
    mkdirSync(path.join(d, "taken"));
    // Renaming a file over a non-empty directory fails: the directory stays, no temporary file remains.
    writeFileSync(path.join(d, "taken", "x"), "");
    expect(() => writeFileAtomic(path.join(d, "taken"), "data")).toThrow();
    expect(readdirSync(d).sort()).toEqual(["r.json", "taken"]);
  });
});
