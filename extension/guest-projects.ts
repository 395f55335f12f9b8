// Guest projects in the workspace: folders with a microvm.json manifest, their sources and the ELF
// they build to, whether that ELF is older than what it is built from, and the build itself (the
// extension's own toolchain code: no `microvm` CLI on PATH needed).
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { buildGuest, readManifest, type BuildResult, type GuestManifest } from '../guest-templates/toolchain';
import { settings } from './settings';

export interface GuestProject {
  /** Absolute path of the folder holding microvm.json. */
  readonly dir: string;
  readonly manifest: GuestManifest;
  readonly elfPath: string;
  /** Absolute paths of the sources the manifest lists. */
  readonly sources: readonly string[];
}

const MANIFEST = 'microvm.json';
const EXCLUDED = '**/{node_modules,microvm-sdk,build}/**';

export function loadProject(dir: string): GuestProject {
  const manifest = readManifest(dir);
  return {
    dir,
    manifest,
    elfPath: path.resolve(dir, manifest.output ?? path.join('build', `${manifest.name}.elf`)),
    sources: manifest.sources.map((s) => path.resolve(dir, s)),
  };
}

/** Every guest project in the workspace (a malformed manifest is left out). */
export async function findProjects(): Promise<GuestProject[]> {
  const manifests = await vscode.workspace.findFiles(`**/${MANIFEST}`, EXCLUDED);
  const projects: GuestProject[] = [];
  for (const uri of manifests) {
    try {
      projects.push(loadProject(path.dirname(uri.fsPath)));
    } catch {
      // Reported when the user builds it.
    }
  }
  return projects.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** The project a file belongs to: the nearest microvm.json above it. */
export function projectOf(file: string): GuestProject | undefined {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, MANIFEST))) {
      try {
        return loadProject(dir);
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function newestMtime(file: string): number {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  return newest;
}

/** True when the ELF is missing or older than a source, the manifest or the vendored SDK. */
export function isStale(project: GuestProject): boolean {
  const built = fs.statSync(project.elfPath, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return true;
  const inputs = [...project.sources, path.join(project.dir, MANIFEST), path.join(project.dir, 'microvm-sdk')];
  // Headers next to the sources count too.
  for (const source of project.sources) {
    for (const entry of fs.readdirSync(path.dirname(source))) if (entry.endsWith('.h')) inputs.push(path.join(path.dirname(source), entry));
  }
  return inputs.some((input) => newestMtime(input) > built);
}

/** Builds the project with the compiler and optimisation level of the settings. */
export function build(project: GuestProject): BuildResult {
  const config = settings(vscode.Uri.file(project.dir));
  return buildGuest(project.dir, { cc: config.compiler, optimize: config.optimization });
}

/** Where crash dumps of calls made in this folder go (the setting, relative to the workspace folder). */
export function crashDumpDirFor(file: string): string {
  const uri = vscode.Uri.file(file);
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(file);
  const configured = settings(uri).crashDumpDir;
  return path.isAbsolute(configured) ? configured : path.join(folder, configured);
}
