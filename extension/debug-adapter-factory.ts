// Runs the `microvm` debug adapter inside the extension host (the same MicroVmDebugSession that
// dist/debug-adapter.js serves over stdio): no process to start, no path to find.
import * as vscode from 'vscode';
import { MicroVmDebugSession } from '../debug-adapter/session';

export class InlineDebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(new MicroVmDebugSession());
  }
}
