/** Entry point: one object owns everything; VS Code disposes it on deactivation. */
import type * as vscode from "vscode";
import { GradientLens } from "./gradientLens";

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(new GradientLens(context));
}

export function deactivate(): void {}
