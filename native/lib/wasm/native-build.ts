// Compiles a translated module (module.c) into a guest ELF with the C SDK: the SDK's runtime,
// the Wasm runtime (guest-templates/sdk/wasm/host/wasm_rt.c, built without debug information so
// the debugger steps over it) and module.c (with it, its #line directives point into the
// module's sources). The runtime objects are compiled once per SDK version and reused.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MicroVmError } from '../errors';
import { BASE_CFLAGS, guestSdkRoot, linkFlags, RUNTIME_SOURCES } from '../guest-sdk';

export interface NativeBuildOptions {
  /** C compiler (gcc or clang). Default $MICROVM_CC, else cc. */
  readonly cc?: string;
  /** Optimisation of module.c. Default '0' (the debugger sees every Wasm local). */
  readonly optimize?: '0' | '1' | '2' | 's';
}

export function sdkDirs(): { c: string; wasmHost: string } {
  const root = guestSdkRoot();
  return { c: path.join(root, 'guest-templates', 'sdk', 'c'), wasmHost: path.join(root, 'guest-templates', 'sdk', 'wasm', 'host') };
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  }).sort();
}

/** A hash of every SDK file a translated guest is built from: a changed SDK means new builds. */
export function sdkHash(): string {
  const { c, wasmHost } = sdkDirs();
  const hash = crypto.createHash('sha256');
  for (const file of [...filesUnder(c), ...filesUnder(wasmHost)]) {
    hash.update(path.relative(guestSdkRoot(), file));
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

export function compilerOf(options: NativeBuildOptions): string {
  return options.cc ?? process.env.MICROVM_CC ?? 'cc';
}

function isClang(cc: string): boolean {
  if (/clang/.test(path.basename(cc))) return true;
  const result = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  return /clang/i.test(result.stdout ?? '');
}

function run(cc: string, args: readonly string[], cwd: string): void {
  const result = spawnSync(cc, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = [cc, ...args].join(' ');
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new MicroVmError('INTERNAL', missing
      ? `C compiler '${cc}' not found: a Wasm module is compiled into a native guest with the C compiler (install gcc, e.g. sudo apt install build-essential, or set MICROVM_CC)`
      : `could not run ${cc}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new MicroVmError('INTERNAL', `compiling the translated Wasm module failed (this is a translator bug):\n$ ${line}\n${(result.stderr || result.stdout || '').trim()}`);
  }
}

/** Compiles the C SDK runtime and wasm_rt.c into `dir` (once); returns the object paths. */
export function buildRuntime(dir: string, options: NativeBuildOptions): string[] {
  const { c, wasmHost } = sdkDirs();
  const cc = compilerOf(options);
  const objects = [...RUNTIME_SOURCES.map(({ file }) => path.join(dir, `microvm-${path.basename(file).replace(/\.[^.]+$/, '')}.o`)), path.join(dir, 'wasm_rt.o')];
  if (objects.every((o) => fs.existsSync(o))) return objects;
  const staging = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(staging, { recursive: true });
  try {
    const cflags = [...BASE_CFLAGS, '-O2', `-I${path.join(c, 'include')}`];
    RUNTIME_SOURCES.forEach(({ file, flags }, i) => run(cc, [...cflags, ...flags, '-c', path.join(c, file), '-o', path.join(staging, path.basename(objects[i]))], staging));
    const noDebug = cflags.filter((f) => f !== '-g');
    run(cc, [...noDebug, '-g0', `-I${wasmHost}`, '-c', path.join(wasmHost, 'wasm_rt.c'), '-o', path.join(staging, 'wasm_rt.o')], staging);
    try {
      fs.renameSync(staging, dir);
    } catch {
      // another process finished first: use its objects
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return objects;
}

/**
 * Compiles `<dir>/module.c` and links `<dir>/guest.elf` with the runtime objects. `finalDir` is
 * where `dir` will be renamed to: the DWARF names module.c there.
 */
export function buildGuestElf(dir: string, finalDir: string, runtimeObjects: readonly string[], options: NativeBuildOptions): string {
  const { c, wasmHost } = sdkDirs();
  const cc = compilerOf(options);
  const optimize = options.optimize ?? '0';
  // module.c's warnings are the module's business (unused labels and operands are normal).
  run(cc, [...BASE_CFLAGS.filter((f) => !f.startsWith('-W')), '-w', `-O${optimize}`, `-fdebug-prefix-map=${dir}=${finalDir}`, `-I${wasmHost}`, '-c', 'module.c', '-o', 'module.o'], dir);
  run(cc, [...linkFlags(c, isClang(cc)), 'module.o', ...runtimeObjects, '-o', 'guest.elf'], dir);
  return path.join(dir, 'guest.elf');
}
