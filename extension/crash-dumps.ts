// Crash dumps as the extension shows them: the cores in the workspace's crash-dump folders, each
// with the call that faulted, the fault in words and the guest ELF that wrote it (the MICROVM
// note's `program`, else an ELF of the same name in the workspace), and the post-mortem debug
// session that opens one.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { readCrashDump, type CrashDump } from './crash-dump-file';
import { crashDumpDirFor } from './guest-projects';

export { readCrashDump, type CrashDump };

/** The crash-dump folders of the workspace folders (the microvm.crashDumpDir setting). */
export function crashDumpFolders(): string[] {
  return [...new Set((vscode.workspace.workspaceFolders ?? []).map((folder) => crashDumpDirFor(path.join(folder.uri.fsPath, 'x'))))];
}

/** Every core in the crash-dump folders, newest first. */
export function listCrashDumps(): CrashDump[] {
  const dumps: CrashDump[] = [];
  for (const dir of crashDumpFolders()) {
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir)) {
      if (!entry.endsWith('.core')) continue;
      try {
        dumps.push(readCrashDump(path.join(dir, entry)));
      } catch {
        // Not a core file we can read: not listed.
      }
    }
  }
  return dumps.sort((a, b) => b.time.getTime() - a.time.getTime());
}

/** The guest ELF of a core: the note's, a given one, or an ELF of the recorded name in the workspace. */
export async function programOf(dump: CrashDump, given?: string): Promise<string | undefined> {
  if (given && fs.existsSync(given)) return given;
  if (dump.program) return dump.program;
  if (!dump.programName) return undefined;
  const found = await vscode.workspace.findFiles(`**/${dump.programName}*`, '**/node_modules/**', 10);
  const elf = found.map((uri) => uri.fsPath).find((p) => p.endsWith('.elf') || path.basename(p) === dump.programName);
  if (elf) return elf;
  const picked = await vscode.window.showOpenDialog({ title: `The guest ELF that wrote ${path.basename(dump.path)}`, canSelectMany: false, filters: { 'Guest ELF': ['elf'], 'All files': ['*'] } });
  return picked?.[0]?.fsPath;
}

/** Starts the post-mortem debug session of a core. */
export async function debugCrashDump(corePath: string, givenProgram?: string): Promise<boolean> {
  let dump: CrashDump;
  try {
    dump = readCrashDump(corePath);
  } catch (error) {
    void vscode.window.showErrorMessage(`Micro-VM: ${corePath} is not a core file this debugger reads: ${(error as Error).message}`);
    return false;
  }
  const program = await programOf(dump, givenProgram);
  if (!program) return false;
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(corePath));
  return vscode.debug.startDebugging(folder, {
    type: 'microvm',
    request: 'launch',
    name: `Crash dump: ${dump.functionName ?? path.basename(corePath)}`,
    program,
    coreDump: corePath,
  });
}
