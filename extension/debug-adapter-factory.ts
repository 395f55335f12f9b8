// Serves the `microvm` debug type: inside the extension host by default (the same
// MicroVmDebugSession that dist/debug-adapter.js serves over stdio: no process to start), or as
// that separate process when the microvm.debugAdapter setting says "process".
import path from 'node:path';
import * as vscode from 'vscode';
import { MicroVmDebugSession } from '../debug-adapter/session';
import { settings } from './settings';

export class DebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    if (settings(session.workspaceFolder?.uri).debugAdapter === 'process') {
      // The extension host's own runtime runs the adapter (Electron needs to be told to act as Node).
      return new vscode.DebugAdapterExecutable(process.execPath, [path.join(this.extensionPath, 'dist', 'debug-adapter.js')], {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } as Record<string, string>,
      });
    }
    return new vscode.DebugAdapterInlineImplementation(new MicroVmDebugSession());
  }
}
