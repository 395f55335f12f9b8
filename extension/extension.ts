// VS Code entry point: activates and registers; each provider and command lives in a module of its
// own (commands.ts lists the commands).
import * as vscode from 'vscode';
import { BuildTaskProvider, TASK_TYPE } from './build-task';
import { GuestFunctionCodeLens } from './codelens';
import { registerCommands } from './commands';
import { registerCompilerDiagnostics } from './compiler-diagnostics';
import { CORE_VIEWER, CoreViewerProvider } from './core-viewer';
import type { CrashDump } from './crash-dumps';
import { CRASH_DUMPS_VIEW, CrashDumpsView } from './crash-dumps-view';
import { DebugAdapterFactory } from './debug-adapter-factory';
import { DEBUG_TYPE, DebugConfigurationProvider } from './debug-configuration';
import { checkKvmOnce } from './kvm-check';

/** What the extension offers other extensions (and its own workbench tests). */
export interface MicroVmExtensionApi {
  /** The crash dumps the Crash Dumps view lists, newest first. */
  crashDumps(): readonly CrashDump[];
}

export function activate(context: vscode.ExtensionContext): MicroVmExtensionApi {
  const channel = vscode.window.createOutputChannel('Micro-VM');
  const crashDumps = new CrashDumpsView();
  const codeLens = new GuestFunctionCodeLens();
  const configurations = new DebugConfigurationProvider();
  context.subscriptions.push(
    channel,
    crashDumps,
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new DebugAdapterFactory(context.extensionPath)),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, configurations),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, configurations, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.tasks.registerTaskProvider(TASK_TYPE, new BuildTaskProvider()),
    vscode.languages.registerCodeLensProvider([{ language: 'c', scheme: 'file' }, { language: 'rust', scheme: 'file' }], codeLens),
    vscode.window.registerTreeDataProvider(CRASH_DUMPS_VIEW, crashDumps),
    vscode.window.registerCustomEditorProvider(CORE_VIEWER, new CoreViewerProvider(), { supportsMultipleEditorsPerDocument: true }),
    vscode.commands.registerCommand('microvm.refreshCrashDumps', () => crashDumps.refresh()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('microvm.crashDumpDir')) crashDumps.watch();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => crashDumps.watch()),
    vscode.workspace.onDidSaveTextDocument(() => codeLens.refresh()),
  );
  registerCompilerDiagnostics(context);
  registerCommands(context, channel);
  checkKvmOnce(context);
  return { crashDumps: () => crashDumps.getChildren() };
}

export function deactivate(): void {
  // Sandboxes live for one call or one debug session; the subscriptions dispose the rest.
}
