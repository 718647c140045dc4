/** Path containment, for deciding which files a webview may name. Pure (no vscode import). */
import * as path from "node:path";

/** Whether `file` is `dir` itself or lies under it (both resolved first, so `..` cannot step out). */
export function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
