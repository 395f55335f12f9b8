// Running Node (the CLI, a script) in a child process for a test: with a time limit, so that a
// hang fails the test instead of hanging the suite, and an explanation of how the run ended.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The `microvm` command as users run it (the esbuild bundle dist/cli.js). */
export const CLI = path.join(ROOT, 'bin', 'microvm.js');

export interface ChildRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The time limit the run had. */
  readonly timeoutMs: number;
}

export interface ChildOptions {
  readonly cwd?: string;
  /** Default 20 s. */
  readonly timeoutMs?: number;
}

/** `node args…`, stdin closed; killed after the time limit. */
export function runNode(args: readonly string[], options: ChildOptions = {}): ChildRun {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const res = spawnSync(process.execPath, args, { cwd: options.cwd ?? ROOT, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error && !res.signal) throw res.error;
  return { status: res.status, signal: res.signal, stdout: res.stdout, stderr: res.stderr, timeoutMs };
}

/** `microvm args…`. */
export function runCli(args: readonly string[], options: ChildOptions = {}): ChildRun {
  return runNode([CLI, ...args], options);
}

/** How a run ended and what it printed, for an assertion's message. */
export function explain(run: ChildRun): string {
  const how = run.signal ? `killed by ${run.signal} after ${run.timeoutMs} ms (a hang)` : `exit ${run.status}`;
  return `${how}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
