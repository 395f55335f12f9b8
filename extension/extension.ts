// VS Code entry point: "Run in micro-VM" picks a built guest, a function and its arguments, calls
// it in a fresh Sandbox and shows the guest's output and the result in the "Micro-VM" channel; the
// `microvm` debug type runs the debug adapter inline.
import path from 'node:path';
import * as vscode from 'vscode';
import { inspectGuest, Sandbox } from '../native/lib';
import { isMicroVmError } from '../native/lib/errors';
import type { FunctionSignature, GuestValue } from '../native/lib/types';
import {
  convertArguments, describeFault, formatDuration, formatError, formatSignature, formatValue, splitArguments,
} from '../native/lib/presentation';
import { InlineDebugAdapterFactory } from './debug-adapter-factory';

export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('Micro-VM');
  context.subscriptions.push(
    channel,
    vscode.commands.registerCommand('microvm.runFunction', () => runFunction(channel)),
    vscode.debug.registerDebugAdapterDescriptorFactory('microvm', new InlineDebugAdapterFactory()),
  );
}

export function deactivate(): void {
  // Every sandbox is disposed when its call ends; nothing is left to release.
}

async function runFunction(channel: vscode.OutputChannel): Promise<void> {
  const elf = await pickGuest();
  if (!elf) return;
  let functions: FunctionSignature[];
  try {
    functions = inspectGuest(elf.fsPath).functions;
  } catch (err) {
    void vscode.window.showErrorMessage(`Micro-VM: ${formatError(err)}`);
    return;
  }
  const fn = await pickFunction(functions);
  if (!fn) return;
  const args = await askArguments(fn);
  if (!args) return;
  await callInSandbox(channel, elf, fn, args);
}

async function pickGuest(): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles('**/build/*.elf', '**/node_modules/**');
  if (found.length === 0) {
    void vscode.window.showInformationMessage('Micro-VM: no guest ELF (**/build/*.elf) in the workspace. Build one with `microvm build <dir>`.');
    return undefined;
  }
  const items = found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri }));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Guest ELF to run' });
  return picked?.uri;
}

async function pickFunction(functions: readonly FunctionSignature[]): Promise<FunctionSignature | undefined> {
  if (functions.length === 0) {
    void vscode.window.showWarningMessage('Micro-VM: this guest has no .microvm.functions entries.');
    return undefined;
  }
  const items = functions.map((fn) => ({ label: fn.name, description: formatSignature(fn), fn }));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Guest function to call' });
  return picked?.fn;
}

/** Returns the converted arguments, or undefined when the user cancels. */
async function askArguments(fn: FunctionSignature): Promise<GuestValue[] | undefined> {
  if (fn.paramTypes.length === 0) return [];
  const parse = (line: string): GuestValue[] => convertArguments(fn, splitArguments(line));
  const line = await vscode.window.showInputBox({
    title: formatSignature(fn),
    prompt: 'Arguments separated by spaces; quote strings with spaces; bytes as 0xdeadbeef',
    validateInput: (value) => {
      try {
        parse(value);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
  });
  if (line === undefined) return undefined;
  try {
    return parse(line);
  } catch (err) {
    // validateInput normally keeps a bad line from being accepted; stay safe if one gets through.
    void vscode.window.showErrorMessage(`Micro-VM: ${formatError(err)}`);
    return undefined;
  }
}

async function callInSandbox(channel: vscode.OutputChannel, elf: vscode.Uri, fn: FunctionSignature, args: GuestValue[]): Promise<void> {
  channel.show(true);
  channel.appendLine(`▶ ${fn.name}(${args.map((a) => formatValue(a)).join(', ')}) in ${vscode.workspace.asRelativePath(elf)}`);
  const folder = vscode.workspace.getWorkspaceFolder(elf)?.uri.fsPath ?? path.dirname(elf.fsPath);
  let sandbox: Sandbox | undefined;
  try {
    sandbox = Sandbox.create(elf.fsPath, {
      crashDumpDir: path.join(folder, 'microvm-crashes'),
      onPrint: (text) => channel.append(text),
    });
    const result = await sandbox.call(fn.name, ...args);
    if (result.output !== '' && !result.output.endsWith('\n')) channel.appendLine('');
    channel.appendLine(`=> ${formatValue(result.value, fn.returnType)} (${formatDuration(result.durationUs)})`);
  } catch (err) {
    channel.appendLine(`✖ ${formatError(err)}`);
    if (isMicroVmError(err) && err.fault) for (const line of describeFault(err.fault)) channel.appendLine(`  ${line}`);
    void vscode.window.showErrorMessage(`Micro-VM: ${fn.name} failed: ${isMicroVmError(err) ? err.message : formatError(err)}`);
  } finally {
    sandbox?.dispose();
  }
}
