// Guest project templates and the guest builds (C and Rust): `microvm new` and `microvm build`
// call into this.
//
// A guest project is a directory with a `microvm.json` manifest:
//   { "name": "c-hello", "language": "c", "sources": ["hello.c"], "output": "build/c-hello.elf" }
//   { "name": "rust-hello", "language": "rust", "sources": ["src/main.rs"], "output": "build/rust-hello.elf" }
// Optional fields: "output" (default build/<name>.elf), "cflags" (extra C compiler flags,
// string[]; for Rust guests they apply to the C runtime). Rust only: "sources" starts with the
// crate root (rustc finds the modules; list them too so that tools notice their changes),
// "crateName" (default: name with '-' as '_'), "edition" (default "2021"), "rustflags" (string[]).
//
// newGuestProject vendors the SDK, so a project builds on its own: a C project gets the C SDK
// (guest-templates/sdk/c) in `<project>/microvm-sdk/`; a Rust project gets `microvm-sdk/c/` and
// `microvm-sdk/rust/`, the same layout as guest-templates/sdk/. Without a vendored copy the
// repository's SDK is used.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runBuildCommand, type BuildLog } from './build-process';
import { BASE_CFLAGS, guestSdkRoot, linkFlags, RUNTIME_SOURCES } from '../native/lib/guest-sdk';
import { buildRustCrate, findRustc, rustcVersion } from './rust-build';
import { buildWasmCGuest } from './wasm-build';

export { GuestBuildError } from './build-process';

export interface BuildOptions {
  /** C compiler: gcc or clang (or a path to one). Default: $MICROVM_CC, else `cc`. Rust guests
   *  use it for the C runtime and as rustc's linker. */
  cc?: string;
  /** Rust guests: the rustc to use. Default: $MICROVM_RUSTC, else `rustc` on PATH, else ~/.cargo/bin/rustc. */
  rustc?: string;
  /** Optimisation level. Default '0' (guests are built for debugging). */
  optimize?: '0' | '1' | '2' | 's';
  /** Flags appended to every compile command. */
  extraCflags?: string[];
  /** Where to write the ELF (buildGuest only; relative to the project). Default: the manifest's
   *  `output`, else `build/<name>.elf`. */
  outFile?: string;
  /** Where object files go (buildGuest only; emptied first). Default: `<project>/build/obj`.
   *  Concurrent builds of one project need one each. */
  objDir?: string;
}

export interface BuildResult {
  /** Absolute path of the linked guest ELF. */
  elfPath: string;
  /** Every command run, in order, as a shell-quoted line. */
  commands: string[];
  /** Compiler and linker diagnostics (warnings) of the successful commands, if any. */
  warnings: string[];
}

export type GuestLanguage = 'c' | 'rust';
/** What a project compiles to: a native guest ELF, or a wasm32 module the host translates. */
export type GuestTarget = 'native' | 'wasm32';

export interface GuestManifest {
  name: string;
  language: GuestLanguage;
  /** Default 'native'. 'wasm32': clang compiles the C sources to a Wasm module (docs/wasm-guests.md). */
  target?: GuestTarget;
  /** C: the sources to compile. Rust: the crate root first, then (optionally) its modules. */
  sources: string[];
  output?: string;
  cflags?: string[];
  /** Rust: the crate name (default: `name` with '-' as '_'). */
  crateName?: string;
  /** Rust: the edition (default "2021"). */
  edition?: string;
  /** Rust: extra rustc flags. */
  rustflags?: string[];
}

const MANIFEST = 'microvm.json';
const VENDORED_SDK = 'microvm-sdk';
const RUST_EDITIONS = ['2015', '2018', '2021', '2024'];

// ---------------------------------------------------------------------------------------------
// Locating the repository

/**
 * The repository root (guestSdkRoot: the nearest directory at or above this file that holds
 * guest-templates/sdk/c/include/microvm.h, from sources, out/ or an esbuild bundle in dist/).
 */
export function repoRoot(): string {
  return guestSdkRoot();
}

/** The repository's C SDK directory (guest-templates/sdk/c). */
export function sdkDir(): string {
  return path.join(repoRoot(), 'guest-templates', 'sdk', 'c');
}

/** The repository's Rust SDK crate (guest-templates/sdk/rust). */
export function rustSdkDir(): string {
  return path.join(repoRoot(), 'guest-templates', 'sdk', 'rust');
}

/** The repository's Wasm C SDK (guest-templates/sdk/wasm). */
export function wasmSdkDir(): string {
  return path.join(repoRoot(), 'guest-templates', 'sdk', 'wasm');
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
 * Creates a guest project in `dir` from `template` and vendors the SDK into `<dir>/microvm-sdk/`
 * (a Rust template gets microvm-sdk/c and microvm-sdk/rust). `dir` may exist only if it is an
 * empty directory.
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
  const language = readManifest(path.join(templatesDir(), template)).language;
  fs.mkdirSync(target, { recursive: true });
  copyTree(path.join(templatesDir(), template), target);
  if (readManifest(path.join(templatesDir(), template)).target === 'wasm32') {
    // The Wasm flavour of the C SDK: the header and the module's own runtime (not the host's half).
    for (const part of ['include', 'runtime']) copyTree(path.join(wasmSdkDir(), part), path.join(target, VENDORED_SDK, part));
    fs.copyFileSync(path.join(wasmSdkDir(), 'README.md'), path.join(target, VENDORED_SDK, 'README.md'));
  } else if (language === 'rust') {
    copyTree(sdkDir(), path.join(target, VENDORED_SDK, 'c'));
    copyTree(rustSdkDir(), path.join(target, VENDORED_SDK, 'rust'));
  } else {
    copyTree(sdkDir(), path.join(target, VENDORED_SDK));
  }
}

/** Recursive copy that skips build output. */
function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    // build output, and cargo's (`cargo check` from an editor)
    if (entry.name === 'build' || entry.name === 'node_modules' || entry.name === 'target' || entry.name === 'Cargo.lock') continue;
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
  if (m.language === undefined) fail('language', 'is missing (supported: "c", "rust")');
  if (m.language !== 'c' && m.language !== 'rust') fail('language', `must be "c" or "rust", got ${JSON.stringify(m.language)}`);
  const sources: unknown[] = Array.isArray(m.sources) ? (m.sources as unknown[]) : fail('sources', 'must be a non-empty array of file names');
  if (sources.length === 0) fail('sources', 'must be a non-empty array of file names');
  sources.forEach((s, i) => {
    if (typeof s !== 'string' || s === '') fail(`sources[${i}]`, 'must be a non-empty string');
  });
  if (m.output !== undefined && (typeof m.output !== 'string' || m.output === '')) fail('output', 'must be a non-empty string');
  if (m.cflags !== undefined && (!Array.isArray(m.cflags) || !(m.cflags as unknown[]).every((f) => typeof f === 'string'))) {
    fail('cflags', 'must be an array of strings');
  }
  const language = m.language as GuestLanguage;
  if (m.target !== undefined && m.target !== 'native' && m.target !== 'wasm32') fail('target', `must be "native" or "wasm32", got ${JSON.stringify(m.target)}`);
  if (m.target === 'wasm32' && language !== 'c') fail('target', '"wasm32" is supported for C guests ("language": "c")');
  const rustOnly = ['crateName', 'edition', 'rustflags'].filter((f) => m[f] !== undefined);
  if (language !== 'rust' && rustOnly.length > 0) fail(rustOnly[0], 'is only for Rust guests ("language": "rust")');
  if (m.crateName !== undefined && (typeof m.crateName !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.crateName))) {
    fail('crateName', 'must be a Rust identifier ([A-Za-z_][A-Za-z0-9_]*)');
  }
  if (m.edition !== undefined && !RUST_EDITIONS.includes(m.edition as string)) fail('edition', `must be one of ${RUST_EDITIONS.join(', ')}`);
  if (m.rustflags !== undefined && (!Array.isArray(m.rustflags) || !(m.rustflags as unknown[]).every((f) => typeof f === 'string'))) {
    fail('rustflags', 'must be an array of strings');
  }
  if (language === 'rust' && m.crateName === undefined && !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(m.name as string)) {
    fail('name', 'of a Rust guest must make a crate name ([A-Za-z_][A-Za-z0-9_-]*), or set "crateName"');
  }
  return {
    name: m.name as string,
    language,
    sources: sources as string[],
    output: m.output as string | undefined,
    cflags: m.cflags as string[] | undefined,
    ...(m.target === 'wasm32' ? { target: 'wasm32' as const } : {}),
    ...(language === 'rust'
      ? {
          crateName: (m.crateName as string | undefined) ?? (m.name as string).replace(/-/g, '_'),
          edition: (m.edition as string | undefined) ?? '2021',
          rustflags: (m.rustflags as string[] | undefined) ?? [],
        }
      : {}),
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
  const outFile = path.resolve(root, options.outFile ?? manifest.output ?? path.join('build', `${manifest.name}${manifest.target === 'wasm32' ? '.wasm' : '.elf'}`));
  const objDir = path.resolve(root, options.objDir ?? path.join('build', 'obj'));
  const opts: BuildOptions = { ...options, extraCflags: [...(manifest.cflags ?? []), ...(options.extraCflags ?? [])] };
  if (manifest.language === 'rust') return buildRustGuest(manifest, sources[0], vendored, outFile, objDir, opts);
  if (manifest.target === 'wasm32') {
    const wasmSdk = fs.existsSync(path.join(vendored, 'include', 'microvm.h')) && fs.existsSync(path.join(vendored, 'runtime', 'string.c')) ? vendored : wasmSdkDir();
    return buildWasmCGuest(sources, wasmSdk, outFile, objDir, opts, isClang);
  }
  const sdk = fs.existsSync(path.join(vendored, 'include', 'microvm.h')) ? vendored : sdkDir();
  return compileAndLink(sources, sdk, outFile, objDir, opts);
}

/** Builds standalone guest sources (no manifest) with the repository's SDK; returns the ELF path. */
export function buildGuestSources(sources: string[], outFile: string, options: BuildOptions = {}): string {
  if (sources.length === 0) throw new Error('buildGuestSources: no sources given');
  const out = path.resolve(outFile);
  const objDir = path.join(path.dirname(out), 'obj', path.basename(out).replace(/\.elf$/, ''));
  return compileAndLink(sources.map((s) => path.resolve(s)), sdkDir(), out, objDir, options).elfPath;
}

function checkedOptimize(options: BuildOptions): '0' | '1' | '2' | 's' {
  const optimize = options.optimize ?? '0';
  if (!['0', '1', '2', 's'].includes(optimize)) throw new Error(`optimize must be one of 0, 1, 2, s, got ${JSON.stringify(optimize)}`);
  return optimize;
}

function cflagsFor(sdk: string, optimize: string, options: BuildOptions): string[] {
  return [...BASE_CFLAGS, `-O${optimize}`, `-I${path.join(sdk, 'include')}`, ...(options.extraCflags ?? [])];
}

/** Names object files after their sources, unique within one build. */
function objectNamer(objDir: string): (src: string, prefix: string) => string {
  const used = new Set<string>();
  return (src, prefix) => {
    const base = `${prefix}${path.basename(src).replace(/\.[^.]+$/, '')}`;
    let name = `${base}.o`;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}.o`;
    used.add(name);
    return path.join(objDir, name);
  };
}

function freshDirs(objDir: string, outFile: string): void {
  fs.rmSync(objDir, { recursive: true, force: true });
  fs.mkdirSync(objDir, { recursive: true });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
}

const C_MISSING = (cmd: string): string => {
  const pkg = /clang/.test(path.basename(cmd)) ? 'clang' : 'gcc';
  return `C compiler '${cmd}' not found: install the ${pkg} package (Debian/Ubuntu: sudo apt install ${pkg === 'gcc' ? 'build-essential' : 'clang binutils'}), or choose another compiler (--cc, the microvm.compiler setting)`;
};

function run(cmd: string, args: string[], log: BuildLog): void {
  runBuildCommand(cmd, args, log, { missing: C_MISSING });
}

/** Compiles the SDK runtime (RUNTIME_SOURCES) into `microvm-*.o` objects; returns their paths. */
function compileRuntime(cc: string, sdk: string, cflags: readonly string[], objectFor: (src: string, prefix: string) => string, log: BuildLog): string[] {
  return RUNTIME_SOURCES.map(({ file, flags }) => {
    const src = path.join(sdk, file);
    if (!fs.existsSync(src)) throw new Error(`the C SDK in ${sdk} is incomplete: ${file} is missing`);
    const obj = objectFor(src, 'microvm-');
    run(cc, [...cflags, ...flags, '-c', src, '-o', obj], log);
    return obj;
  });
}

function compileAndLink(sources: string[], sdk: string, outFile: string, objDir: string, options: BuildOptions): BuildResult {
  const cc = options.cc ?? process.env.MICROVM_CC ?? 'cc';
  const optimize = checkedOptimize(options);
  const clang = isClang(cc);
  const cflags = cflagsFor(sdk, optimize, options);
  freshDirs(objDir, outFile);

  const log: BuildLog = { commands: [], warnings: [] };
  const objectFor = objectNamer(objDir);
  const objects: string[] = [];
  for (const src of sources) {
    const obj = objectFor(src, '');
    run(cc, [...cflags, '-c', src, '-o', obj], log);
    objects.push(obj);
  }
  objects.push(...compileRuntime(cc, sdk, cflags, objectFor, log));
  run(cc, [...linkFlags(sdk, clang), ...objects, '-o', outFile], log);
  return { elfPath: outFile, commands: log.commands, warnings: log.warnings };
}

/**
 * A Rust guest: the C runtime as for C guests, then rustc builds the SDK crate and the guest
 * crate and links them with the runtime objects through the same C compiler and linker script.
 */
function buildRustGuest(manifest: GuestManifest, crateRoot: string, vendored: string, outFile: string, objDir: string, options: BuildOptions): BuildResult {
  const vendoredC = path.join(vendored, 'c');
  const vendoredRust = path.join(vendored, 'rust');
  const useVendored = fs.existsSync(path.join(vendoredC, 'include', 'microvm.h')) && fs.existsSync(path.join(vendoredRust, 'src', 'lib.rs'));
  const sdk = useVendored ? vendoredC : sdkDir();
  const rustSdk = useVendored ? vendoredRust : rustSdkDir();
  const cc = options.cc ?? process.env.MICROVM_CC ?? 'cc';
  const optimize = checkedOptimize(options);
  const rustc = findRustc(options.rustc);
  rustcVersion(rustc); // a missing or too old rustc is named before anything is compiled
  freshDirs(objDir, outFile);

  const log: BuildLog = { commands: [], warnings: [] };
  const runtime = compileRuntime(cc, sdk, cflagsFor(sdk, optimize, options), objectNamer(objDir), log);
  const clang = isClang(cc);
  buildRustCrate(
    {
      crateRoot,
      crateName: manifest.crateName ?? manifest.name.replace(/-/g, '_'),
      edition: manifest.edition ?? '2021',
      sdk: rustSdk,
      outFile,
      objDir,
      optimize,
      rustc,
      linker: cc,
      // rustc itself passes -no-pie, which clang does not use with -static.
      linkArgs: [...linkFlags(sdk, clang), ...(clang ? ['-Wno-unused-command-line-argument'] : []), ...runtime],
      rustflags: manifest.rustflags ?? [],
    },
    log,
  );
  return { elfPath: outFile, commands: log.commands, warnings: log.warnings };
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
