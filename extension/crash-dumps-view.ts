// The "Crash Dumps" view (in Run and Debug): the cores in the workspace's crash-dump folders,
// newest first, with the function that faulted, the fault in words and the time; refreshed when a
// core appears or goes. Selecting one opens its post-mortem debug session.
import path from 'node:path';
import * as vscode from 'vscode';
import { crashDumpFolders, listCrashDumps, type CrashDump } from './crash-dumps';

export const CRASH_DUMPS_VIEW = 'microvm.crashDumps';

export class CrashDumpsView implements vscode.TreeDataProvider<CrashDump>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private watchers: vscode.FileSystemWatcher[] = [];

  constructor() {
    this.watch();
  }

  /** Watches the crash-dump folders (again, when the setting or the workspace folders change). */
  watch(): void {
    this.watchers.forEach((w) => w.dispose());
    this.watchers = crashDumpFolders().map((dir) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*.core'));
      watcher.onDidCreate(() => this.refresh());
      watcher.onDidDelete(() => this.refresh());
      return watcher;
    });
    this.refresh();
  }

  refresh(): void {
    this.changed.fire();
  }

  getChildren(element?: CrashDump): CrashDump[] {
    return element ? [] : listCrashDumps();
  }

  getTreeItem(dump: CrashDump): vscode.TreeItem {
    const item = new vscode.TreeItem(dump.functionName ?? path.basename(dump.path), vscode.TreeItemCollapsibleState.None);
    item.description = `${dump.description} · ${dump.time.toLocaleString()}`;
    item.tooltip = new vscode.MarkdownString(`**${dump.functionName ?? 'core file'}**\n\n${dump.description}\n\n${dump.path}\n\n${dump.time.toLocaleString()}`);
    item.resourceUri = vscode.Uri.file(dump.path);
    item.iconPath = new vscode.ThemeIcon('bug');
    item.contextValue = 'crashDump';
    item.command = { title: 'Debug crash dump', command: 'microvm.debugCrashDump', arguments: [vscode.Uri.file(dump.path)] };
    return item;
  }

  dispose(): void {
    this.watchers.forEach((w) => w.dispose());
    this.changed.dispose();
  }
}
