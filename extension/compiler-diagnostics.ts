// Compiler diagnostics (gcc and clang: `file:line:column: error: message`) as Problems. The build
// task publishes them itself rather than through a problem matcher: a matcher runs in the
// workbench and resolves absolute paths there, which fails in remote workbenches (code-server,
// Remote-SSH: the files live on the other side), and it can miss lines a task prints just before
// it ends (microsoft/vscode#92868).
import path from 'node:path';
import * as vscode from 'vscode';
import { parseCompilerOutput, type CompilerMessage } from './compiler-output';

let collection: vscode.DiagnosticCollection | undefined;

/** The extension's build diagnostics; created on activation and disposed with it. */
export function registerCompilerDiagnostics(context: vscode.ExtensionContext): void {
  collection = vscode.languages.createDiagnosticCollection('microvm');
  context.subscriptions.push(collection);
}

const SEVERITY: Record<CompilerMessage['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  note: vscode.DiagnosticSeverity.Information,
};

/** Replaces the diagnostics of a project's last build (files of the project only). */
export function publishCompilerDiagnostics(projectDir: string, output: string): void {
  if (!collection) return;
  for (const [uri] of collectionEntries()) if (uri.fsPath.startsWith(projectDir)) collection.delete(uri);
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const message of parseCompilerOutput(output)) {
    const line = Math.max(0, message.line - 1);
    const column = Math.max(0, (message.column ?? 1) - 1);
    const diagnostic = new vscode.Diagnostic(new vscode.Range(line, column, line, column + 1), message.message, SEVERITY[message.severity]);
    diagnostic.source = 'guest build';
    byFile.set(message.file, [...(byFile.get(message.file) ?? []), diagnostic]);
  }
  // rustc names files relative to where it ran (the project); gcc and clang as they were given.
  for (const [file, diagnostics] of byFile) collection.set(vscode.Uri.file(path.resolve(projectDir, file)), diagnostics);
}

function collectionEntries(): [vscode.Uri, readonly vscode.Diagnostic[]][] {
  const entries: [vscode.Uri, readonly vscode.Diagnostic[]][] = [];
  collection?.forEach((uri, diagnostics) => entries.push([uri, diagnostics]));
  return entries;
}
