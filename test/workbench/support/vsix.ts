// The .vsix checks and unpacking of scripts/workbench/vsix.mjs (the rules `npm run package`
// applies), called as a command: this CommonJS code cannot import that ES module.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '..', '..', '..', '..', 'scripts', 'workbench', 'vsix.mjs');

export interface VsixReport {
  size: number;
  budget: number;
  problems: string[];
  entries: { name: string; size: number; compressedSize: number }[];
}

export function checkVsix(vsix: string): VsixReport {
  return JSON.parse(execFileSync(process.execPath, [SCRIPT, 'check', vsix], { encoding: 'utf8' })) as VsixReport;
}

/** Writes the packaged extension's files into `dir`, as VS Code installs them. */
export function unpackVsix(vsix: string, dir: string): void {
  execFileSync(process.execPath, [SCRIPT, 'unpack', vsix, dir], { stdio: 'inherit' });
}
