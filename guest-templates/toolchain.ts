// Guest project templates and the C guest build: `microvm new` and `microvm build` call into this.
//
// A guest project is a directory with a `microvm.json` manifest:
//   { "name": "c-hello", "language": "c", "sources": ["hello.c"], "output": "build/c-hello.elf" }
// Optional fields: "cflags" (extra compiler flags, string[]).
//
// The C SDK (guest-templates/sdk/c) is vendored into `<project>/microvm-sdk/` by newGuestProject,
// so a project builds on its own; without a vendored copy the repository's SDK is used.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface BuildOptions {
  /** C compiler: gcc or clang (or a path to one). Default: $MICROVM_CC, else `cc`. */
  cc?: string;
  /** Optimisation level. Default '0' (guests are built for debugging). */
  optimize?: '0' | '1' | '2' | 's';
  /** Flags appended to every compile command. */
  extraCflags?: string[];
  /** Where to write the ELF (buildGuest only; relative to the project). Default: the manifest's
   *  `output`, else `build/<name>.elf`. */
  outFile?: string;
}

export interface BuildResult {
  /** Absolute path of the linked guest ELF. */
  elfPath: string;
  /** Every command run, in order, as a shell-quoted line. */
  commands: string[];
  /** Compiler and linker diagnostics (warnings) of the successful commands, if any. */
  warnings: string[];
}

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

export interface GuestManifest {
  name: string;
  language: 'c';
  sources: string[];
  output?: string;
  cflags?: string[];
}

const MANIFEST = 'microvm.json';
const VENDORED_SDK = 'microvm-sdk';
const SDK_MARKER = path.join('guest-templates', 'sdk', 'c', 'include', 'microvm.h');

/** Compile flags every guest gets (see guest-templates/sdk/c/README.md). */
const BASE_CFLAGS: readonly string[] = [
  '-std=c11',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-pie',
  '-fno-stack-protector',
  '-fno-omit-frame-pointer',
  '-fasynchronous-unwind-tables',
  '-fcf-protection=none',
  '-mno-red-zone',
  '-g',
  '-Wall',
  '-Wextra',
];

/**
 * The SDK runtime and the extra flags each file needs. Everything except float.c is built with
 * -mgeneral-regs-only so that the runtime never touches x87/SSE state on its own: a call that
 * involves no floating point then never uses the vector unit (float.c holds %f formatting and the
 * variadic entry points, whose prologues must be able to save XMM argument registers).
 */
const RUNTIME_SOURCES: ReadonlyArray<{ file: string; flags: readonly string[] }> = [
  { file: 'runtime/entry.S', flags: [] },
  { file: 'runtime/runtime.c', flags: ['-mgeneral-regs-only'] },
  { file: 'runtime/print.c', flags: ['-mgeneral-regs-only'] },
  { file: 'runtime/heap.c', flags: ['-mgeneral-regs-only'] },
  { file: 'runtime/string.c', flags: ['-mgeneral-regs-only'] },
  { file: 'runtime/float.c', flags: [] },
];

// ---------------------------------------------------------------------------------------------
// Locating the repository

let cachedRoot: string | undefined;

/**
 * The repository root: the nearest directory at or above this file that holds
 * guest-templates/sdk/c/include/microvm.h. Works from guest-templates/ (sources),
 * out/guest-templates/ (tsc output) and dist/ (an esbuild bundle).
 */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const start = path.resolve(__dirname);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, SDK_MARKER))) {
      cachedRoot = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find ${SDK_MARKER} in ${start} or any directory above it`);
  }
}

/** The repository's C SDK directory (guest-templates/sdk/c). */
export function sdkDir(): string {
  return path.join(repoRoot(), 'guest-templates', 'sdk', 'c');
}

function templatesDir(): string {
  return path.join(repoRoot(), 'guest-templates');
}

// ---------------------------------------------------------------------------------------------
// Templates

/** Names of the project templates: every guest-templates/<name>/ holding a microvm.json. */
export function listTemplates(): string[] {
  const root = templatesDir();
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, MANIFEST)))
    .map((e) => e.name)
    .sort();
}

/**
 * Creates a guest project in `dir` from `template` and vendors the C SDK into
 * `<dir>/microvm-sdk/`. `dir` may exist only if it is an empty directory.
 */
export function newGuestProject(template: string, dir: string): void {
  const templates = listTemplates();
  if (!templates.includes(template)) {
    throw new Error(`unknown template '${template}' (known templates: ${templates.join(', ') || 'none'})`);
  }
  const target = path.resolve(dir);
  if (fs.existsSync(target)) {
    if (!fs.statSync(target).isDirectory()) throw new Error(`cannot create a guest project in ${target}: it exists and is not a directory`);
    if (fs.readdirSync(target).length > 0) throw new Error(`cannot create a guest project in ${target}: the directory is not empty`);
  }
  fs.mkdirSync(target, { recursive: true });
  copyTree(path.join(templatesDir(), template), target);
  copyTree(sdkDir(), path.join(target, VENDORED_SDK));
}

/** Recursive copy that skips build output. */
function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.name === 'build' || entry.name === 'node_modules') continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isFile()) fs.copyFileSync(src, dst);
  }
}

// ---------------------------------------------------------------------------------------------
// Manifest

/** Reads and validates `<dir>/microvm.json`. */
export function readManifest(dir: string): GuestManifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) throw new Error(`${file} not found: a guest project needs a ${MANIFEST} manifest`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file}: the manifest must be a JSON object`);
  const m = parsed as Record<string, unknown>;
  const fail = (field: string, what: string): never => {
    throw new Error(`${file}: field "${field}" ${what}`);
  };
  if (typeof m.name !== 'string' || m.name.trim() === '') fail('name', 'must be a non-empty string');
  if (m.language === undefined) fail('language', 'is missing (supported: "c")');
  if (m.language !== 'c') fail('language', `must be "c", got ${JSON.stringify(m.language)}`);
  const sources: unknown[] = Array.isArray(m.sources) ? (m.sources as unknown[]) : fail('sources', 'must be a non-empty array of file names');
  if (sources.length === 0) fail('sources', 'must be a non-empty array of file names');
  sources.forEach((s, i) => {
    if (typeof s !== 'string' || s === '') fail(`sources[${i}]`, 'must be a non-empty string');
  });
  if (m.output !== undefined && (typeof m.output !== 'string' || m.output === '')) fail('output', 'must be a non-empty string');
  if (m.cflags !== undefined && (!Array.isArray(m.cflags) || !(m.cflags as unknown[]).every((f) => typeof f === 'string'))) {
    fail('cflags', 'must be an array of strings');
  }
  return {
    name: m.name as string,
    language: 'c',
    sources: sources as string[],
    output: m.output as string | undefined,
    cflags: m.cflags as string[] | undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Building

/** Builds the guest project in `dir` (see microvm.json). Output goes to `<dir>/build/`. */
export function buildGuest(dir: string, options: BuildOptions = {}): BuildResult {
  const root = path.resolve(dir);
  const manifest = readManifest(root);
  const sources = manifest.sources.map((s) => path.resolve(root, s));
  for (const [i, s] of sources.entries()) {
    if (!fs.existsSync(s)) throw new Error(`${path.join(root, MANIFEST)}: sources[${i}] ${manifest.sources[i]} does not exist`);
  }
  const vendored = path.join(root, VENDORED_SDK);
  const sdk = fs.existsSync(path.join(vendored, 'include', 'microvm.h')) ? vendored : sdkDir();
  const outFile = path.resolve(root, options.outFile ?? manifest.output ?? path.join('build', `${manifest.name}.elf`));
  const objDir = path.join(root, 'build', 'obj');
  const opts: BuildOptions = { ...options, extraCflags: [...(manifest.cflags ?? []), ...(options.extraCflags ?? [])] };
  return compileAndLink(sources, sdk, outFile, objDir, opts);
}

/** Builds standalone guest sources (no manifest) with the repository's SDK; returns the ELF path. */
export function buildGuestSources(sources: string[], outFile: string, options: BuildOptions = {}): string {
  if (sources.length === 0) throw new Error('buildGuestSources: no sources given');
  const out = path.resolve(outFile);
  const objDir = path.join(path.dirname(out), 'obj', path.basename(out).replace(/\.elf$/, ''));
  return compileAndLink(sources.map((s) => path.resolve(s)), sdkDir(), out, objDir, options).elfPath;
}

function compileAndLink(sources: string[], sdk: string, outFile: string, objDir: string, options: BuildOptions): BuildResult {
  const cc = options.cc ?? process.env.MICROVM_CC ?? 'cc';
  const optimize = options.optimize ?? '0';
  if (!['0', '1', '2', 's'].includes(optimize)) throw new Error(`optimize must be one of 0, 1, 2, s, got ${JSON.stringify(optimize)}`);
  const clang = isClang(cc);
  const cflags = [...BASE_CFLAGS, `-O${optimize}`, `-I${path.join(sdk, 'include')}`, ...(options.extraCflags ?? [])];

  fs.rmSync(objDir, { recursive: true, force: true });
  fs.mkdirSync(objDir, { recursive: true });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });

  const commands: string[] = [];
  const warnings: string[] = [];
  const objects: string[] = [];
  const used = new Set<string>();
  const objectFor = (src: string, prefix: string): string => {
    const base = `${prefix}${path.basename(src).replace(/\.[^.]+$/, '')}`;
    let name = `${base}.o`;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}.o`;
    used.add(name);
    return path.join(objDir, name);
  };

  for (const src of sources) {
    const obj = objectFor(src, '');
    run(cc, [...cflags, '-c', src, '-o', obj], commands, warnings);
    objects.push(obj);
  }
  for (const { file, flags } of RUNTIME_SOURCES) {
    const src = path.join(sdk, file);
    if (!fs.existsSync(src)) throw new Error(`the C SDK in ${sdk} is incomplete: ${file} is missing`);
    const obj = objectFor(src, 'microvm-');
    run(cc, [...cflags, ...flags, '-c', src, '-o', obj], commands, warnings);
    objects.push(obj);
  }

  const ldflags = [
    '-nostdlib',
    '-static',
    // clang treats -no-pie as unused with -static and warns; -static alone already gives ET_EXEC.
    ...(clang ? [] : ['-no-pie']),
    '-g',
    '-T',
    path.join(sdk, 'microvm.ld'),
    '-Wl,--build-id=none',
    '-Wl,-z,max-page-size=4096',
    '-Wl,-z,noexecstack',
    '-Wl,--eh-frame-hdr',
  ];
  run(cc, [...ldflags, ...objects, '-o', outFile], commands, warnings);
  return { elfPath: outFile, commands, warnings };
}

const clangCache = new Map<string, boolean>();

function isClang(cc: string): boolean {
  const cached = clangCache.get(cc);
  if (cached !== undefined) return cached;
  let result = /clang/.test(path.basename(cc));
  if (!result) {
    try {
      result = /clang/i.test(execFileSync(cc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    } catch {
      result = false; // a missing compiler is reported by the first real command
    }
  }
  clangCache.set(cc, result);
  return result;
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs one compiler command synchronously. spawnSync rather than execFileSync so that the
 * diagnostics of a successful command (warnings) are kept too; a failure throws a GuestBuildError
 * whose message carries the command line and the compiler's stderr.
 */
function run(cmd: string, args: string[], commands: string[], warnings: string[]): void {
  const line = [cmd, ...args].map(quote).join(' ');
  commands.push(line);
  const result = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) {
    const err = result.error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      const pkg = /clang/.test(path.basename(cmd)) ? 'clang' : 'gcc';
      throw new GuestBuildError(
        `C compiler '${cmd}' not found: install the ${pkg} package (Debian/Ubuntu: sudo apt install ${pkg === 'gcc' ? 'build-essential' : 'clang binutils'}), or choose another compiler (--cc, the microvm.compiler setting)`,
        line, '');
    }
    throw new GuestBuildError(`could not run ${cmd}: ${err.message}\n$ ${line}`, line, '');
  }
  const stderr = (result.stderr ?? '').trim();
  if (result.status !== 0) {
    const stdout = (result.stdout ?? '').trim();
    const how = result.signal !== null ? `killed by ${result.signal}` : `exit status ${result.status}`;
    const detail = [stderr, stdout].filter((x) => x !== '').join('\n') || '(no output)';
    throw new GuestBuildError(`guest build failed (${how}):\n$ ${line}\n${detail}`, line, stderr);
  }
  if (stderr !== '') warnings.push(stderr);
}
