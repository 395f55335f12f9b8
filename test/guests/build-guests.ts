// Builds the C test guests of this directory (types.c, faults.c, hostile.c, debuggee.c) for the tests.
//
//   import { buildTestGuest } from './guests/build-guests';
//   const elf = buildTestGuest('types');                       // gcc -O0 by default ($MICROVM_CC / cc)
//   const elf2 = buildTestGuest('faults', { cc: 'clang', optimize: '2' });
//
// ELFs go to test/guests/build/<name>-<cc>-O<level>.elf and are reused while they are newer than
// their source and every SDK file. Parallel test processes are safe: each builds under a unique
// temporary name and renames the result into place.
import fs from 'node:fs';
import path from 'node:path';
import { buildGuestSources, repoRoot, sdkDir, type BuildOptions } from '../../guest-templates/toolchain';

export const TEST_GUESTS = ['types', 'faults', 'hostile', 'debuggee'] as const;

/** The compilers and optimisation levels the debugger is compared with gdb at: gcc and clang, -O0 and -O2. */
export const COMPILER_MATRIX = [
  { cc: 'gcc', optimize: '0' },
  { cc: 'gcc', optimize: '2' },
  { cc: 'clang', optimize: '0' },
  { cc: 'clang', optimize: '2' },
] as const;
export type TestGuest = (typeof TEST_GUESTS)[number];

export function testGuestsDir(): string {
  return path.join(repoRoot(), 'test', 'guests');
}

export function testGuestSource(name: TestGuest): string {
  return path.join(testGuestsDir(), `${name}.c`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds (or reuses) test/guests/<name>.c and returns the ELF path. */
export function buildTestGuest(name: TestGuest, options: BuildOptions = {}): string {
  const source = testGuestSource(name);
  const cc = options.cc ?? process.env.MICROVM_CC ?? 'cc';
  const level = options.optimize ?? '0';
  const extra = options.extraCflags?.length ? `-${options.extraCflags.join('').replace(/[^A-Za-z0-9]+/g, '_')}` : '';
  const outDir = path.join(testGuestsDir(), 'build');
  const elf = path.join(outDir, `${name}-${path.basename(cc)}-O${level}${extra}.elf`);
  if (fs.existsSync(elf)) {
    const built = fs.statSync(elf).mtimeMs;
    if (built >= fs.statSync(source).mtimeMs && built >= newestMtime(sdkDir())) return elf;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = path.join(outDir, `${path.basename(elf, '.elf')}.${process.pid}.tmp.elf`);
  try {
    buildGuestSources([source], tmp, { ...options, cc });
    fs.renameSync(tmp, elf);
  } finally {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(path.join(outDir, 'obj', path.basename(tmp, '.elf')), { recursive: true, force: true });
  }
  return elf;
}

/** Builds every test guest; returns name -> ELF path. */
export function buildAllTestGuests(options: BuildOptions = {}): Record<TestGuest, string> {
  const result = {} as Record<TestGuest, string>;
  for (const name of TEST_GUESTS) result[name] = buildTestGuest(name, options);
  return result;
}
