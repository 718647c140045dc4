/**
 * Why a path cannot be run as a model: missing ("no such file", never spawn's ENOENT blaming Node), a
 * directory, not a regular file, or unreadable. One check for the CLI (before it starts the runner)
 * and the runner itself (for the extension).
 */
import { accessSync, constants, statSync } from "node:fs";

/** Why `file` cannot be a model to run, or undefined when it is a readable file. */
export function modelFileProblem(file: string): string | undefined {
  let stat;
  try {
    stat = statSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return `no such file: ${file}`;
    return `cannot read ${file}: ${(e as Error).message}`;
  }
  if (stat.isDirectory()) return `${file} is a directory; give the model's .ts file`;
  if (!stat.isFile()) return `${file} is not a regular file`;
  try {
    accessSync(file, constants.R_OK);
  } catch {
    return `cannot read ${file}: permission denied`;
  }
  return undefined;
}
