/**
 * Where user code called into the library: modules ask when they are constructed, `tap` when it is
 * called. The runner installs the capture (it maps a stack's frames in the user's bundle through its
 * source map, skipping the library's own frames); off by default, since capturing a stack costs time.
 */
import type { SourceLocation } from "../report";

let capture: (() => SourceLocation | undefined) | null = null;

/** Installs the function that tells where the current call came from in the user's source (null: none). */
export function setLocationCapture(fn: (() => SourceLocation | undefined) | null): void {
  capture = fn;
}

/** The user's file:line:column of the current call, when a capture is installed and finds one. */
export function captureLocation(): SourceLocation | undefined {
  return capture?.();
}
