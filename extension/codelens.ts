// "Run" and "Debug" over every guest function declaration (C's MV_GUEST_FUNCTION, Rust's
// guest_function!) of a guest project's sources. The commands build a stale ELF first.
import * as vscode from 'vscode';
import { declaredFunctions } from './guest-functions';
import { projectOf } from './guest-projects';

export const RUN_COMMAND = 'microvm.runFunction';
export const DEBUG_COMMAND = 'microvm.debugFunction';

export class GuestFunctionCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== 'file') return [];
    const project = projectOf(document.uri.fsPath);
    if (!project || !project.sources.includes(document.uri.fsPath)) return [];
    return declaredFunctions(document.getText()).flatMap((fn) => {
      const range = new vscode.Range(fn.declarationLine, 0, fn.declarationLine, 0);
      const hint = { project: project.dir, function: fn.name };
      return [
        new vscode.CodeLens(range, { title: `▶ Run ${fn.name}`, command: RUN_COMMAND, arguments: [hint], tooltip: `Call ${fn.name} in a micro-VM` }),
        new vscode.CodeLens(range, { title: `Debug ${fn.name}`, command: DEBUG_COMMAND, arguments: [hint], tooltip: `Debug ${fn.name} in a micro-VM` }),
      ];
    });
  }

  refresh(): void {
    this.changed.fire();
  }
}
