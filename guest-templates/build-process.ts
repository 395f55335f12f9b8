// Running the compilers of a guest build: each command is recorded shell-quoted, the diagnostics
// of a successful one kept as warnings, and a failure (or a missing tool) becomes a
// GuestBuildError whose message carries the command line and the tool's output.
import { spawnSync } from 'node:child_process';

/** A failed compile or link: `message` includes the compiler's stderr. */
export class GuestBuildError extends Error {
  readonly command: string;
  readonly stderr: string;

  constructor(message: string, command: string, stderr: string) {
    super(message);
    this.name = 'GuestBuildError';
    this.command = command;
    this.stderr = stderr;
  }
}

/** What a build accumulates: every command line in order, and the warnings of successful ones. */
export interface BuildLog {
  readonly commands: string[];
  readonly warnings: string[];
}

export interface RunOptions {
  /** Working directory of the command (default: the current one). */
  readonly cwd?: string;
  /** The message when the tool does not exist, naming what to install. */
  readonly missing: (command: string) => string;
}

export function quote(arg: string): string {
  return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs one build command synchronously. spawnSync rather than execFileSync so that the
 * diagnostics of a successful command (warnings) are kept too.
 */
export function runBuildCommand(cmd: string, args: readonly string[], log: BuildLog, options: RunOptions): void {
  const line = [cmd, ...args].map(quote).join(' ');
  log.commands.push(line);
  const result = spawnSync(cmd, args, { cwd: options.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) {
    const err = result.error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new GuestBuildError(options.missing(cmd), line, '');
    throw new GuestBuildError(`could not run ${cmd}: ${err.message}\n$ ${line}`, line, '');
  }
  const stderr = (result.stderr ?? '').trim();
  if (result.status !== 0) {
    const stdout = (result.stdout ?? '').trim();
    const how = result.signal !== null ? `killed by ${result.signal}` : `exit status ${result.status}`;
    const detail = [stderr, stdout].filter((x) => x !== '').join('\n') || '(no output)';
    throw new GuestBuildError(`guest build failed (${how}):\n$ ${line}\n${detail}`, line, stderr);
  }
  if (stderr !== '') log.warnings.push(stderr);
}
