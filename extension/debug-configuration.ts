// `microvm` debug configurations: F5 with no launch.json debugs the guest function under the
// cursor (or one picked from the built ELF's function table), asking for its arguments; the Run
// and Debug drop-down lists one dynamic configuration per guest function; every live launch
// builds a stale ELF first and takes its defaults from the settings.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { inspectGuest } from '../native/lib';
import { askArguments, launchArguments } from './argument-prompt';
import { declaredFunctions } from './guest-functions';
import { crashDumpDirFor, findProjects, projectOf } from './guest-projects';
import { ensureBuilt, resolveTarget } from './guest-target';
import { settings } from './settings';

export const DEBUG_TYPE = 'microvm';

/** The launch configuration of one guest function (arguments asked when it starts). */
export function functionConfiguration(program: string, functionName: string): vscode.DebugConfiguration {
  return { type: DEBUG_TYPE, request: 'launch', name: `Debug ${functionName} (micro-VM)`, program, function: functionName };
}

/** The functions a project declares: from its ELF when built, else from its sources. */
function projectFunctions(elfPath: string, sources: readonly string[]): string[] {
  try {
    return inspectGuest(elfPath).functions.map((fn) => fn.name);
  } catch {
    return sources.flatMap((source) => {
      try {
        return declaredFunctions(fs.readFileSync(source, 'utf8')).map((fn) => fn.name);
      } catch {
        return [];
      }
    });
  }
}

export class DebugConfigurationProvider implements vscode.DebugConfigurationProvider {
  /** Dynamic configurations: one per guest function of every project. */
  async provideDebugConfigurations(): Promise<vscode.DebugConfiguration[]> {
    const configurations: vscode.DebugConfiguration[] = [];
    for (const project of await findProjects()) {
      for (const name of projectFunctions(project.elfPath, project.sources)) configurations.push(functionConfiguration(project.elfPath, name));
    }
    return configurations;
  }

  /**
   * F5 without launch.json (VS Code passes an empty configuration, or one naming only the type):
   * the function under the cursor, or one picked.
   */
  async resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (config.program !== undefined || config.coreDump !== undefined) return config;
    const target = await resolveTarget();
    if (!target) return undefined;
    return { ...functionConfiguration(target.elfPath, target.signature.name), ...(config.stopOnEntry !== undefined ? { stopOnEntry: config.stopOnEntry } : {}) };
  }

  /** Builds a stale guest, asks for missing arguments and fills defaults from the settings. */
  async resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    const resolved: vscode.DebugConfiguration = { ...config };
    if (folder && resolved.cwd === undefined) resolved.cwd = folder.uri.fsPath;
    if (typeof resolved.program !== 'string' || resolved.coreDump !== undefined) return resolved;
    const program = path.resolve(resolved.cwd ?? '', resolved.program);
    const project = projectOf(program);
    if (project && project.elfPath === program && !(await ensureBuilt(project))) return undefined;
    const defaults = settings(vscode.Uri.file(program));
    resolved.timeoutMs ??= defaults.timeoutMs;
    resolved.memorySize ??= defaults.memorySize;
    resolved.crashDumpDir ??= crashDumpDirFor(program);
    if (resolved.args === undefined && typeof resolved.function === 'string') {
      let signature;
      try {
        signature = inspectGuest(program).functions.find((fn) => fn.name === resolved.function);
      } catch {
        return resolved; // the adapter says what is wrong with the program
      }
      if (signature) {
        const args = await askArguments(signature);
        if (!args) return undefined;
        resolved.args = launchArguments(args);
      }
    }
    return resolved;
  }
}
