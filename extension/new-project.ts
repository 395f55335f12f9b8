// "Micro-VM: New Guest Project": a template, a parent folder and a name; the project is created
// (SDK vendored, .vscode ready) and opened.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { listTemplates, newGuestProject, readManifest } from '../guest-templates/toolchain';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface NewProjectOptions {
  /** For tests and scripts: no questions. */
  readonly template?: string;
  readonly parent?: string;
  readonly name?: string;
  /** Open the new folder (the window reloads into it); default true. */
  readonly open?: boolean;
}

export async function newProject(options: NewProjectOptions = {}): Promise<string | undefined> {
  const templates = listTemplates();
  const template = options.template ?? (await vscode.window.showQuickPick(templates, { placeHolder: 'Template', ignoreFocusOut: true }));
  if (!template) return undefined;
  let parent = options.parent;
  if (!parent) {
    const picked = await vscode.window.showOpenDialog({
      title: `Where to create the new ${template} project`,
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Create the project here',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    parent = picked?.[0]?.fsPath;
  }
  if (!parent) return undefined;
  const name = options.name ?? (await vscode.window.showInputBox({
    title: `New ${template} project in ${parent}`,
    prompt: 'Folder name',
    value: template,
    ignoreFocusOut: true,
    validateInput: (value) => {
      if (!NAME.test(value)) return 'letters, digits, ".", "_" and "-", starting with a letter or digit';
      const target = path.join(parent!, value);
      if (fs.existsSync(target) && fs.readdirSync(target).length > 0) return `${target} exists and is not empty`;
      return undefined;
    },
  }));
  if (!name) return undefined;
  const dir = path.join(parent, name);
  try {
    newGuestProject(template, dir);
  } catch (error) {
    void vscode.window.showErrorMessage(`Micro-VM: ${(error as Error).message}`);
    return undefined;
  }
  if (options.open ?? true) {
    const inWorkspace = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dir));
    if (inWorkspace) {
      // Already visible: show its first source rather than reloading the window.
      const source = path.join(dir, readManifest(dir).sources[0]);
      await vscode.window.showTextDocument(vscode.Uri.file(source));
    } else {
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(dir), { forceNewWindow: false });
    }
  }
  return dir;
}
