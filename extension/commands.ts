// The extension's commands, each a thin entry over the module that does the work.
import * as vscode from 'vscode';
import { debugCrashDump } from './crash-dumps';
import { functionConfiguration } from './debug-configuration';
import { resolveTarget, type TargetHint } from './guest-target';
import { newProject, type NewProjectOptions } from './new-project';
import { runFunction } from './run-function';

/** A command argument that may be a hint object or something VS Code passes (a Uri, nothing). */
function hintOf(value: unknown): TargetHint | undefined {
  if (value instanceof vscode.Uri) return { program: /\.(elf|wasm)$/.test(value.fsPath) ? value.fsPath : undefined };
  return value && typeof value === 'object' ? (value as TargetHint) : undefined;
}

export function registerCommands(context: vscode.ExtensionContext, channel: vscode.OutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('microvm.runFunction', (hint?: unknown) => runFunction(channel, hintOf(hint))),
    vscode.commands.registerCommand('microvm.debugFunction', async (hint?: unknown) => {
      const target = await resolveTarget(hintOf(hint));
      if (!target) return false;
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(target.elfPath));
      return vscode.debug.startDebugging(folder, functionConfiguration(target.elfPath, target.signature.name));
    }),
    vscode.commands.registerCommand('microvm.newProject', (options?: NewProjectOptions) => newProject(options)),
    vscode.commands.registerCommand('microvm.debugCrashDump', (core?: vscode.Uri | { resourceUri?: vscode.Uri }, program?: string) => {
      const uri = core instanceof vscode.Uri ? core : core?.resourceUri;
      if (!uri) return vscode.commands.executeCommand('microvm.openCrashDump');
      return debugCrashDump(uri.fsPath, program);
    }),
    vscode.commands.registerCommand('microvm.openCrashDump', async () => {
      const picked = await vscode.window.showOpenDialog({ title: 'Open a crash dump', canSelectMany: false, filters: { 'Core files': ['core'], 'All files': ['*'] } });
      return picked?.[0] ? debugCrashDump(picked[0].fsPath) : false;
    }),
    vscode.commands.registerCommand('microvm.viewCrashDump', (core?: vscode.Uri | { resourceUri?: vscode.Uri }) => {
      const uri = core instanceof vscode.Uri ? core : core?.resourceUri;
      return uri ? vscode.commands.executeCommand('vscode.openWith', uri, 'microvm.coreViewer') : undefined;
    }),
  );
}
