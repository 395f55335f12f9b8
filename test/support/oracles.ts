// The reference tools the tests compare with (gdb, readelf, objdump, addr2line, llvm-dwarfdump,
// llvm-symbolizer, the compilers), run one way: the tests' one runner, their skip rule for a missing
// tool, scratch folders, and the `hex` the messages and oracles' inputs are written with. Parsers of
// one tool's output for one test stay with that test (or its fixture); running the tool is here.
//
//   import { gdbBatch, hex, missingTools, run } from './support/oracles';
//   const text = gdbBatch([elf, core], ['bt']);
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before } from 'node:test';

export { hex } from '../../native/lib/hex';
export { repoRoot } from '../../guest-templates/toolchain';

/** `0x…`, or `-` for a value that is missing (frame tables). */
export function hexOrDash(value: bigint | undefined): string {
  return value === undefined ? '-' : `0x${value.toString(16)}`;
}

/** The environment for external tools: without the sanitizer runtimes that `npm run test:asan` preloads into Node. */
export function toolEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.ASAN_OPTIONS;
  delete env.UBSAN_OPTIONS;
  return env;
}

export interface RunOptions {
  /** Fed on stdin (otherwise stdin is closed). */
  readonly input?: string;
  readonly cwd?: string;
  /** Added to toolEnv(). */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeout?: number;
}

function spawnOptions(options: RunOptions) {
  return {
    cwd: options.cwd,
    input: options.input,
    env: { ...toolEnv(), ...options.env },
    encoding: 'utf8' as const,
    maxBuffer: 1 << 30,
    timeout: options.timeout,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] as ('ignore' | 'pipe')[],
  };
}

/** stdout of a tool that must succeed (its stderr is in the error when it does not). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): string {
  return execFileSync(command, args, spawnOptions(options));
}

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the tool could not start or was killed (a timeout). */
  readonly error?: Error;
}

/** A tool whose exit status is the caller's to judge (readelf exits 1 on some system libraries, gdb on a failed last command). */
export function runTool(command: string, args: readonly string[], options: RunOptions = {}): ToolRun {
  const result = spawnSync(command, args, spawnOptions(options));
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', error: result.error };
}

/** The tools of `names` that do not run (`--version`), so tests can skip where one is missing. */
export function missingTools(names: readonly string[]): string[] {
  return names.filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);
}

/** For tests that fail (rather than skip) without `names`: a `before` hook that names the missing ones. */
export function requireTools(names: readonly string[]): void {
  const missing = missingTools(names);
  before(() => assert.deepEqual(missing, [], `required tools are missing: ${missing.join(', ')}`));
}

/** `{ skip }` for tests that need `names`: false when all run, else the reason. */
export function skipWithoutTools(names: readonly string[]): string | false {
  const missing = missingTools(names);
  return missing.length > 0 ? `skipped: ${missing.join(', ')} not installed` : false;
}

const scratchFolders: string[] = [];
process.on('exit', () => scratchFolders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A new folder under the system's temporary folder, `microvm-<prefix>-…`, removed when the test process exits. */
export function scratch(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `microvm-${prefix}-`));
  scratchFolders.push(dir);
  return dir;
}

// ---- gdb ----

/** `gdb -batch -nx -ex <command>… <args>` (args: the program, then a core), its stdout; throws when gdb fails. */
export function gdbBatch(args: readonly string[], commands: readonly string[], options: RunOptions = {}): string {
  return run('gdb', ['-batch', '-nx', ...commands.flatMap((c) => ['-ex', c]), ...args], options);
}

/** gdb's `bt` lines of a core, frame #0 once (gdb also prints it when it loads the core). */
export function gdbBacktrace(elf: string, core: string): string[] {
  const frames = new Map<number, string>();
  for (const line of gdbBatch([elf, core], ['set width 0', 'bt']).split('\n')) {
    const match = /^#(\d+)\s/.exec(line);
    if (match) frames.set(Number(match[1]), line);
  }
  return [...frames.keys()].sort((a, b) => a - b).map((n) => frames.get(n)!);
}

/** `gdb -nx -batch -x <script> <args>`: a Python driver that writes its results to a file named in `env`. */
export function gdbScript(script: string, args: readonly string[], options: RunOptions = {}): ToolRun {
  return runTool('gdb', ['-nx', '-batch', '-x', script, ...args], { timeout: 300_000, ...options, env: { LC_ALL: 'C', ...options.env } });
}

/** gdbScript for a driver that writes JSON to `out`: the parsed JSON (gdb's output in the error when it wrote none). */
export function gdbScriptJson<T>(script: string, args: readonly string[], out: string, options: RunOptions = {}): T {
  const result = gdbScript(script, args, options);
  if (!fs.existsSync(out)) {
    throw new Error(`gdb wrote no ${path.basename(out)} (status ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${result.stdout}\n${result.stderr}`);
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as T;
}

/** gdbScript without blocking: the tests that run several gdbs at once. stdout and stderr are `output`, interleaved. */
export function gdbScriptAsync(script: string, args: readonly string[], options: RunOptions = {}): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const gdb = spawn('gdb', ['-nx', '-batch', '-x', script, ...args], {
      env: { ...toolEnv(), LC_ALL: 'C', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeout ?? 120_000,
    });
    let output = '';
    gdb.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    gdb.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    gdb.on('error', reject);
    gdb.on('close', (status) => resolve({ status, output }));
  });
}

const MARK = '@@';

export interface GdbRun {
  /** Everything gdb printed (stdout and stderr interleaved as gdb wrote them). */
  readonly output: string;
  /** Output after each `section(name)` marker, up to the next marker. */
  readonly sections: Map<string, string>;
}

/** A gdb command that starts a named output section of runGdb. */
export function section(name: string): string {
  return `echo ${MARK}${name}\\n`;
}

/** gdb in batch mode with its output split into named sections by `section(name)` markers. */
export function runGdb(args: readonly string[], commands: readonly string[]): GdbRun {
  const ex = ['set auto-load safe-path /', 'set pagination off', 'set confirm off', 'set width 0', 'set height 0', ...commands];
  // Through sh so stderr (gdb's errors and warnings) lands in the same stream, in order.
  const gdbArgs = ['-nx', '-batch', ...ex.flatMap((c) => ['-ex', c]), ...args];
  const result = spawnSync('sh', ['-c', 'exec gdb "$@" 2>&1', 'sh', ...gdbArgs], {
    encoding: 'utf8',
    env: toolEnv(),
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  const output = result.stdout;
  const sections = new Map<string, string>();
  for (const part of output.split(new RegExp(`^${MARK}`, 'm')).slice(1)) {
    const newline = part.indexOf('\n');
    sections.set(part.slice(0, newline), part.slice(newline + 1));
  }
  return { output, sections };
}

// ---- binutils ----

/** `readelf <flags> <file>` (e.g. `-hW`). */
export function readelf(flags: string, file: string): string {
  return run('readelf', [flags, file]);
}

/** `objdump <args>`. */
export function objdump(args: readonly string[]): string {
  return run('objdump', args);
}
