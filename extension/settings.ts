// The extension's settings (`microvm.*`), read fresh each time: a change applies to the next run,
// build or debug session without a reload.
import * as vscode from 'vscode';
import type { BuildOptions } from '../guest-templates/toolchain';

export type AdapterMode = 'inline' | 'process';

export interface Settings {
  readonly timeoutMs: number;
  readonly memorySize: number;
  /** Relative to the workspace folder unless absolute. */
  readonly crashDumpDir: string;
  readonly compiler: 'gcc' | 'clang';
  readonly optimization: NonNullable<BuildOptions['optimize']>;
  readonly debugAdapter: AdapterMode;
}

export function settings(scope?: vscode.ConfigurationScope): Settings {
  const config = vscode.workspace.getConfiguration('microvm', scope);
  return {
    timeoutMs: config.get<number>('timeoutMs', 5000),
    memorySize: config.get<number>('memorySize', 2 * 1024 * 1024),
    crashDumpDir: config.get<string>('crashDumpDir', 'microvm-crashes'),
    compiler: config.get<'gcc' | 'clang'>('compiler', 'gcc'),
    optimization: config.get<Settings['optimization']>('optimization', '0'),
    debugAdapter: config.get<AdapterMode>('debugAdapter', 'inline'),
  };
}
