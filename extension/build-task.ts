// The `microvm` task type: builds a guest project with the extension's own toolchain (no CLI on
// PATH), in a terminal that shows the compiler's commands and diagnostics, and puts the
// compiler's errors and warnings in Problems with file and line (compiler-diagnostics.ts says why
// not through a problem matcher; `$microvm-gcc` is contributed for shell tasks running the CLI).
import path from 'node:path';
import * as vscode from 'vscode';
import { GuestBuildError } from '../guest-templates/toolchain';
import { publishCompilerDiagnostics } from './compiler-diagnostics';
import { build, findProjects, loadProject, type GuestProject } from './guest-projects';

export const TASK_TYPE = 'microvm';


export interface BuildTaskDefinition extends vscode.TaskDefinition {
  readonly task: 'build';
  /** The project folder, absolute or relative to the workspace folder; default: the workspace folder. */
  readonly project?: string;
}

/** Terminal text uses CRLF line ends. */
function terminalText(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** A build as a pseudoterminal: runs once when opened, closes with 0 or 1. */
class BuildTerminal implements vscode.Pseudoterminal {
  private readonly written = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.written.event;
  readonly onDidClose = this.closed.event;

  constructor(private readonly projectDir: () => string) {}

  open(): void {
    // Let the terminal show before the (synchronous) compiler runs.
    setTimeout(() => this.closed.fire(this.run()), 0);
  }

  close(): void {}

  private run(): number {
    let project: GuestProject;
    try {
      project = loadProject(this.projectDir());
    } catch (error) {
      this.written.fire(terminalText(`${(error as Error).message}\n`));
      return 1;
    }
    this.written.fire(terminalText(`Building ${project.manifest.name} in ${project.dir}\n`));
    try {
      const result = build(project);
      for (const command of result.commands) this.written.fire(terminalText(`$ ${command}\n`));
      for (const warning of result.warnings) this.written.fire(terminalText(`${warning}\n`));
      publishCompilerDiagnostics(project.dir, result.warnings.join('\n'));
      this.written.fire(terminalText(`Built ${result.elfPath}\n`));
      return 0;
    } catch (error) {
      const message = error instanceof GuestBuildError ? error.message : `guest build failed: ${(error as Error).message}`;
      publishCompilerDiagnostics(project.dir, error instanceof GuestBuildError ? error.stderr : '');
      this.written.fire(terminalText(`${message}\n`));
      return 1;
    }
  }
}

function projectDirOf(definition: BuildTaskDefinition, scope: vscode.TaskScope | vscode.WorkspaceFolder | undefined): string {
  const folder = typeof scope === 'object' ? scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  return definition.project ? path.resolve(folder, definition.project) : folder;
}

export function buildTask(definition: BuildTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope, name: string): vscode.Task {
  const task = new vscode.Task(
    definition,
    scope,
    name,
    TASK_TYPE,
    new vscode.CustomExecution(async () => new BuildTerminal(() => projectDirOf(definition, scope))),
  );
  task.group = vscode.TaskGroup.Build;
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Silent, clear: true };
  return task;
}

/** The build task of a project, as the provider lists it. */
export function projectBuildTask(project: GuestProject): vscode.Task {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(project.dir));
  const relative = folder ? path.relative(folder.uri.fsPath, project.dir) : project.dir;
  const definition: BuildTaskDefinition = { type: TASK_TYPE, task: 'build', project: relative === '' ? undefined : relative };
  return buildTask(definition, folder ?? vscode.TaskScope.Workspace, `build ${project.manifest.name}`);
}

export class BuildTaskProvider implements vscode.TaskProvider {
  async provideTasks(): Promise<vscode.Task[]> {
    return (await findProjects()).map(projectBuildTask);
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const definition = task.definition as BuildTaskDefinition;
    if (definition.task !== 'build') return undefined;
    return buildTask(definition, task.scope ?? vscode.TaskScope.Workspace, task.name);
  }
}

/**
 * Builds a project through its task (so that errors land in Problems) and resolves when it is
 * done: true when it built.
 */
export async function buildWithTask(project: GuestProject): Promise<boolean> {
  const task = projectBuildTask(project);
  const execution = await vscode.tasks.executeTask(task);
  return new Promise((resolve) => {
    const listener = vscode.tasks.onDidEndTaskProcess((event) => {
      const ended = event.execution.task;
      if (event.execution !== execution && !(ended.name === task.name && ended.definition.project === task.definition.project)) return;
      listener.dispose();
      resolve(event.exitCode === 0);
    });
  });
}
