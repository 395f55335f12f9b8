// Which guest and which function a command means: given explicitly (CodeLens, a launch
// configuration), the function under the cursor of a guest source, or picked from the workspace's
// projects and the built ELF's function table. Builds a stale ELF first, so that a run or a debug
// session never uses an ELF older than its sources.
import path from 'node:path';
import * as vscode from 'vscode';
import { inspectGuest } from '../native/lib';
import type { FunctionSignature } from '../native/lib/types';
import { formatError, formatSignature } from '../native/lib/presentation';
import { buildWithTask } from './build-task';
import { declaredFunctions, functionAtLine } from './guest-functions';
import { findProjects, isStale, loadProject, projectOf, type GuestProject } from './guest-projects';

/** What a command was given (a CodeLens passes both). */
export interface TargetHint {
  /** The project folder or the ELF. */
  readonly project?: string;
  readonly program?: string;
  readonly function?: string;
}

export interface GuestTarget {
  readonly project: GuestProject | undefined;
  readonly elfPath: string;
  readonly signature: FunctionSignature;
}

/** The function under the cursor of the active editor, when it is a guest source. */
export function functionUnderCursor(): { project: GuestProject; name: string } | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.uri.scheme !== 'file') return undefined;
  const project = projectOf(editor.document.uri.fsPath);
  if (!project) return undefined;
  const fn = functionAtLine(declaredFunctions(editor.document.getText()), editor.selection.active.line);
  return fn ? { project, name: fn.name } : undefined;
}

async function pickProject(): Promise<GuestProject | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const here = active?.scheme === 'file' ? projectOf(active.fsPath) : undefined;
  if (here) return here;
  const projects = await findProjects();
  if (projects.length === 0) {
    void vscode.window.showInformationMessage('Micro-VM: no guest project (a folder with microvm.json) in the workspace. Create one with "Micro-VM: New Guest Project".');
    return undefined;
  }
  if (projects.length === 1) return projects[0];
  const picked = await vscode.window.showQuickPick(
    projects.map((p) => ({ label: p.manifest.name, description: vscode.workspace.asRelativePath(p.dir), project: p })),
    { placeHolder: 'Guest project', ignoreFocusOut: true },
  );
  return picked?.project;
}

/** Builds the project when its ELF is older than its sources; false when the build failed. */
export async function ensureBuilt(project: GuestProject): Promise<boolean> {
  if (!isStale(project)) return true;
  const built = await buildWithTask(project);
  if (!built) {
    void vscode.window.showErrorMessage(`Micro-VM: building ${project.manifest.name} failed; see Problems and the task's terminal.`);
  }
  return built;
}

export async function pickFunction(functions: readonly FunctionSignature[], elfPath: string): Promise<FunctionSignature | undefined> {
  if (functions.length === 0) {
    void vscode.window.showWarningMessage(`Micro-VM: ${path.basename(elfPath)} declares no guest functions (MV_GUEST_FUNCTION).`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    functions.map((fn) => ({ label: fn.name, description: formatSignature(fn), fn })),
    { placeHolder: 'Guest function', ignoreFocusOut: true },
  );
  return picked?.fn;
}

/** Resolves a target, asking only for what the hint and the cursor leave open; undefined: cancelled. */
export async function resolveTarget(hint: TargetHint = {}): Promise<GuestTarget | undefined> {
  let project: GuestProject | undefined;
  let elfPath: string | undefined;
  let name = hint.function;
  if (hint.project) project = loadProject(hint.project);
  else if (hint.program) {
    elfPath = path.resolve(hint.program);
    project = projectOf(elfPath);
    if (project && project.elfPath !== elfPath) project = undefined;
  } else {
    const cursor = functionUnderCursor();
    project = cursor?.project ?? (await pickProject());
    if (!project) return undefined;
    name ??= cursor?.name;
  }
  if (project) {
    if (!(await ensureBuilt(project))) return undefined;
    elfPath = project.elfPath;
  }
  let functions: FunctionSignature[];
  try {
    functions = inspectGuest(elfPath!).functions;
  } catch (error) {
    void vscode.window.showErrorMessage(`Micro-VM: ${formatError(error)}`);
    return undefined;
  }
  const signature = name ? functions.find((fn) => fn.name === name) : await pickFunction(functions, elfPath!);
  if (!signature) {
    if (name) void vscode.window.showErrorMessage(`Micro-VM: ${path.basename(elfPath!)} has no guest function ${name}; it exports: ${functions.map((f) => f.name).join(', ') || 'none'}`);
    return undefined;
  }
  return { project, elfPath: elfPath!, signature };
}
