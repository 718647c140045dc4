/**
 * The CLI's file checks and writes: a missing model file or a bad `--out` is a usage error before any
 * run starts, and the report is written atomically (a temporary file beside the target, then rename),
 * so a kill or a full disk mid-write never leaves half a report.
 */
import { accessSync, closeSync, constants, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import * as path from "node:path";

/** Why `file` cannot be a model to run (the runner's own check, shared so the CLI and the extension say the same). */
export { modelFileProblem as checkModelFile } from "../runner/modelFile";

/** Why the report cannot be written to `file` (checked before training), or undefined. */
export function checkOutFile(file: string): string | undefined {
  const dir = path.dirname(path.resolve(file));
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    return `--out: no such directory: ${path.dirname(file)}`;
  }
  if (!dirStat.isDirectory()) return `--out: ${path.dirname(file)} is not a directory`;
  try {
    if (statSync(file).isDirectory()) return `--out: ${file} is a directory; give a file name`;
  } catch {
    // Not there yet: it will be created.
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return `--out: cannot write to ${path.dirname(file)} (permission denied)`;
  }
  return undefined;
}

/** Writes `text` to `file` through a temporary file in the same directory and a rename; throws on failure (the target is untouched). */
export function writeFileAtomic(file: string, text: string): void {
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}
