// "Run in micro-VM": calls a guest function in a fresh sandbox and shows what it printed and
// returned in the "Micro-VM" channel. A fault offers its crash dump to debug, without waiting for
// the notification (a command that awaits one would block until it is dismissed).
import path from 'node:path';
import * as vscode from 'vscode';
import { Sandbox, isMicroVmError } from '../native/lib';
import { checkCrashDumpDir } from '../native/lib/crash-dump';
import type { GuestValue } from '../native/lib/types';
import { describeFault, formatDuration, formatError, formatValue } from '../native/lib/presentation';
import { askArguments } from './argument-prompt';
import { crashDumpDirFor } from './guest-projects';
import { resolveTarget, type GuestTarget, type TargetHint } from './guest-target';
import { settings } from './settings';

export const DEBUG_CRASH_DUMP = 'microvm.debugCrashDump';

export interface RunOutcome {
  readonly ok: boolean;
  readonly text: string;
  readonly crashDumpPath?: string;
}

export async function runFunction(channel: vscode.OutputChannel, hint?: TargetHint): Promise<RunOutcome | undefined> {
  const target = await resolveTarget(hint);
  if (!target) return undefined;
  const args = await askArguments(target.signature);
  if (!args) return undefined;
  return callInSandbox(channel, target, args);
}

async function callInSandbox(channel: vscode.OutputChannel, target: GuestTarget, args: GuestValue[]): Promise<RunOutcome> {
  const { signature, elfPath } = target;
  channel.show(true);
  channel.appendLine(`▶ ${signature.name}(${args.map((a) => formatValue(a)).join(', ')}) in ${vscode.workspace.asRelativePath(elfPath)}`);
  const config = settings(vscode.Uri.file(elfPath));
  let sandbox: Sandbox | undefined;
  try {
    sandbox = Sandbox.create(elfPath, {
      timeoutMs: config.timeoutMs,
      memorySize: config.memorySize,
      // A folder that cannot hold a core is refused now, not when a fault needs it.
      crashDumpDir: checkCrashDumpDir(crashDumpDirFor(elfPath)),
      onPrint: (text) => channel.append(text),
    });
    const result = await sandbox.call(signature.name, ...args);
    if (result.output !== '' && !result.output.endsWith('\n')) channel.appendLine('');
    const text = `=> ${formatValue(result.value, signature.returnType)} (${formatDuration(result.durationUs)})`;
    channel.appendLine(text);
    return { ok: true, text };
  } catch (err) {
    const text = `✖ ${formatError(err)}`;
    channel.appendLine(text);
    if (isMicroVmError(err) && err.fault) for (const line of describeFault(err.fault)) channel.appendLine(`  ${line}`);
    const crashDumpPath = isMicroVmError(err) ? err.crashDumpPath : undefined;
    offerCrashDump(channel, signature.name, err, crashDumpPath, elfPath);
    return { ok: false, text, crashDumpPath };
  } finally {
    sandbox?.dispose();
  }
}

function offerCrashDump(channel: vscode.OutputChannel, name: string, err: unknown, crashDumpPath: string | undefined, elfPath: string): void {
  const message = `Micro-VM: ${name} failed: ${isMicroVmError(err) ? err.message.replace(/; crash dump written to .*$/, '') : formatError(err)}`;
  const actions = crashDumpPath ? ['Debug crash dump', 'Show output'] : ['Show output'];
  void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
    if (choice === 'Show output') channel.show();
    if (choice === 'Debug crash dump' && crashDumpPath) {
      void vscode.commands.executeCommand(DEBUG_CRASH_DUMP, vscode.Uri.file(crashDumpPath), elfPath);
    }
  });
  if (crashDumpPath) channel.appendLine(`  crash dump: ${path.relative(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', crashDumpPath) || crashDumpPath}`);
}
